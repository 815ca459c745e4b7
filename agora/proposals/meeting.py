"""The residents' meeting (居民会议) held on a proposal: open, attend, vote, close, the record.

A proposal of matter `resident_meeting` goes draft → consultation → voting (the Party branch, as
moderator, opens the meeting) → closed (the moderator closes it). Not an owners' vote: nothing here
touches the owners' roll, the ballot ledger or areas (the ballots feature refuses its ballots).

- **The roll** is frozen when the meeting opens: the hall's residents as agora knows them, one each —
  every account holding the role member or tenant in the hall (for a community, also in its compounds
  and their buildings; for a compound, also in its buildings) and every owner bound to an active unit
  there. Officers who hold only an office (Party branch, committee, canvasser, staff) are not on it.
  It counts residents, not households: agora knows the units of owners but not the households of
  tenants, so a household-representative roll could not include them.
- **Attendance**: a resident on the roll checks in online, or the moderator enters one present in the
  room, with a witness (as a paper ballot is entered). Once present, always present at that meeting.
- **Votes**: yes, no or abstain, once, by a resident present (online), or entered by the moderator
  with a witness for someone in the room; a vote by someone not yet present records them present.
- **The close** computes, with `agora.proposals.assembly`, quorum (more than half of the roll
  present) and decision (more than half of those present voting yes), and stores the record.

Each write takes the meeting's row lock (PostgreSQL) or the database's write lock (SQLite) and
re-checks that the meeting is open, so nothing is accepted once the close has begun.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError

from agora import clock
from agora.accounts.models import User
from agora.art278 import RESIDENT_MEETING
from agora.audit.services import record
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import permissions
from agora.proposals.assembly import MEETING_CHOICES, RULE, count_attendance, meeting_record
from agora.proposals.models import MeetingAttendance, Proposal, ResidentsMeeting
from agora.proposals.timeline import access_proposal
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall, MemberRole, Owner
from agora.storage.database import is_postgres

RESIDENT_ROLES = ("member", "tenant")
WITNESS_MAX = 120


def is_meeting(proposal: Proposal) -> bool:
    return proposal.matter == RESIDENT_MEETING


# --- the roll -----------------------------------------------------------------------------------


async def _ids(**filters: Any) -> list[int]:
    return cast(list[int], await Hall.filter(**filters).values_list("id", flat=True))


async def _halls_and_compounds(hall: Hall) -> tuple[list[int], list[int]]:
    """The halls whose member and tenant roles count, and the compounds whose units' owners do."""
    if hall.kind == "community":
        compounds = await _ids(kind="compound", parent_id=hall.id)
        return [hall.id, *compounds, *await _ids(kind="building", compound_id__in=compounds)], compounds
    if hall.kind == "compound":
        return [hall.id, *await _ids(kind="building", compound_id=hall.id)], [hall.id]
    return [hall.id], []


async def residents_of(hall: Hall) -> list[tuple[int, str]]:
    """The hall's residents as agora knows them, `(user_id, display_name)` sorted by name then id."""
    hall_ids, compounds = await _halls_and_compounds(hall)
    ids = set(
        await MemberRole.filter(hall_id__in=hall_ids, role__in=RESIDENT_ROLES).values_list(
            "user_id", flat=True
        )
    )
    owners = Owner.filter(active=True, user_id__not_isnull=True, ownerships__unit__active=True)
    if hall.kind == "building":
        owners = owners.filter(ownerships__unit__building_id=hall.id)
    else:
        owners = owners.filter(ownerships__unit__compound_id__in=compounds or [0])
    ids |= set(await owners.values_list("user_id", flat=True))
    users = (
        await User.filter(id__in=list(ids), is_active=True).values_list("id", "display_name") if ids else []
    )
    return sorted(((int(uid), str(name)) for uid, name in users), key=lambda row: (row[1], row[0]))


# --- open and close (called by agora.proposals.services.transition, inside its transaction) -----


async def open_meeting(proposal: Proposal, actor: User, now: datetime) -> ResidentsMeeting:
    """Freeze the roll of residents and open the meeting (the caller has checked state and role)."""
    hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
    roll = await residents_of(hall)
    if not roll:
        raise Conflict(
            _("This hall has no residents on agora yet: nobody could attend."), code="no_residents"
        )
    meeting = await ResidentsMeeting.create(
        proposal_id=proposal.id,
        roll=[list(row) for row in roll],
        residents=len(roll),
        opened_at=now,
        opened_by=actor,
    )
    await Proposal.filter(id=proposal.id).update(opens_at=now)
    proposal.opens_at = now
    await record(
        "meeting.opened",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=hall.id,
        residents=len(roll),
    )
    return meeting


async def _locked(proposal_id: int) -> ResidentsMeeting:
    query = ResidentsMeeting.filter(proposal_id=proposal_id)
    if is_postgres():
        query = query.select_for_update()
    meeting = await query.first()
    if meeting is None:
        raise Conflict(_("This residents' meeting has not opened yet."), code="not_open")
    return meeting


async def close_meeting(proposal: Proposal, actor: User, now: datetime) -> dict[str, Any]:
    """Close the meeting and compute its decision (inside the caller's transaction). → the record."""
    meeting = await _locked(proposal.id)
    if meeting.closed_at is not None:
        raise Conflict(_("This residents' meeting is already closed."), code="not_open")
    choices = await MeetingAttendance.filter(meeting_id=meeting.id).values_list("choice", flat=True)
    result = meeting_record(meeting.residents, [None if c is None else str(c) for c in choices])
    meeting.closed_at, meeting.closed_by, meeting.result = now, actor, result
    await meeting.save(update_fields=["closed_at", "closed_by_id", "result"])
    hall_id = proposal.hall_id  # type: ignore[attr-defined]
    await record(
        "meeting.closed",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=hall_id,
        outcome=result["outcome"],
        residents=result["residents"],
        present=result["present"],
        yes=result["yes"],
    )
    await emit(hall_id, "result.published", {"proposal": proposal.id, "outcome": result["outcome"]})
    return result


# --- attendance and votes -----------------------------------------------------------------------


async def proposal_of(user: User, proposal_id: int) -> tuple[Proposal, HallAccess]:
    """The proposal and the caller's access, if it is a residents' meeting they may see (else 404)."""
    proposal, access = await access_proposal(user, proposal_id)
    if not is_meeting(proposal):
        raise NotFound(_("This proposal is not a residents' meeting."), code="not_a_meeting")
    return proposal, access


async def _meeting_of(user: User, proposal_id: int) -> tuple[Proposal, HallAccess, ResidentsMeeting | None]:
    proposal, access = await proposal_of(user, proposal_id)
    return proposal, access, await ResidentsMeeting.get_or_none(proposal_id=proposal.id)


def _on_roll(meeting: ResidentsMeeting, user_id: int) -> str | None:
    """The resident's name on the frozen roll, or None."""
    return next((str(name) for uid, name in meeting.roll if int(uid) == user_id), None)


def _who(
    user: User, access: HallAccess, meeting: ResidentsMeeting, data: dict[str, Any]
) -> tuple[int, str, str]:
    """Whose attendance or vote this is: `(user_id, channel, witness)`. The caller themself online, or
    a resident in the room entered by the moderator with a witness."""
    resident, witness = data.get("resident"), data.get("witness")
    entered = witness not in (None, "") or (resident not in (None, "") and resident != user.id)
    if not entered:
        if _on_roll(meeting, user.id) is None:
            raise permissions.not_on_meeting_roll()
        return user.id, "online", ""
    permissions.check_may_enter_in_room(access)
    resident = _resident_id(resident)
    if not isinstance(witness, str) or not witness.strip() or len(witness.strip()) > WITNESS_MAX:
        raise Invalid(_("A resident entered in the room needs the witness."), fields={"witness": "required"})
    if _on_roll(meeting, resident) is None:
        raise NotFound(_("This resident is not on the meeting's roll."), code="not_on_roll")
    return resident, "room", witness.strip()


def _resident_id(raw: Any) -> int:
    """The roll's user id of the resident a room entry names (a number, or its digits from a form)."""
    if isinstance(raw, str) and raw.strip().isdecimal():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise Invalid(_("Choose the resident from the meeting's roll."), fields={"resident": "required"})
    return raw


async def _open_meeting_locked(proposal_id: int) -> ResidentsMeeting:
    meeting = await _locked(proposal_id)
    if meeting.closed_at is not None:
        raise Conflict(
            _("The residents' meeting is closed: nothing is accepted after the close."), code="not_open"
        )
    return meeting


def _check_open(proposal: Proposal, meeting: ResidentsMeeting | None) -> ResidentsMeeting:
    if meeting is None or proposal.state != "voting" or meeting.closed_at is not None:
        raise Conflict(
            _("Attendance and votes are taken while the residents' meeting is open."), code="not_open"
        )
    return meeting


async def _present(
    meeting: ResidentsMeeting, resident: int, channel: str, witness: str, by: User, now: datetime
) -> MeetingAttendance:
    try:
        async with atomic():  # a savepoint: a duplicate leaves the outer transaction usable
            return await MeetingAttendance.create(
                meeting_id=meeting.id,
                user_id=resident,
                name=_on_roll(meeting, resident) or "",
                channel=channel,
                witness=witness,
                entered_by_id=by.id if channel == "room" else None,
                present_at=now,
            )
    except IntegrityError:
        raise Conflict(_("This resident is already recorded present."), code="already_present") from None


async def record_attendance(user: User, proposal_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """`POST …/meeting/attendance {resident?, witness?}` → the resident recorded present."""
    proposal, access, meeting = await _meeting_of(user, proposal_id)
    resident, channel, witness = _who(user, access, _check_open(proposal, meeting), data)
    async with atomic():
        locked = await _open_meeting_locked(proposal.id)
        now = clock.now()
        row = await _present(locked, resident, channel, witness, user, now)
        await _audit("meeting.present", user, proposal, resident=resident, channel=channel, witness=witness)
        await _tell_the_hall(proposal, locked)
    return {"resident": resident, "name": row.name, "channel": channel, "present_at": now.isoformat()}


async def record_vote(user: User, proposal_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """`POST …/meeting/votes {choice, resident?, witness?}` → the vote recorded (once; a resident not
    yet present is recorded present by the same channel)."""
    proposal, access, meeting = await _meeting_of(user, proposal_id)
    resident, channel, witness = _who(user, access, _check_open(proposal, meeting), data)
    choice = data.get("choice")
    if choice not in MEETING_CHOICES:
        raise Invalid(_("Choose yes, no or abstain."), fields={"choice": "invalid"})
    async with atomic():
        locked = await _open_meeting_locked(proposal.id)
        now = clock.now()
        row = await MeetingAttendance.get_or_none(meeting_id=locked.id, user_id=resident)
        if row is None:
            try:
                row = await _present(locked, resident, channel, witness, user, now)
            except Conflict:  # recorded present a moment ago (SQLite takes no row lock): vote on that
                row = await MeetingAttendance.get(meeting_id=locked.id, user_id=resident)
        changed = await MeetingAttendance.filter(id=row.id, choice=None).update(
            choice=choice,
            vote_channel=channel,
            vote_witness=witness,
            vote_entered_by_id=user.id if channel == "room" else None,
            voted_at=now,
        )
        if changed != 1:
            raise Conflict(_("This resident has already voted at this meeting."), code="already_voted")
        await _audit("meeting.vote", user, proposal, resident=resident, channel=channel, witness=witness)
        await _tell_the_hall(proposal, locked)
    return {"resident": resident, "name": row.name, "channel": channel, "voted_at": now.isoformat()}


UNDO_WHAT = ("vote", "attendance")
REASON_MAX = 500


async def undo_entry(user: User, proposal_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """`POST …/meeting/undo {resident, what, reason}`: the Party branch takes back an entry it made in
    the room by mistake, while the meeting is open — `vote` clears the resident's vote (they stay
    present), `attendance` removes them from the attendance (with their vote, if it too was entered in
    the room). A resident's own check-in or vote online stands: only what the room entered is undone.
    The audit log keeps the entry undone (who, how, the witness, when) and the reason; never the choice."""
    proposal, access, meeting = await _meeting_of(user, proposal_id)
    permissions.check_may_enter_in_room(access)
    _check_open(proposal, meeting)
    resident, what, reason = _resident_id(data.get("resident")), data.get("what"), data.get("reason")
    if what not in UNDO_WHAT:
        raise Invalid(_("Say what to undo: the vote or the attendance."), fields={"what": "invalid"})
    if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > REASON_MAX:
        raise Invalid(_("Say why the entry is undone."), fields={"reason": "required"})
    async with atomic():
        locked = await _open_meeting_locked(proposal.id)
        row = await MeetingAttendance.get_or_none(meeting_id=locked.id, user_id=resident)
        if row is None or (what == "vote" and row.choice is None):
            raise Conflict(_("There is no such entry to undo."), code="nothing_to_undo")
        entered = {"vote": row.vote_channel == "room", "attendance": row.channel == "room"}
        if not entered[what] or (what == "attendance" and row.choice is not None and not entered["vote"]):
            raise Conflict(
                _("Only an entry made in the room is undone here: a resident's own check-in or vote stands."),
                code="not_entered_in_room",
            )
        undone: dict[str, Any] = {"resident": resident, "what": what, "reason": reason.strip()}
        if what == "vote":
            undone.update(witness=row.vote_witness, entered_at=_iso(row.voted_at))
            changed = await MeetingAttendance.filter(id=row.id, vote_channel="room").update(
                choice=None, vote_channel=None, vote_witness="", vote_entered_by_id=None, voted_at=None
            )
        else:
            undone.update(witness=row.witness, entered_at=_iso(row.present_at), vote=row.choice is not None)
            changed = await MeetingAttendance.filter(id=row.id).delete()
        if changed != 1:  # changed since it was read (SQLite takes no row lock): nothing is undone
            raise Conflict(_("There is no such entry to undo."), code="nothing_to_undo")
        await _audit("meeting.undo", user, proposal, **undone)
        await _tell_the_hall(proposal, locked)
    return {"resident": resident, "what": what, "name": row.name}


async def _tell_the_hall(proposal: Proposal, meeting: ResidentsMeeting) -> None:
    """`meeting.attendance` with the figures every member sees (never a choice): open pages update
    their line "n of N present, v voted" (agora.proposals.live), JSON clients get the numbers."""
    rows = MeetingAttendance.filter(meeting_id=meeting.id)
    figures = {
        "proposal": proposal.id,
        "residents": meeting.residents,
        "present": await rows.count(),
        "voted": await rows.filter(choice__not_isnull=True).count(),
    }
    await emit(proposal.hall_id, "meeting.attendance", figures)  # type: ignore[attr-defined]


async def _audit(action: str, actor: User, proposal: Proposal, **detail: Any) -> None:
    """The audit entry names who and how, never the choice (the record carries the counts)."""
    await record(
        action,
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        **detail,
    )


# --- reading ------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(clock.LOCAL_TZ).isoformat() if moment else None


async def _name(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = await User.get_or_none(id=user_id)
    return user.display_name if user else None


async def meeting_json(user: User, proposal_id: int) -> dict[str, Any]:
    """The meeting for a member of the hall: status, roll size, attendance (names, how they came),
    participation while open, and after the close the counts and the decision with the rule cited.
    Choices are never shown per resident. Moderators also get the roll (to enter those in the room)."""
    proposal, access, meeting = await _meeting_of(user, proposal_id)
    rows = await MeetingAttendance.filter(meeting_id=meeting.id).order_by("id") if meeting else []
    status = "not_open" if meeting is None else ("closed" if meeting.closed_at else "open")
    present = {int(row.user_id): row for row in rows}
    counts = count_attendance(None if row.choice is None else str(row.choice) for row in rows)
    body: dict[str, Any] = {
        "proposal": proposal.id,
        "kind": "residents_meeting",
        "owners_vote": False,
        "rule": RULE,
        "note": _(
            "A residents' meeting decides with more than half of the residents attending and more than "
            "half of those present in favour. It is not an owners' vote: no roll of owners, area or ledger."
        ),
        "status": status,
        "residents": meeting.residents if meeting else None,
        "present": len(rows),
        "voted": sum(1 for row in rows if row.choice is not None),
        "opened_at": _iso(meeting.opened_at) if meeting else None,
        "opened_by": await _name(meeting.opened_by_id) if meeting else None,  # type: ignore[attr-defined]
        "closed_at": _iso(meeting.closed_at) if meeting else None,
        "closed_by": await _name(meeting.closed_by_id) if meeting else None,  # type: ignore[attr-defined]
        "attendance": [
            {
                "name": row.name,
                "channel": row.channel,
                "present_at": _iso(row.present_at),
                "voted": row.choice is not None,
            }
            for row in rows
        ],
        "counts": counts.to_json() if status == "closed" else None,
        "result": meeting.result if meeting and meeting.closed_at else None,
        "me": None,
    }
    if meeting is not None:
        mine = present.get(user.id)
        body["me"] = {
            "on_roll": _on_roll(meeting, user.id) is not None,
            "present": mine is not None,
            "voted": mine is not None and mine.choice is not None,
        }
        if permissions.may_enter_in_room(access) and status == "open":
            body["roll"] = [
                _roll_row(int(uid), str(name), present.get(int(uid))) for uid, name in meeting.roll
            ]
    return body


def _roll_row(resident: int, name: str, row: MeetingAttendance | None) -> dict[str, Any]:
    """A roll line for the Party branch: present, voted, and what the room entered (so what
    `undo_entry` may take back)."""
    return {
        "resident": resident,
        "name": name,
        "present": row is not None,
        "voted": row is not None and row.choice is not None,
        "present_in_room": row is not None and row.channel == "room",
        "voted_in_room": row is not None and row.vote_channel == "room",
    }


async def meeting_result(proposal: Proposal) -> dict[str, Any] | None:
    """The stored decision of a closed meeting (for the proposal's result), or None."""
    meeting = await ResidentsMeeting.get_or_none(proposal_id=proposal.id)
    return meeting.result if meeting is not None else None

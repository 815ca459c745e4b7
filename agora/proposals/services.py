"""Proposal use cases: draft, second, move through the lifecycle, lock the thread, list.

Every transition goes through `transition` (people) or `record_transition` (the ballots feature:
automatic close and certification); both write the timeline row, the `*_at` field, the audit
entry and the `proposal.state` event in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, Forbidden, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import lifecycle, window
from agora.proposals.drafting import validate_draft
from agora.proposals.lifecycle import OWNERS_MATTERS, Actor
from agora.proposals.models import STATES, ModerationEntry, Proposal, ProposalSecond, ProposalTransition
from agora.rooms.access import HallAccess, access_to
from agora.rooms.models import Hall, Owner, Unit
from agora.rooms.rules import Rules, rules_from
from agora.web.http import check_time_bounds
from agora.web.sql import fetch, to_datetime

# The `*_at` field each state stamps (opens_at/closes_at are the ballots feature's, via open_vote).
STAMPS = {
    "consultation": "consultation_at",
    "notice": "notice_at",
    "closed": "closed_at",
    "certified": "certified_at",
    "withdrawn": "ended_at",
    "rejected": "ended_at",
}


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f"{alias}.{column} AS {alias}__{column}" for column in sorted(model._meta.db_fields))


@cache
def _proposal_and_hall_sql() -> str:
    """Built on first use: a model's foreign key columns are known only once Tortoise is set up."""
    return (
        f"SELECT {_columns(Proposal, 'p')}, {_columns(Hall, 'h')}"  # noqa: S608 — the models' columns
        " FROM proposals p JOIN halls h ON h.id = p.hall_id WHERE p.id = ?"
    )


async def _proposal_and_hall(proposal_id: int) -> tuple[Proposal, Hall] | None:
    """The proposal and its hall as models, from one plain query (every page of a proposal does this)."""
    rows = await fetch(_proposal_and_hall_sql(), proposal_id)
    if not rows:
        return None
    proposal_cols: dict[str, Any] = {}
    hall_cols: dict[str, Any] = {}
    for key, value in rows[0].items():
        alias, column = key.split("__", 1)
        (proposal_cols if alias == "p" else hall_cols)[column] = value
    return Proposal._init_from_db(**proposal_cols), Hall._init_from_db(**hall_cols)


async def access_proposal(user: User | None, proposal_id: int) -> tuple[Proposal, HallAccess]:
    """The proposal and the caller's access to its hall; NotFound if absent or not visible."""
    found = await _proposal_and_hall(proposal_id)
    if found is None:
        raise NotFound(_("This proposal does not exist or you cannot see it."))
    proposal, hall = found
    try:
        access = await access_to(user, hall)
    except NotFound:
        raise NotFound(_("This proposal does not exist or you cannot see it.")) from None
    return proposal, access


async def compound_rules(hall: Hall) -> Rules:
    """The rules of procedure that govern a hall: its compound's (defaults for a community)."""
    if hall.kind == "compound":
        return rules_from(hall.rules)
    if hall.kind == "building" and hall.compound_id is not None:
        return rules_from((await Hall.get(id=hall.compound_id)).rules)
    return rules_from(None)


# Other features that attach something to a new proposal run inside its transaction (a refusal
# rolls the proposal back): agora.concerns links the concern a proposal answers (`concern`).
CreateHook = Callable[[HallAccess, User, Proposal, dict[str, Any]], Awaitable[None]]
_create_hooks: list[CreateHook] = []


def on_create(hook: CreateHook) -> None:
    if hook not in _create_hooks:
        _create_hooks.append(hook)


async def create_proposal(access: HallAccess, author: User, data: dict[str, Any]) -> Proposal:
    """Any member may draft; the matter and item must agree, the entrance must exist."""
    if not access.has("member"):
        raise Forbidden(_("Only members of this hall can make proposals."))
    draft = validate_draft(data, hall_kind=access.hall.kind)
    if draft.entrance is not None:
        if not await Unit.filter(building_id=access.hall.id, entrance=draft.entrance, active=True).exists():
            raise Invalid(_("This building has no such entrance."), fields={"entrance": "unknown"})
    for name, refs in (("affected", draft.affected), ("occupied", draft.occupied)):
        if refs and not await _all_on_roll(access.hall, refs):
            raise Invalid(
                _("Every owner listed must be on the compound's roll: {field}.", field=name),
                fields={name: "unknown_owner"},
            )
    async with atomic():
        proposal = await Proposal.create(
            hall_id=access.hall.id,
            author=author,
            title=draft.title,
            body=draft.body,
            category=draft.category,
            matter=draft.matter,
            item=draft.item,
            options=draft.options,
            entrance=draft.entrance,
            affected=draft.affected,
            occupied=draft.occupied or None,
            state="draft",
        )
        await ProposalTransition.create(
            proposal=proposal, from_state="", to_state="draft", at=clock.now(), by=author
        )
        for hook in _create_hooks:
            await hook(access, author, proposal, data)
        await record(
            "proposal.create",
            actor=author,
            object_type="proposal",
            object_id=proposal.id,
            hall_id=access.hall.id,
        )
        await emit(access.hall.id, "proposal.state", _state_payload(proposal, "", author))
    return proposal


async def _all_on_roll(hall: Hall, refs: list[str]) -> bool:
    """Every owner ref is an active owner on the roll of the hall's compound."""
    compound_id = hall.id if hall.kind == "compound" else hall.compound_id
    found = await Owner.filter(compound_id=compound_id, owner_ref__in=refs, active=True).count()
    return found == len(set(refs))


def _state_payload(proposal: Proposal, from_state: str, actor: User | None) -> dict[str, Any]:
    return {
        "proposal": proposal.id,
        "title": proposal.title,
        "state": proposal.state,
        "from": from_state,
        "at": clock.now().isoformat(),
        "by": actor.display_name if actor else None,
    }


async def _stamp(proposal: Proposal, to: str, actor: User | None, reason: str, now: datetime) -> None:
    from_state = proposal.state
    proposal.state = to
    updated = ["state"]
    if to in STAMPS:
        setattr(proposal, STAMPS[to], now)
        updated.append(STAMPS[to])
    if to in ("withdrawn", "rejected"):
        proposal.end_reason = reason
        updated.append("end_reason")
    await proposal.save(update_fields=updated)
    await ProposalTransition.create(
        proposal=proposal, from_state=from_state, to_state=to, at=now, by=actor, reason=reason
    )
    hall_id = proposal.hall_id  # type: ignore[attr-defined]
    await record(
        f"proposal.{to}",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=hall_id,
        from_state=from_state,
        reason=reason,
    )
    if to == "rejected":
        await ModerationEntry.create(
            hall_id=hall_id, action="reject", actor=actor, proposal_id=proposal.id, reason=reason, at=now
        )
    await emit(hall_id, "proposal.state", _state_payload(proposal, from_state, actor))


async def transition(
    access: HallAccess,
    proposal: Proposal,
    to: str,
    actor: User,
    closes_at: datetime | None = None,
    reason: str = "",
) -> Proposal:
    """Move a proposal as a person asks, checked against role, state and calendar in one place."""
    if to not in STATES:
        raise Invalid(_("Unknown state."), fields={"to": "invalid"})
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise Invalid(_("The reason is too long."), fields={"reason": "too_long"})
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)  # the state is re-checked inside the transaction
        who = Actor(is_author=fresh.author_id == actor.id, is_moderator=access.is_moderator)  # type: ignore[attr-defined]
        lifecycle.check_transition(fresh.state, to, fresh.matter, who, reason)
        now = clock.now()
        if to == "notice":
            # The notice announces the window and freezes the rules of procedure (api.md, "Procedure").
            announced = window.announce(fresh, now, closes_at, await compound_rules(access.hall))
            if announced:
                await fresh.save(update_fields=announced)
                await _tell_residents_committee(access.hall, fresh, actor)
        elif to == "voting":
            rules = window.rules_of(fresh, await compound_rules(access.hall))
            if fresh.matter in OWNERS_MATTERS:
                lifecycle.check_notice_elapsed(now, fresh.notice_at, rules.notice_days)
            elif not fresh.options:
                raise Conflict(_("A consultation poll needs options before it can open."), code="no_options")
            if fresh.matter in OWNERS_MATTERS and fresh.closes_at is not None:
                window.check_opening(now, fresh.closes_at, closes_at, rules)  # opening keeps the window
                closes_at = fresh.closes_at
            else:  # a consultation, or a notice given before windows were announced with it
                lifecycle.check_voting_window(now, closes_at, rules.min_voting_days, rules.max_voting_days)
            frozen = window.freeze(fresh, rules)
            if frozen:
                await fresh.save(update_fields=frozen)
            from agora.ballots.voting import open_vote

            await open_vote(fresh, closes_at=closes_at, actor=actor)
            await _keep_vote_fields(fresh, now, closes_at)
        elif to == "closed":
            window.check_close(fresh, now)  # no owners' vote ends before its window
            now = window.closing_moment(fresh, now)  # one closing time everywhere
            from agora.ballots.voting import close_vote

            await close_vote(fresh, actor=actor, at=now)
        await _stamp(fresh, to, actor, reason, now)
    return fresh


async def _tell_residents_committee(hall: Hall, proposal: Proposal, actor: User) -> None:
    """The residents' committee is told of every owners' vote (domain.md, "The calendar"): the
    community hall the compound belongs to, in the audit log; the record names it."""
    compound = (
        hall if hall.kind == "compound" or hall.compound_id is None else await Hall.get(id=hall.compound_id)
    )
    if compound.parent_id is None:  # type: ignore[attr-defined]
        return
    await record(
        "proposal.residents_committee_told",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=compound.parent_id,  # type: ignore[attr-defined]
        closes_at=proposal.closes_at.isoformat() if proposal.closes_at else None,
    )


async def _keep_vote_fields(proposal: Proposal, now: datetime, closes_at: datetime | None) -> None:
    """open_vote sets snapshot_id/opens_at/closes_at; keep whatever it stored, fill what it left unset."""
    stored = await Proposal.get(id=proposal.id)
    for name in ("snapshot_id", "opens_at", "closes_at"):
        if getattr(proposal, name) is None:
            setattr(proposal, name, getattr(stored, name))
    proposal.opens_at = proposal.opens_at or now
    proposal.closes_at = proposal.closes_at or closes_at
    await proposal.save(update_fields=["snapshot_id", "opens_at", "closes_at"])


async def record_transition(
    proposal: Proposal, to: str, actor: User | None, reason: str = "", at: datetime | None = None
) -> Proposal:
    """For the ballots feature: an automatic close (`actor=None`) or a certification."""
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if not lifecycle.edge_exists(fresh.state, to, fresh.matter) or (fresh.state, to) not in {
            ("voting", "closed"),
            ("closed", "certified"),
        }:
            raise Conflict(
                _("A proposal in state {state} cannot be moved to {to}.", state=fresh.state, to=to),
                code="transition_not_allowed",
            )
        await _stamp(fresh, to, actor, reason, at or clock.now())
    for name in ("state", "closed_at", "certified_at"):
        setattr(proposal, name, getattr(fresh, name))
    return fresh


async def second(access: HallAccess, proposal: Proposal, user: User) -> int:
    """A member supports putting a draft on the agenda; once per member, not one's own."""
    if not access.has("member"):
        raise Forbidden(_("Only members of this hall can second proposals."))
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if fresh.state != "draft":
            raise Conflict(_("Only drafts can be seconded."), code="not_draft")
        if fresh.author_id == user.id:  # type: ignore[attr-defined]
            raise Conflict(_("You cannot second your own proposal."), code="own_proposal")
        if await ProposalSecond.filter(proposal_id=fresh.id, user_id=user.id).exists():
            raise Conflict(_("You have already seconded this proposal."), code="already_seconded")
        try:
            await ProposalSecond.create(proposal=fresh, user=user, created_at=clock.now())
        except IntegrityError as exc:
            raise Conflict(_("You have already seconded this proposal."), code="already_seconded") from exc
        await Proposal.filter(id=fresh.id).update(seconds=F("seconds") + 1)
        await record(
            "proposal.second", actor=user, object_type="proposal", object_id=fresh.id, hall_id=access.hall.id
        )
    return fresh.seconds + 1


async def set_locked(
    access: HallAccess, proposal: Proposal, actor: User, locked: bool, reason: str = ""
) -> None:
    """Moderators lock or unlock a discussion, in the open (public log, audit, live event)."""
    if not access.is_moderator:
        raise Forbidden(_("Only the hall's moderators can lock a discussion."))
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if fresh.locked == locked:
            raise Conflict(_("The discussion is already in that state."), code="no_change")
        fresh.locked = locked
        await fresh.save(update_fields=["locked"])
        action = "lock" if locked else "unlock"
        reason = (reason or "").strip()[:2000]
        await ModerationEntry.create(
            hall_id=access.hall.id,
            action=action,
            actor=actor,
            proposal_id=fresh.id,
            reason=reason,
            at=clock.now(),
        )
        await record(
            f"proposal.{action}",
            actor=actor,
            object_type="proposal",
            object_id=fresh.id,
            hall_id=access.hall.id,
        )
        await emit(access.hall.id, "proposal.locked", {"proposal": fresh.id, "locked": locked})
    proposal.locked = locked


async def hall_proposals(access: HallAccess) -> dict[str, list[Proposal]]:
    """A hall's proposals grouped by state (lifecycle order), newest first in each group."""
    grouped: dict[str, list[Proposal]] = {}
    for proposal in await Proposal.filter(hall_id=access.hall.id).order_by("-id"):
        grouped.setdefault(proposal.state, []).append(proposal)
    return {state: grouped[state] for state in STATES if state in grouped}


async def list_proposals(access: HallAccess, state: str | None = None) -> list[Proposal]:
    if state is not None and state not in STATES:
        raise Invalid(_("Unknown state."), fields={"state": "invalid"})
    query = Proposal.filter(hall_id=access.hall.id)
    if state:
        query = query.filter(state=state)
    return await query.order_by("-id")


async def timeline(proposal: Proposal) -> list[ProposalTransition]:
    return await ProposalTransition.filter(proposal_id=proposal.id).order_by("id").select_related("by")


_TIMELINE = (
    "SELECT t.to_state, t.at, t.reason, u.display_name FROM proposal_transitions t"
    " LEFT JOIN users u ON u.id = t.by_id WHERE t.proposal_id = ? ORDER BY t.id"
)


async def timeline_view(proposal: Proposal) -> list[dict[str, Any]]:
    """The timeline for the page, as plain rows: `to_state`, `at`, `by` ({display_name} or None
    for an automatic step), `reason` (what the template reads of `timeline`'s models)."""
    return [
        {
            "to_state": row["to_state"],
            "at": to_datetime(row["at"]),
            "by": {"display_name": row["display_name"]} if row["display_name"] is not None else None,
            "reason": row["reason"],
        }
        for row in await fetch(_TIMELINE, proposal.id)
    ]


async def has_seconded(proposal: Proposal, user: User) -> bool:
    return await ProposalSecond.filter(proposal_id=proposal.id, user_id=user.id).exists()


def parse_closes_at(raw: Any) -> datetime | None:
    """ISO 8601 with an offset (the API), or a local `datetime-local` value from the page form."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise Invalid(_("closes_at must be a date and time."), fields={"closes_at": "invalid"})
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(_("closes_at must be a date and time."), fields={"closes_at": "invalid"}) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=lifecycle.LOCAL_TZ)
    check_time_bounds(value, "closes_at")
    # Stored in UTC: SQLite compares the stored text, so "+08:00" would close the vote 8 hours late.
    return value.astimezone(UTC)

"""What may be seen of a vote, and when: turnout while voting, the count and the ledger after close.

Before the close nothing here depends on the choices: the turnout meter and the committee's
per-building table count participation only, so a yes-heavy and a no-heavy vote look the same.
"""

from __future__ import annotations

from typing import Any

from agora.accounts.models import User
from agora.art278 import RESIDENT_MEETING
from agora.ballots import consenting, electorate, permissions, secrecy
from agora.ballots.chain import GENESIS
from agora.ballots.ledger import ledger_entries, turnout_now
from agora.ballots.models import BallotSlot
from agora.ballots.resolution import current_resolution, published_ledger
from agora.ballots.voting import consultation_result
from agora.errors import Conflict
from agora.i18n import _
from agora.proposals.models import Proposal, ResidentsMeeting
from agora.proposals.timeline import access_proposal
from agora.rooms.counting import format_area
from agora.rooms.snapshots import frozen_units

CLOSED = ("closed", "certified")


async def result_of(proposal: Proposal) -> dict[str, Any]:
    """The docs/api.md result for a proposal the caller may see."""
    if proposal.matter == RESIDENT_MEETING:  # the residents present decide (agora.proposals.meeting)
        return await _meeting_result(proposal)
    if proposal.state == "voting":
        return {
            "state": "voting",
            "turnout": await turnout_now(proposal),
            "roll_fingerprint": proposal.roll_fingerprint,
        }
    if proposal.state not in CLOSED:
        raise Conflict(_("Voting on this proposal has not opened yet."), code="not_open")
    if proposal.matter == "unanimous":  # art. 279: the consents decide, not a count
        tally = await consenting.consent_tally(proposal)
        outcome = consenting.combined_outcome(proposal, None, tally)
        record = await current_resolution(proposal)
        return {
            "state": proposal.state,
            "outcome": outcome,
            "reason": None if outcome == "passed" else "not_unanimous",
            "consents": consenting.public_consents(tally),
            "resolution": record.number if record is not None else None,
            "verdict": record.document.get("verdict") if record is not None else None,
        }
    if not electorate.is_owners_matter(proposal):
        return await consultation_result(proposal)
    resolution = await current_resolution(proposal)
    if resolution is None:
        raise Conflict(_("The count of this vote is not available yet."), code="not_counted")
    document = resolution.document
    return {
        "state": proposal.state,
        **document["result"],
        "channels": document.get("channels"),
        "head": document.get("head"),
        "entry_count": document.get("entry_count"),
        "secrecy": document.get("secrecy", "named"),
        "resolution": document.get("number"),
        "roll_fingerprint": document["roll"].get("published_fingerprint"),
        "verdict": document.get("verdict"),
        "consents": document.get("consents"),
    }


async def _meeting_result(proposal: Proposal) -> dict[str, Any]:
    """A residents' meeting: no ballots and no turnout of owners; after the close, its decision."""
    if proposal.state not in ("voting", *CLOSED):
        raise Conflict(_("Voting on this proposal has not opened yet."), code="not_open")
    meeting = await ResidentsMeeting.get_or_none(proposal_id=proposal.id)
    result = meeting.result if meeting is not None and meeting.result else None
    return {
        "state": proposal.state,
        "outcome": result["outcome"] if result else None,
        "reason": result["reason"] if result else None,
        "tests": result["tests"] if result else [],
        "meeting": result,
    }


async def result_json(user: User, proposal_id: int) -> dict[str, Any]:
    proposal, _access = await access_proposal(user, proposal_id)
    return await result_of(proposal)


async def ledger_json(user: User, proposal_id: int) -> dict[str, Any]:
    """The whole ledger, published once the vote has closed (hall members)."""
    proposal, _access = await access_proposal(user, proposal_id)
    if proposal.state not in CLOSED:
        raise Conflict(
            _("The ledger is published when the vote closes; until then only turnout is shown."),
            code="not_closed",
        )
    if await secrecy.is_secret(proposal.id):  # sealed ballots and their proofs, never a choice
        sealed = await secrecy.secret_entries(proposal.id)
        return {
            "entries": [secrecy.published_entry(e) for e in sealed],
            "head": sealed[-1].hash if sealed else GENESIS,
        }
    entries = await ledger_entries(proposal.id)
    return published_ledger(entries)


async def building_turnout(user: User, proposal_id: int) -> list[dict[str, Any]]:
    """Participation per building for the committee while voting: units and area voted, no choices."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_see_turnout)
    return await building_rows(proposal)


async def building_rows(proposal: Proposal) -> list[dict[str, Any]]:
    if not electorate.is_owners_matter(proposal) or proposal.snapshot_id is None:
        return []
    snapshot = await electorate.load_snapshot(proposal)
    voted = set(await BallotSlot.filter(proposal_id=proposal.id).values_list("person_key", flat=True))
    rows: dict[str, dict[str, int]] = {}
    persons: dict[str, set[str]] = {}
    for unit in frozen_units(snapshot):
        person = unit.person
        if person is None:
            continue
        row = rows.setdefault(unit.building, {"units": 0, "voted": 0, "area": 0, "area_voted": 0})
        persons.setdefault(unit.building, set()).add(person)
        row["units"] += 1
        row["area"] += int(unit.area_cents)
        if person in voted:
            row["voted"] += 1
            row["area_voted"] += int(unit.area_cents)
    result = []
    for name, row in sorted(rows.items()):
        # Persons as the count has them (one per owner, the developer's units one), not units.
        in_building = persons[name]
        took_part = len(in_building & voted)
        result.append(
            {
                "building": name,
                "persons": len(in_building),
                "persons_voted": took_part,
                "units": row["units"],
                "units_voted": row["voted"],
                "area": format_area(row["area"]),
                "area_voted": format_area(row["area_voted"]),
                "percent": (100 * took_part // len(in_building)) if in_building else 0,
            }
        )
    return result

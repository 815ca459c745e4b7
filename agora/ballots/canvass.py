"""The canvasser's door-to-door rails: find the owner on the frozen roll, see who it is, confirm.

The canvasser types what the door says (building and room) or the owner's name; the page shows
name, unit and area and whether this person has already voted, so a typo never silently uses up
someone else's one ballot. Names come from the compound's roll and are shown only to canvassers.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.accounts.models import User
from agora.ballots import electorate
from agora.ballots.casting import access_as_canvasser
from agora.ballots.finding import Candidate, find
from agora.ballots.models import BallotSlot
from agora.proposals.models import Proposal
from agora.rooms.counting import format_area
from agora.rooms.models import Owner
from agora.rooms.snapshots import snapshot_units


@dataclass(frozen=True)
class Found:
    owner_ref: str
    name: str
    building: str
    entrance: str
    unit: str
    area: str
    voted: bool


async def candidates_of(proposal: Proposal) -> list[Candidate]:
    """Every (unit, owner) of the vote's frozen roll, with the owner's name from the roll."""
    snapshot = await electorate.load_snapshot(proposal)
    units = snapshot_units(snapshot)
    names = dict(
        await Owner.filter(compound_id=snapshot.compound_id).values_list("owner_ref", "name")  # type: ignore[arg-type]
    )
    return [
        Candidate(ref, str(names.get(ref, "")), u.building, u.entrance, u.unit, u.area_cents)
        for u in units
        for ref in u.owners
    ]


async def _found(proposal: Proposal, matches: list[Candidate]) -> list[Found]:
    info = await electorate.snapshot_info(proposal)
    persons = {c.owner_ref: info.index.person_of.get(c.owner_ref) for c in matches}
    keys = [k for k in persons.values() if k]
    voted = set(
        await BallotSlot.filter(proposal_id=proposal.id, person_key__in=keys).values_list(
            "person_key", flat=True
        )
    )
    return [
        Found(c.owner_ref, c.name, c.building, c.entrance, c.unit, format_area(c.area_cents),
              persons[c.owner_ref] in voted)  # fmt: skip
        for c in matches
    ]


async def find_owners(user: User, proposal_id: int, query: str) -> tuple[Proposal, list[Found]]:
    """Canvassers only (403 otherwise): the owners the query names, best first."""
    proposal, _access = await access_as_canvasser(user, proposal_id)
    if not query.strip():
        return proposal, []
    return proposal, await _found(proposal, find(await candidates_of(proposal), query[:60]))


async def owner_on_roll(user: User, proposal_id: int, owner_ref: str) -> Found | None:
    """The owner with this reference on the vote's frozen roll (first unit), or None."""
    proposal, _access = await access_as_canvasser(user, proposal_id)
    matches = [c for c in await candidates_of(proposal) if c.owner_ref == owner_ref.strip()]
    if not matches:
        return None
    return (await _found(proposal, matches[:1]))[0]

""""What needs me now": a hall's open votes with their deadline, turnout and the caller's part.

Read by the hall page so that the open vote is the first thing a resident sees, not a link a
thousand pixels down a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agora.accounts.models import User
from agora.ballots import electorate
from agora.ballots.charts import percent
from agora.ballots.ledger import turnout_now
from agora.ballots.models import BallotSlot
from agora.errors import DomainError
from agora.proposals.models import Proposal
from agora.rooms.access import HallAccess


@dataclass(frozen=True)
class OpenVote:
    """One open vote as the hall shows it. `mine`: "to_vote", "voted", or None (no ballot here)."""

    proposal: Proposal
    closes_at: datetime | None
    persons: int
    persons_total: int | None
    percent: str
    owners_matter: bool
    mine: str | None


async def my_part(proposal: Proposal, access: HallAccess, user: User) -> str | None:
    """"to_vote", "voted", or None when the caller has no ballot on this proposal."""
    part, _person = await my_part_and_person(proposal, access, user)
    return part


async def my_part_and_person(
    proposal: Proposal, access: HallAccess, user: User
) -> tuple[str | None, str | None]:
    """`my_part`, and the key of the person whose ballot is the caller's (None with no ballot)."""
    try:
        voter = await electorate.voter_for_user(proposal, access, user)
    except DomainError:
        return None, None
    voted = await BallotSlot.exists(proposal_id=proposal.id, person_key=voter.person_key)
    return ("voted" if voted else "to_vote"), voter.person_key


async def open_votes(access: HallAccess, user: User) -> list[OpenVote]:
    """The hall's proposals in voting, the one closing soonest first; those the caller still has to
    vote on before those already voted."""
    proposals = await Proposal.filter(hall_id=access.hall.id, state="voting").order_by("closes_at", "id")
    votes: list[OpenVote] = []
    for proposal in proposals:
        turnout: dict[str, Any] = await turnout_now(proposal)
        total = turnout.get("persons_total")
        votes.append(
            OpenVote(
                proposal=proposal,
                closes_at=proposal.closes_at,
                persons=int(turnout["persons"]),
                persons_total=total,
                percent=percent(int(turnout["persons"]), total),
                owners_matter=electorate.is_owners_matter(proposal),
                mine=await my_part(proposal, access, user),
            )
        )
    votes.sort(key=lambda v: v.mine != "to_vote")  # stable: keeps the deadline order within each
    return votes

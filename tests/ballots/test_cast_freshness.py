"""An online cast reads the caller's credentials and standing fresh on every request (nothing cached)."""

from __future__ import annotations

import httpx

from agora import clock
from agora.accounts.models import ApiToken, User
from agora.ballots.models import BallotSlot
from agora.rooms.models import Owner, Ownership
from tests.ballots.factories import cast, voting_proposal
from tests.rooms.factories import compound_with_roll


async def test_a_revoked_token_stops_the_very_next_cast(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    other = await voting_proposal(compound, title="第二项表决")
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, proposal.id, a, "yes")).status_code == 201
    await ApiToken.filter(user__login="owner-a").update(revoked_at=clock.now())
    refused = await cast(client, other.id, a, "yes")
    assert refused.status_code == 401, refused.text
    assert await BallotSlot.filter(proposal_id=other.id).count() == 0


async def test_a_disabled_account_stops_the_very_next_cast(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    other = await voting_proposal(compound, title="第二项表决")
    b = await compound.owner("B", "owner-b")
    assert (await cast(client, proposal.id, b, "no")).status_code == 201
    await User.filter(login="owner-b").update(is_active=False)
    refused = await cast(client, other.id, b, "no")
    assert refused.status_code == 401, refused.text
    assert await BallotSlot.filter(proposal_id=other.id).count() == 0


async def test_an_owner_whose_units_changed_hands_loses_the_vote_at_once(client: httpx.AsyncClient) -> None:
    """Standing is read fresh on every cast: a sale recorded on the roll stops the seller's very next
    cast. (An owner merely left off the roll keeps the vote on a roll frozen before: issue 14.)"""
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    other = await voting_proposal(compound, title="第二项表决")
    third = await voting_proposal(compound, title="第三项表决")
    d = await compound.owner("D", "owner-d")
    assert (await cast(client, proposal.id, d, "yes")).status_code == 201
    await Owner.filter(owner_ref="D").update(active=False)
    kept = await cast(client, other.id, d, "yes")
    assert kept.status_code == 201, kept.text  # still on the roll frozen when that vote opened
    seller = await Owner.get(owner_ref="D")
    buyer = await Owner.create(compound_id=seller.compound_id, owner_ref="N", name="买家", active=True)  # type: ignore[attr-defined]
    await Ownership.filter(owner_id=seller.id).update(owner_id=buyer.id)
    refused = await cast(client, third.id, d, "yes")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "unit_sold", refused.text
    assert await BallotSlot.filter(proposal_id=third.id).count() == 0

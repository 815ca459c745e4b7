"""Casting online: one ballot per person, weights from the frozen roll, the window, idempotency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from agora import clock
from agora.ballots.chain import hash_receipt, verify_chain
from agora.ballots.ledger import ledger_entries
from agora.ballots.models import BallotSlot, IdempotencyKey
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, set_roles, voting_proposal
from tests.rooms.factories import compound_with_roll


async def test_an_owner_casts_once_with_the_weight_of_their_person(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    d = await compound.owner("D", "owner-d")  # D holds two units of 75.00 m²: one person, 150.00 m²
    response = await cast(client, proposal.id, d, "yes")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"receipt", "entry_hash", "persons", "area"}
    assert body["persons"] == 1 and body["area"] == "150.00"
    entries = await ledger_entries(proposal.id)
    assert entries[0].receipt_hash == hash_receipt(body["receipt"]) and entries[0].hash == body["entry_hash"]
    again = await cast(client, proposal.id, d, "no")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_voted"
    assert "线上" in again.json()["error"]["message"]
    mine = await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=d)
    assert mine.status_code == 200
    # A secret vote (the default): agora keeps no choice, so the voter's own view has none either.
    assert mine.json()["choice"] is None and mine.json()["sealed"] is True
    assert mine.json()["channel"] == "online"
    assert mine.json()["receipt_hash"] == hash_receipt(body["receipt"]) and mine.json()["receipt"] is None


async def test_co_owners_share_one_ballot_even_at_the_same_instant(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    b = await compound.owner("B", "owner-b")
    c = await compound.owner("C", "owner-c")
    first, second = await asyncio.gather(
        cast(client, proposal.id, b, "yes"), cast(client, proposal.id, c, "no")
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["error"]["code"] == "already_voted"
    assert await BallotSlot.filter(proposal_id=proposal.id).count() == 1
    winner = first if first.status_code == 201 else second
    assert winner.json()["area"] == "102.30"
    # The co-owner who did not vote sees the shared ballot.
    assert (await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=c)).status_code == 200


async def test_two_hundred_simultaneous_casts_for_one_person(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=str(client.base_url), limits=limits, timeout=120) as burst:
        responses = await asyncio.gather(
            *(cast(burst, proposal.id, a, ("yes", "no", "abstain")[n % 3]) for n in range(200))
        )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 199
    assert all(r.json()["error"]["code"] == "already_voted" for r in responses if r.status_code == 409)
    entries = await ledger_entries(proposal.id)
    assert len(entries) == 1 and verify_chain(proposal.id, entries) == []


async def test_many_owners_at_once_keep_the_chain_unbroken(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    owners = [await compound.owner(ref, f"owner-{ref.lower()}") for ref in ("A", "B", "D", "E", "G")]
    responses = await asyncio.gather(*(cast(client, proposal.id, h, "yes") for h in owners * 4))
    assert [r.status_code for r in responses].count(201) == 5
    entries = await ledger_entries(proposal.id)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert verify_chain(proposal.id, entries) == []


async def test_idempotency_key_retry_returns_the_same_receipt(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    e = await compound.owner("E", "owner-e")
    first = await cast(client, proposal.id, e, "no", **{"Idempotency-Key": "tap-1"})
    retry = await cast(client, proposal.id, e, "no", **{"Idempotency-Key": "tap-1"})
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    # Only a sealed copy is kept, and it is gone once the vote closes.
    row = await IdempotencyKey.get(proposal_id=proposal.id)
    assert first.json()["receipt"] not in str(row.response) and "tap-1" not in row.key_hash
    other = await cast(client, proposal.id, e, "no", **{"Idempotency-Key": "tap-2"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_voted"
    await close_now(proposal)
    assert await IdempotencyKey.filter(proposal_id=proposal.id).count() == 0


async def test_choices_tenants_strangers_and_other_compounds(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    other = await compound_with_roll(client, slug="moon", name="月光小区", admin=compound.admin)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    bad = await cast(client, proposal.id, a, "maybe")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_choice"
    tenant = await set_roles(compound, "tenant-1", "tenant")
    refused = await cast(client, proposal.id, tenant, "yes")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_vote"
    stranger = await other.owner("A", "moon-a")  # an owner of the other compound, same owner_ref
    hidden = await cast(client, proposal.id, stranger, "yes")
    assert hidden.status_code == 404
    assert (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=stranger)).status_code == 404


async def test_nothing_is_accepted_before_opening_or_after_closing(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    e = await compound.owner("E", "owner-e")
    await Proposal.filter(id=proposal.id).update(state="notice")
    early = await cast(client, proposal.id, a, "yes")
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_open"
    await Proposal.filter(id=proposal.id).update(state="voting")
    # The window has passed but the scheduler has not run yet: still refused, inside the transaction.
    clock.travel(timedelta(days=7, seconds=1))
    late = await cast(client, proposal.id, a, "yes")
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_open"
    await close_now(proposal)
    after = await cast(client, proposal.id, e, "yes")
    assert after.status_code == 409 and after.json()["error"]["code"] == "not_open"
    assert "关闭" in after.json()["error"]["message"]


async def test_revote_replaces_the_earlier_ballot_when_the_rules_allow(client: httpx.AsyncClient) -> None:
    from tests.ballots.factories import set_rules

    compound = await compound_with_roll(client)
    await set_rules(compound, revote=True)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, proposal.id, a, "no")).status_code == 201
    second = await cast(client, proposal.id, a, "yes")
    assert second.status_code == 201
    entries = await ledger_entries(proposal.id)
    assert [(e.seq, e.replaces) for e in entries] == [(1, None), (2, 1)]
    assert all(e.choice == "" and e.ciphertext for e in entries)  # sealed: the choices are not kept
    assert verify_chain(proposal.id, entries) == []
    mine = (await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=a)).json()
    assert mine["choice"] is None and mine["receipt_hash"] == entries[1].receipt_hash
    await close_now(proposal)  # only the second ballot counts: one yes, no "no"
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=a)).json()
    assert result["choices"]["yes"]["persons"] == 1 and result["choices"]["no"]["persons"] == 0


async def test_consultation_one_ballot_per_member_account(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    options = [{"key": "east", "label": "东门"}, {"key": "west", "label": "西门"}]
    proposal = await voting_proposal(compound, matter="consultation", options=options)
    tenant = await set_roles(compound, "tenant-2", "tenant")
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, proposal.id, tenant, "east")).status_code == 201
    assert (await cast(client, proposal.id, a, "west")).json()["area"] == "0.00"
    assert (await cast(client, proposal.id, a, "yes")).status_code == 422
    assert (await cast(client, proposal.id, tenant, "west")).status_code == 409
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=a)).json()
    assert result["choices"] == {"east": {"persons": 1}, "west": {"persons": 1}}


async def test_step_one_of_the_vote_page_refuses_someone_without_a_vote(client: httpx.AsyncClient) -> None:
    """A tenant on an owners' matter is told at once, not shown a confirmation page for nothing."""
    from tests.ballots.factories import set_roles, voting_proposal
    from tests.rooms.factories import compound_with_roll
    from tests.support import browser_login, csrf_from

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await set_roles(compound, "tenant-step", "tenant")
    async with httpx.AsyncClient(base_url=str(client.base_url)) as browser:
        await browser_login(browser, "tenant-step")
        page = await browser.get(f"/proposals/{proposal.id}/vote")
        token = csrf_from(page.text)
        response = await browser.post(
            f"/proposals/{proposal.id}/vote", data={"choice": "yes", "csrf_token": token}
        )
    assert response.status_code == 403
    assert "idempotency_key" not in response.text

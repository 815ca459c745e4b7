"""Online ballots cast at the same moment are written together (one transaction per batch) and each is
still decided on its own: every distinct owner gets a receipt, a second ballot for a person in the
same burst is refused with 409 while the others land, retries with one Idempotency-Key get one
receipt, and the chain stays linear."""

from __future__ import annotations

import asyncio

import httpx

from agora.ballots.chain import hash_receipt, verify_chain
from agora.ballots.ledger import ledger_entries
from agora.ballots.models import BallotSlot, IdempotencyKey
from tests.ballots.factories import cast, close_now, simple_compound, voting_proposal
from tests.reliability.procs import owner_tokens
from tests.rooms.factories import Row

ROWS = [Row(str(1 + k // 20), f"{100 + k}", "88.80", f"Q{k:02d}", f"业主{k}") for k in range(40)]


def burst_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(base_url=str(client.base_url), limits=limits, timeout=60)


async def test_a_burst_of_distinct_owners_all_get_receipts_and_duplicates_are_refused(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    proposal = await voting_proposal(compound)
    refs = [row.owner_ref for row in ROWS]
    owners = await owner_tokens(compound.slug, refs)
    twice = refs[::8]  # five owners tap twice, at the same moment as everyone else
    plan = [(ref, ("yes", "no", "abstain")[n % 3]) for n, ref in enumerate(refs)] + [(r, "no") for r in twice]
    async with burst_client(client) as burst:
        responses = await asyncio.gather(*(cast(burst, proposal.id, owners[ref], c) for ref, c in plan))
    by_owner: dict[str, list[httpx.Response]] = {}
    for (ref, _choice), response in zip(plan, responses, strict=True):
        by_owner.setdefault(ref, []).append(response)
    for ref, answers in by_owner.items():
        statuses = sorted(r.status_code for r in answers)
        assert statuses == ([201, 409] if ref in twice else [201]), (ref, [r.text for r in answers])
        for refused in (r for r in answers if r.status_code == 409):
            assert refused.json()["error"]["code"] == "already_voted"
            assert "线上" in refused.json()["error"]["message"]
    entries = await ledger_entries(proposal.id)
    assert [e.seq for e in entries] == list(range(1, 41))
    assert verify_chain(proposal.id, entries) == []
    receipts = {hash_receipt(r.json()["receipt"]) for r in responses if r.status_code == 201}
    assert receipts == {e.receipt_hash for e in entries}
    hashes = {r.json()["entry_hash"] for r in responses if r.status_code == 201}
    assert hashes == {e.hash for e in entries}
    assert await BallotSlot.filter(proposal_id=proposal.id).count() == 40
    for ref in twice:  # the ballot that counts is the one that got the receipt
        mine = (await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=owners[ref])).json()
        accepted = next(r for r in by_owner[ref] if r.status_code == 201)
        assert mine["receipt_hash"] == hash_receipt(accepted.json()["receipt"])
    turnout = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owners["Q00"])).json()
    assert turnout["turnout"]["persons"] == 40


async def test_retries_with_one_key_in_a_burst_get_one_receipt(client: httpx.AsyncClient) -> None:
    compound = await simple_compound(client, ROWS[:12])
    proposal = await voting_proposal(compound)
    refs = [row.owner_ref for row in ROWS[:12]]
    owners = await owner_tokens(compound.slug, refs)
    plan = [(ref, {}) for ref in refs[1:]] + [(refs[0], {"Idempotency-Key": "tap-1"})] * 4
    async with burst_client(client) as burst:
        responses = await asyncio.gather(
            *(cast(burst, proposal.id, owners[ref], "yes", **headers) for ref, headers in plan)
        )
    assert [r.status_code for r in responses] == [201] * len(plan), [r.text for r in responses]
    keyed = [r.json() for r in responses[len(refs) - 1 :]]
    assert all(body == keyed[0] for body in keyed)
    entries = await ledger_entries(proposal.id)
    assert len(entries) == 12 and verify_chain(proposal.id, entries) == []
    assert await IdempotencyKey.filter(proposal_id=proposal.id).count() == 1
    # The same key on another proposal is refused.
    other = await voting_proposal(compound)
    reused = await cast(client, other.id, owners[refs[0]], "yes", **{"Idempotency-Key": "tap-1"})
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"


async def test_ballots_after_the_close_in_a_burst_are_all_refused(client: httpx.AsyncClient) -> None:
    compound = await simple_compound(client, ROWS[:10])
    proposal = await voting_proposal(compound)
    refs = [row.owner_ref for row in ROWS[:10]]
    owners = await owner_tokens(compound.slug, refs)
    assert (await cast(client, proposal.id, owners[refs[0]], "yes")).status_code == 201
    await close_now(proposal)
    async with burst_client(client) as burst:
        responses = await asyncio.gather(*(cast(burst, proposal.id, owners[ref], "yes") for ref in refs))
    assert [r.status_code for r in responses] == [409] * 10
    assert {r.json()["error"]["code"] for r in responses} == {"not_open"}
    entries = await ledger_entries(proposal.id)
    assert len(entries) == 1 and verify_chain(proposal.id, entries) == []

"""Ballot integrity under real concurrency: two worker processes on one database.

The roll and the votes are seeded through agora's services in the test process; then
`agora serve --workers 2` serves them (the migrated SQLite file of this test, or the PostgreSQL test
database) and the test floods it. Each time: exactly one counted ballot per person, clear 409s for
the rest, no 5xx and never "database is locked" in any worker's log, and an unbroken hash chain.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from agora.ballots.chain import hash_receipt
from agora.ballots.models import BallotSlot, LedgerRow
from agora.proposals.models import Proposal
from tests.ballots.factories import set_roles, simple_compound, voting_proposal
from tests.reliability.procs import AgoraProcess, chain_problems, no_server_errors, owner_tokens
from tests.rooms.factories import Row

# 24 single owners, and one unit with two co-owners (X1, X2 are one person).
ROWS = [Row("1", f"{100 + k}", "80.00", f"P{k:02d}", f"业主{k}") for k in range(24)] + [
    Row("1", "999", "120.00", "X1", "共有甲"),
    Row("1", "999", "120.00", "X2", "共有乙"),
]


@pytest.fixture
async def two_workers(server, tmp_path: Path):  # type: ignore[no-untyped-def]
    process = AgoraProcess(server.settings.database_url, tmp_path / "workers", workers=2)
    yield process
    process.stop()


def post_ballot(http: httpx.AsyncClient, proposal_id: int, headers: dict[str, str], choice: str = "yes"):  # type: ignore[no-untyped-def]
    return http.post(f"/api/v1/proposals/{proposal_id}/ballots", json={"choice": choice}, headers=headers)


def codes(responses: list[httpx.Response]) -> Counter:
    return Counter(
        (r.status_code, r.json().get("error", {}).get("code") if r.status_code != 201 else None)
        for r in responses
    )


async def test_floods_co_owners_and_retries_count_exactly_once(client, two_workers) -> None:  # type: ignore[no-untyped-def]
    compound = await simple_compound(client, ROWS)
    proposal = await voting_proposal(compound)
    owners = await owner_tokens(compound.slug, ["P00", "P01", "P02", "X1", "X2"])
    await two_workers.start()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=two_workers.url, timeout=60, limits=limits) as http:
        # 1. A flood of identical ballots for one person.
        flood = await asyncio.gather(*(post_ballot(http, proposal.id, owners["P00"]) for _ in range(60)))
        no_server_errors(flood)
        assert codes(flood) == Counter({(201, None): 1, (409, "already_voted"): 59}), codes(flood)

        # 2. Co-owners of one unit at the same instant: one person, one ballot.
        both = await asyncio.gather(
            *(post_ballot(http, proposal.id, owners[ref], c) for ref, c in [("X1", "yes"), ("X2", "no")] * 15)
        )
        no_server_errors(both)
        assert codes(both) == Counter({(201, None): 1, (409, "already_voted"): 29}), codes(both)

        # 3. One request retried (concurrently, then later) with the same Idempotency-Key: one ballot,
        #    the same receipt every time; a new key afterwards is an ordinary duplicate.
        keyed = {**owners["P01"], "Idempotency-Key": "retry-me-7f3a"}
        retries = await asyncio.gather(*(post_ballot(http, proposal.id, keyed) for _ in range(20)))
        no_server_errors(retries)
        assert {r.status_code for r in retries} == {201}, codes(retries)
        assert len({r.json()["receipt"] for r in retries}) == 1
        late = await post_ballot(http, proposal.id, keyed)
        assert late.status_code == 201 and late.json() == retries[0].json()
        other_key = await post_ballot(http, proposal.id, {**owners["P01"], "Idempotency-Key": "another"})
        assert other_key.status_code == 409 and other_key.json()["error"]["code"] == "already_voted"

        # 4. Different keys from one person at once: still one ballot.
        mixed = await asyncio.gather(
            *(
                post_ballot(http, proposal.id, {**owners["P02"], "Idempotency-Key": f"k{n}"})
                for n in range(20)
            )
        )
        no_server_errors(mixed)
        assert codes(mixed) == Counter({(201, None): 1, (409, "already_voted"): 19}), codes(mixed)

    receipts = {
        hash_receipt(r.json()["receipt"]) for r in [*flood, *both, *retries, *mixed] if r.status_code == 201
    }
    rows = await LedgerRow.filter(proposal_id=proposal.id)
    assert {r.receipt_hash for r in rows} == receipts
    assert await BallotSlot.filter(proposal_id=proposal.id).count() == 4
    assert await chain_problems(proposal.id) == []
    two_workers.assert_clean_log()


async def test_ballots_racing_the_close_are_either_counted_or_refused(client, two_workers) -> None:  # type: ignore[no-untyped-def]
    compound = await simple_compound(client, ROWS)
    proposal = await voting_proposal(compound)
    refs = [f"P{k:02d}" for k in range(24)]
    owners = await owner_tokens(compound.slug, refs)
    moderator = await set_roles(compound, "mod-race", "moderator")
    await two_workers.start()
    limits = httpx.Limits(max_connections=60, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=two_workers.url, timeout=60, limits=limits) as http:
        # An owners' vote closes at its announced time, never before (issue 14): the window is moved
        # to end a moment from now, in the database, and the close is sent as it ends.
        ends = datetime.now(UTC) + timedelta(seconds=0.3)
        await Proposal.filter(id=proposal.id).update(closes_at=ends)

        async def close() -> httpx.Response:
            await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.02)
            return await http.post(
                f"/api/v1/proposals/{proposal.id}/transition", json={"to": "closed"}, headers=moderator
            )

        ballots = [
            post_ballot(http, proposal.id, owners[ref], "yes" if k % 3 else "no")
            for k, ref in enumerate(refs)
        ]
        # Twice the ballots (a retry without a key after the first answer) to keep the race busy.
        *answers, closed = await asyncio.gather(
            *ballots, *[post_ballot(http, proposal.id, owners[r]) for r in refs], close()
        )
        no_server_errors([*answers, closed])
        assert closed.status_code == 200, closed.text
        result = await http.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)
        assert result.status_code == 200
    for response in answers:
        assert response.status_code in (201, 409), response.text
        if response.status_code == 409:
            assert response.json()["error"]["code"] in ("not_open", "already_voted")
    accepted = [r for r in answers if r.status_code == 201]
    per_owner = Counter(r.request.headers["authorization"] for r in accepted)
    assert all(n == 1 for n in per_owner.values())
    rows = await LedgerRow.filter(proposal_id=proposal.id)
    # Every acknowledged ballot is in the ledger, and nothing else is.
    assert {r.receipt_hash for r in rows} == {hash_receipt(r.json()["receipt"]) for r in accepted}
    assert result.json()["participating"]["persons"] == len(accepted)
    assert (await Proposal.get(id=proposal.id)).state == "closed"
    assert await chain_problems(proposal.id) == []
    two_workers.assert_clean_log()

"""A secret ballot is sealed before the ledger's lock, on a vote day by a worker process
(`agora.ballots.sealer`): the server keeps answering while ballots are sealed, a refused second
ballot costs no sealing, a worker that dies loses no ballot, and what the ledger holds proves
whatever order the ballots reached the lock in."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from agora.ballots import elgamal, sealer
from agora.ballots.models import LedgerRow, VoteKey
from agora.ballots.queries import ledger_entries
from agora.ballots.secrecy import SEALER
from tests.ballots import slow_sealer
from tests.ballots.factories import cast, close_now, simple_compound, voting_proposal
from tests.rooms.factories import Row
from tests.support import process_gone

F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)  # Linux: the capacity of a pipe
ROWS = [Row("1", str(100 + n), "100.00", f"O{n}", f"业主{n}") for n in range(4)]


async def _ready(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not SEALER.ready:
        assert time.monotonic() < deadline, "the sealing worker did not start"
        await asyncio.sleep(0.02)


async def test_the_server_answers_while_a_ballot_is_sealed(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SEALER, "worker", "tests.ballots.slow_sealer")
    monkeypatch.setattr(SEALER, "start_after", 0)  # a vote day from the first ballot
    compound = await simple_compound(client, ROWS, slug="ahead")
    owners = [await compound.owner(f"O{n}", f"ahead-{n}") for n in range(4)]
    proposal = await voting_proposal(compound)
    assert await VoteKey.filter(proposal_id=proposal.id).exists()  # secret by default
    assert (await cast(client, proposal.id, owners[0], "yes")).status_code == 201  # starts the worker
    await _ready()

    async def page() -> float:
        await asyncio.sleep(slow_sealer.SLOW / 4)  # once the cast is sealing (late, if the loop is held)
        response = await client.get(f"/api/v1/proposals/{proposal.id}", headers=owners[1])
        assert response.status_code == 200, response.text
        return time.perf_counter() - started

    started = time.perf_counter()
    ballot, answered = await asyncio.gather(cast(client, proposal.id, owners[1], "no"), page())
    assert ballot.status_code == 201, ballot.text
    assert time.perf_counter() - started >= slow_sealer.SLOW  # the slow worker sealed it
    sent = slow_sealer.SLOW / 4
    assert answered < slow_sealer.SLOW * 0.75, f"a read sent at {sent:.2f} s was answered at {answered:.2f} s"


async def test_a_refused_second_ballot_is_not_sealed(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = sealer.seal_choice

    def counted(public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> tuple[str, str]:
        calls.append(receipt_hash)
        return real(public_key, proposal_id, receipt_hash, choice)

    monkeypatch.setattr(sealer, "seal_choice", counted)  # sealed in this process: the first 32 are
    compound = await simple_compound(client, ROWS, slug="ahead2")
    owner = await compound.owner("O0", "ahead2-0")
    proposal = await voting_proposal(compound)
    assert (await cast(client, proposal.id, owner, "no")).status_code == 201
    again = await cast(client, proposal.id, owner, "yes")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_voted"
    assert len(calls) == 1  # only the first ballot was sealed
    assert not SEALER.started


@pytest.mark.parametrize("in_worker", [False, True], ids=["sealed-on-the-loop", "sealed-by-the-worker"])
async def test_ballots_sealed_ahead_chain_and_prove_in_any_order(
    client: httpx.AsyncClient, in_worker: bool
) -> None:
    """Concurrent casts are sealed apart and chained in whatever order they reach the lock: each
    entry's proof binds its own receipt, and the close decrypts what was cast."""
    compound = await simple_compound(client, ROWS, slug="ahead3")
    owners = [await compound.owner(f"O{n}", f"ahead3-{n}") for n in range(4)]
    proposal = await voting_proposal(compound)
    if in_worker:
        SEALER.start()
        await _ready()
    choices = ["yes", "no", "yes", "abstain"]
    casts = [cast(client, proposal.id, owner, choice) for owner, choice in zip(owners, choices, strict=True)]
    answers = await asyncio.gather(*casts)
    assert [r.status_code for r in answers] == [201] * 4
    assert SEALER.ready is in_worker
    key = bytes.fromhex((await VoteKey.get(proposal_id=proposal.id)).public_key)
    entries = await ledger_entries(proposal.id)
    for entry in entries:
        assert entry.ciphertext is not None and entry.proof is not None
        elgamal.check_ballot(key, proposal.id, entry.receipt_hash, bytes.fromhex(entry.ciphertext),
                             bytes.fromhex(entry.proof))  # fmt: skip
    assert sorted(r.json()["entry_hash"] for r in answers) == sorted(e.hash for e in entries)
    assert all(row.choice == "" for row in await LedgerRow.filter(proposal_id=proposal.id))
    assert await close_now(proposal) == 1
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owners[0])).json()
    assert result["choices"]["yes"] == {"persons": 2, "area": "200.00"}
    assert result["choices"]["no"] == {"persons": 1, "area": "100.00"}
    assert result["choices"]["abstain"] == {"persons": 1, "area": "100.00"}


async def test_the_sealing_worker_starts_after_32_ballots(client: httpx.AsyncClient) -> None:
    """A server that seals a ballot now and then starts no process; from the 33rd ballot on, the
    worker seals them."""
    rows = [Row("1", str(100 + n), "100.00", f"O{n}", f"业主{n}") for n in range(40)]
    compound = await simple_compound(client, rows, slug="ahead4")
    proposal = await voting_proposal(compound)
    for n in range(32):
        owner = await compound.owner(f"O{n}", f"ahead4-{n}")
        assert (await cast(client, proposal.id, owner, "yes")).status_code == 201
    assert not SEALER.started
    owner = await compound.owner("O32", "ahead4-32")
    assert (await cast(client, proposal.id, owner, "no")).status_code == 201  # sealed here; the worker starts
    await _ready()
    assert SEALER.pid is not None
    assert b"agora.ballots.sealer" in Path(f"/proc/{SEALER.pid}/cmdline").read_bytes()
    for n in range(33, 40):
        owner = await compound.owner(f"O{n}", f"ahead4-{n}")
        assert (await cast(client, proposal.id, owner, "abstain")).status_code == 201
    assert await close_now(proposal) == 1
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owner)).json()
    assert [result["choices"][c]["persons"] for c in ("yes", "no", "abstain")] == [32, 1, 7]


async def test_a_worker_that_dies_loses_no_ballot(client: httpx.AsyncClient) -> None:
    """Killed while it seals: the ballots it held are sealed in the server, each acknowledged ballot
    is in the ledger and counted, and a new worker comes after 32 more ballots."""
    rows = [Row("1", str(100 + n), "100.00", f"O{n}", f"业主{n}") for n in range(12)]
    compound = await simple_compound(client, rows, slug="ahead5")
    owners = [await compound.owner(f"O{n}", f"ahead5-{n}") for n in range(12)]
    proposal = await voting_proposal(compound)
    SEALER.start()
    await _ready()
    pid = SEALER.pid
    assert pid is not None
    casts = [cast(client, proposal.id, owner, "yes") for owner in owners]
    os.kill(pid, signal.SIGKILL)
    answers = await asyncio.gather(*casts)
    assert [r.status_code for r in answers] == [201] * 12
    assert await process_gone(pid)
    assert not SEALER.ready
    assert len(await ledger_entries(proposal.id)) == 12
    assert await close_now(proposal) == 1
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owners[0])).json()
    assert result["choices"]["yes"]["persons"] == 12


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
async def test_the_app_s_shutdown_ends_the_sealing_worker(settings) -> None:  # type: ignore[no-untyped-def]
    """The app's shutdown ends the sealing worker while the process that served it lives on: an app
    stopped inside a longer-lived process (a test, an embedding server) leaves no worker behind."""
    from agora.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        SEALER.start()
        await _ready()
        pid = SEALER.pid
    assert pid is not None and not SEALER.started
    assert await process_gone(pid), "the sealing worker outlived the app's shutdown"


async def test_a_worker_that_stops_reading_holds_a_bounded_number_of_ballots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that stops reading its pipe: the requests it holds are bounded (the pipe's own buffer
    and `sealer.BEHIND` bytes more); past that, each ballot is sealed in the server, properly, and
    answered at once, so a stalled worker neither swallows a vote day's ballots nor the server's memory."""
    monkeypatch.setattr(SEALER, "worker", "tests.ballots.stalled_sealer")
    SEALER.start()
    await _ready()
    pid = SEALER.pid
    assert pid is not None
    key = elgamal.generate_key()
    held: list[asyncio.Task[sealer.Sealed]] = []
    sealed: tuple[str, sealer.Sealed] | None = None
    try:
        for n in range(10_000):
            receipt_hash = f"{n:064x}"
            task = asyncio.create_task(SEALER.seal(key.public, 7, receipt_hash, "yes"))
            await asyncio.sleep(0)  # the task's first step: a request on the pipe, or sealed here
            if task.done():
                sealed = receipt_hash, task.result()
                break
            held.append(task)
        assert sealed is not None, "every ballot waited for a worker that reads nothing"
        stdin = SEALER._stdin
        assert stdin is not None
        pipe = fcntl.fcntl(stdin.get_extra_info("pipe").fileno(), F_GETPIPE_SZ)
        shortest = len(f"0 {key.public.hex()} 7 {sealed[0]} yes\n")  # a request line, as few bytes as any
        assert len(held) <= (pipe + sealer.BEHIND) // shortest + 2, (len(held), pipe)
        assert not any(task.done() for task in held)  # the held ones still wait for the worker
        receipt_hash, (ciphertext, proof) = sealed
        elgamal.check_ballot(key.public, 7, receipt_hash, bytes.fromhex(ciphertext), bytes.fromhex(proof))
    finally:
        SEALER.stop()
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)
    assert await process_gone(pid)

"""Closing: exactly once across workers, by the schedule, at start-up after downtime, by a moderator."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from agora import clock
from agora.ballots.chain import LedgerEntry, verify_chain
from agora.ballots.models import Resolution
from agora.ballots.voting import close_overdue
from agora.live.models import LiveEvent
from agora.proposals.models import Proposal, ProposalTransition
from agora.storage.backup import backup
from tests.ballots.factories import cast, close_now, set_roles, voting_proposal
from tests.rooms.factories import compound_with_roll


async def test_two_workers_closing_at_once_close_exactly_once(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, proposal.id, a, "yes")).status_code == 201
    clock.travel(timedelta(days=7, seconds=1))
    counts = await asyncio.gather(close_overdue(), close_overdue(), close_overdue())
    assert sum(counts) == 1
    assert await Resolution.filter(proposal_id=proposal.id).count() == 1
    assert await ProposalTransition.filter(proposal_id=proposal.id, to_state="closed").count() == 1
    assert await LiveEvent.filter(type="result.published").count() == 1
    assert await close_overdue() == 0
    transition = await ProposalTransition.get(proposal_id=proposal.id, to_state="closed")
    assert transition.by_id is None  # type: ignore[attr-defined]


async def test_a_vote_not_yet_due_stays_open(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    clock.travel(timedelta(days=6, hours=23))
    assert await close_overdue() == 0
    assert (await Proposal.get(id=proposal.id)).state == "voting"


async def test_a_moderator_closes_through_the_proposal_transition(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    moderator = await set_roles(compound, "branch-1", "moderator")
    a = await compound.owner("A", "owner-a")
    await cast(client, proposal.id, a, "yes")
    url = f"/api/v1/proposals/{proposal.id}/transition"
    early = await client.post(url, json={"to": "closed"}, headers=moderator)
    assert early.status_code == 409 and early.json()["error"]["code"] == "window_open"  # no early close
    assert proposal.closes_at is not None
    clock.travel(proposal.closes_at - clock.now())
    moderator = await set_roles(compound, "branch-1", "moderator")  # a fresh token after a week
    response = await client.post(url, json={"to": "closed"}, headers=moderator)
    assert response.status_code == 200, response.text
    closed = await Proposal.get(id=proposal.id)
    assert closed.state == "closed" and closed.closed_at == proposal.closes_at
    assert await ProposalTransition.filter(proposal_id=proposal.id, to_state="closed").count() == 1
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=a)).json()
    assert result["outcome"] == "no_decision" and result["reason"] == "quorum_not_met"
    assert await close_overdue() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_vote_due_while_the_server_was_down_is_closed_before_the_first_request(
    client: httpx.AsyncClient, server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = server.settings.database_url
    if not url.startswith("sqlite"):
        return  # the subprocess check reads the SQLite file directly
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    await cast(client, proposal.id, a, "yes")
    # The window ended an hour ago, in real time, while "the server" (the scheduler) was not running.
    await Proposal.filter(id=proposal.id).update(closes_at=clock.now() - timedelta(hours=1))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(
        AGORA_DATABASE_URL=url,
        AGORA_VAR_DIR=str(tmp_path / "var2"),
        AGORA_ARGON2_PROFILE="test",
        AGORA_RUN_SCHEDULER="1",
        AGORA_SECRET_KEY=server.settings.secret_key,  # a restart keeps its secret: the vote keys need it
    )
    process = subprocess.Popen(  # noqa: ASYNC220 — a second agora process, like a restart
        [sys.executable, "-m", "agora.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as fresh:
            while True:
                try:
                    first = await fresh.get("/healthz")
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)
        assert first.status_code == 200
        db = sqlite3.connect(url.split("://", 1)[1])
        state = db.execute("SELECT state FROM proposals WHERE id = ?", (proposal.id,)).fetchone()[0]
        db.close()
        assert state == "closed"
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stderr is not None:
            process.stderr.close()
    assert (await Proposal.get(id=proposal.id)).state == "closed"
    assert await Resolution.filter(proposal_id=proposal.id).count() == 1


async def test_backup_copies_a_database_whose_chains_verify(
    client: httpx.AsyncClient, server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    if not server.settings.database_url.startswith("sqlite"):
        return
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    for ref in ("A", "B", "D", "E"):
        await cast(client, proposal.id, await compound.owner(ref, f"owner-{ref.lower()}"), "yes")
    await close_now(proposal)
    target = tmp_path / "backups" / "agora-copy.sqlite3"
    assert await backup(server.settings, target) == 0
    db = sqlite3.connect(target)
    ids = [row[0] for row in db.execute("SELECT DISTINCT proposal_id FROM ballot_ledger")]
    assert ids == [proposal.id]
    for proposal_id in ids:
        rows = db.execute(
            "SELECT seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev, hash,"
            " ciphertext, proof FROM ballot_ledger WHERE proposal_id = ? ORDER BY seq",
            (proposal_id,),
        ).fetchall()
        assert len(rows) == 4
        assert verify_chain(proposal_id, [LedgerEntry(*row) for row in rows]) == []
    state = db.execute("SELECT state FROM proposals WHERE id = ?", (proposal.id,)).fetchone()[0]
    assert state == "closed"
    db.close()


async def test_a_closing_time_given_in_beijing_time_closes_on_time(client: httpx.AsyncClient) -> None:
    from zoneinfo import ZoneInfo

    from agora.accounts.models import User
    from agora.ballots.voting import open_vote

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    closes = (clock.now() + timedelta(days=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    await open_vote(proposal, closes_at=closes, actor=await User.get(login="sunny-committee"))
    clock.travel(timedelta(days=5, seconds=1))
    assert await close_overdue() == 1


async def test_the_count_reads_every_entry_and_keeps_the_latest_of_each_slot(
    client: httpx.AsyncClient,
) -> None:
    """`ledger_entries` returns the stored chain entry for entry; `counted_ballots` keeps exactly what
    `chain.effective` keeps (revotes replace), also when a replaced entry is itself a revote."""
    from agora.ballots.chain import GENESIS, append, effective, hash_receipt, receipt_code
    from agora.ballots.ledger import counted_ballots, ledger_entries
    from agora.ballots.models import LedgerRow
    from agora.ballots.tally import CountedBallot

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    plan = [  # (choice, persons, area, replaces)
        ("yes", 1, 8950, None),
        ("no", 1, 12_000, None),
        ("abstain", 1, 8950, 1),
        ("invalid", 2, 30_001, None),
        ("yes", 1, 8950, 3),
        ("no", 1, 12_000, 2),
        ("yes", 1, 4_500, None),
    ]
    entries, prev = [], GENESIS
    for seq, (choice, persons, area, replaces) in enumerate(plan, 1):
        entry = append(
            prev,
            proposal.id,
            seq,
            receipt_hash=hash_receipt(receipt_code()),
            choice=choice,
            persons=persons,
            area_cents=area,
            channel=("online", "paper", "proxy")[seq % 3],
            at=f"2025-03-01T09:3{seq}:00+08:00",
            replaces=replaces,
        )
        entries.append(entry)
        prev = entry.hash
    rows = [
        LedgerRow(proposal_id=proposal.id, **{k: getattr(e, k) for k in e.__slots__})
        for e in reversed(entries)
    ]
    await LedgerRow.bulk_create(rows)

    stored = await ledger_entries(proposal.id)
    assert stored == entries and verify_chain(proposal.id, stored) == []
    assert all(type(e.area_cents) is int and type(e.seq) is int for e in stored)
    counted = await counted_ballots(proposal.id)
    assert counted == [CountedBallot(e.choice, e.persons, e.area_cents) for e in effective(entries)]
    assert [b.choice for b in counted] == ["invalid", "yes", "no", "yes"]
    assert await ledger_entries(proposal.id + 1000) == [] and await counted_ballots(proposal.id + 1000) == []


def _record_document(participation: list[dict[str, str]], **extra: object) -> dict:
    """The fields of a resolution record that the printable PDF shows."""
    tests = [
        {"name": name, "value": "3/4", "required": ">= 2/3", "met": True}
        for name in ("quorum_persons", "quorum_area", "approval_persons", "approval_area")
    ]
    return {
        "number": "阳光花园-2025-001",
        "status": "draft",
        "proposal": {
            "title": "加装电梯 (A) \\",
            "matter": "major",
            "item": 7,
            "body": "在1幢加装电梯。",
            "body_sha256": "b" * 64,
        },
        "hall": {"name": "阳光花园"},
        "result": {
            "outcome": "passed",
            "reason": None,
            "participating": {"persons": 4, "area": "400.00"},
            "choices": {"yes": {"persons": 4, "area": "400.00"}},
            "tests": tests,
        },
        "roll": {"totals": {"persons": 5, "area": "500.00"}},
        "channels": {"online": 4},
        "timeline": {"notice_at": None, "opens_at": "a", "closes_at": "b", "closed_at": "c"},
        "head": "a" * 64,
        "roll_fingerprint": "c" * 64,
        "participation": participation,
        **extra,
    }


def test_the_pdf_lists_every_participating_unit_under_its_building() -> None:
    from agora.ballots.pdf import record_pdf, render_pdf
    from tests.ballots.pdftext import extract_text

    units = [
        {"building": str(b), "unit": f"{floor:02d}{door:02d}", "area": f"{50 + floor}.{door:02d}"}
        for b in (1, 2, 10)
        for floor in range(1, 31)
        for door in range(1, 5)
    ]
    odd = [
        {"building": "东区A座", "unit": "商铺1", "area": "30.00"},
        {"building": "东区A座", "unit": "B(2)\\x", "area": "99999.99"},
        {"building": "C", "unit": "x" * 64, "area": "1.05"},
    ]
    wide = [  # wider than a line: wrapped, never cut
        {"building": "C", "unit": "W" * 64, "area": "88888.88"},
        {"building": "D", "unit": "楼" * 64, "area": "7.50"},
    ]
    text = extract_text(render_pdf(_record_document(units + odd + wide)))
    lines = set(text.split("\n"))
    for building in ("1幢", "2幢", "10幢", "东区A座幢", "C幢", "D幢"):
        assert building in lines, building
    for unit in units + odd:
        assert f"{unit['unit']} {unit['area']}" in text, unit
    for unit in wide:
        assert unit["unit"] in text.replace("\n", "") and unit["area"] in text
    assert "阳光花园-2025-001" in text and "a" * 64 in text and "（草稿，待业委会确认）" in text

    empty = extract_text(render_pdf(_record_document([])))
    assert "参与表决的专有部分（仅房号与面积）：\n—" in empty.replace("\n\n", "\n")

    posted = _record_document(units, status="final", record_hash="d" * 64)
    assert record_pdf(posted) is record_pdf(posted)  # a final record is frozen: rendered once
    preliminary = _record_document(units, status="preliminary", record_hash="e" * 64)
    assert record_pdf(preliminary) is not record_pdf(preliminary)  # objections still come in
    draft = _record_document(units)
    assert record_pdf(draft) is not record_pdf(draft)

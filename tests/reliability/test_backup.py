"""`agora backup` while ballots are being cast: the copy is consistent, restorable, and every ledger in
it verifies; each copied ledger is an exact prefix of the live one.

On PostgreSQL `agora backup` runs pg_dump: tests/cli/test_backup_postgres.py restores its dump
with pg_restore.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from agora.ballots.chain import LedgerEntry, verify_chain
from agora.ballots.models import LedgerRow
from tests.ballots.factories import simple_compound, voting_proposal
from tests.reliability.procs import SECRET, AgoraProcess, no_server_errors, owner_tokens
from tests.rooms.factories import Row

ROWS = [Row("1", f"{100 + k}", "66.60", f"B{k:02d}", f"业主{k}") for k in range(40)]
COLUMNS = (
    "seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev, hash,"
    " ciphertext, proof"
)


def run_backup(url: str, target: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATABASE_URL=url, AGORA_SECRET_KEY=SECRET, AGORA_VAR_DIR=str(workdir / "var"))
    return subprocess.run(
        [sys.executable, "-m", "agora.cli", "backup", str(target)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_an_online_backup_during_a_burst_restores_with_verifying_ledgers(
    server, client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = server.settings.database_url
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL: pg_dump and pg_restore in tests/cli/test_backup_postgres.py")
    compound = await simple_compound(client, ROWS)
    first = await voting_proposal(compound)
    second = await voting_proposal(compound, matter="ordinary", item=4)
    owners = await owner_tokens(compound.slug, [r.owner_ref for r in ROWS])
    agora = AgoraProcess(url, tmp_path / "live", workers=2)
    await agora.start()
    target = tmp_path / "backups" / "copy.sqlite3"
    try:
        limits = httpx.Limits(max_connections=40, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=agora.url, timeout=60, limits=limits) as http:
            casts = [
                http.post(
                    f"/api/v1/proposals/{p.id}/ballots", json={"choice": c}, headers=owners[r.owner_ref]
                )
                for r in ROWS
                for p, c in ((first, "yes"), (second, "no"))
            ]
            tasks = [asyncio.ensure_future(c) for c in casts]
            await asyncio.sleep(0.1)
            done = await asyncio.to_thread(run_backup, url, target, tmp_path)
            answers = await asyncio.gather(*tasks)
        assert done.returncode == 0, done.stdout + done.stderr
        no_server_errors(answers)
        assert {a.status_code for a in answers} == {201}
    finally:
        agora.stop()
    agora.assert_clean_log()

    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = {
            p.id: copy.execute(
                f"SELECT {COLUMNS} FROM ballot_ledger WHERE proposal_id = ? ORDER BY seq",  # noqa: S608
                (p.id,),
            ).fetchall()
            for p in (first, second)
        }
        slots = {
            p.id: copy.execute("SELECT COUNT(*) FROM ballot_slots WHERE proposal_id = ?", (p.id,)).fetchone()[
                0
            ]
            for p in (first, second)
        }
    finally:
        copy.close()
    for proposal_id, rows in copied.items():
        entries = [LedgerEntry(*row) for row in rows]
        assert verify_chain(proposal_id, entries) == []
        assert slots[proposal_id] == len(entries)  # ledger and slots from the same instant
        live = await LedgerRow.filter(proposal_id=proposal_id).order_by("seq").values_list("hash", flat=True)
        assert len(live) == 40
        assert [e.hash for e in entries] == list(live[: len(entries)])  # an exact prefix

    # Restore: serve the copy; it starts (migrated, durable settings) and answers.
    restored = AgoraProcess(f"sqlite://{target}", tmp_path / "restored")
    await restored.start()
    try:
        async with httpx.AsyncClient(base_url=restored.url, timeout=30) as http:
            assert (await http.get("/healthz")).json() == {"ok": True}
    finally:
        restored.stop()

"""Crashes and storage faults: no acknowledged ballot is ever lost, nothing is ever half-written.

- `kill -9` of the server in the middle of a burst of ballots, at several moments: after a restart
  every ballot that was answered 201 (a receipt) is in the ledger, the SQLite file passes
  `PRAGMA integrity_check`, the chain verifies, and an owner whose answer was lost can retry: they get
  either a receipt (their ballot was not written) or "already voted" (it was) — never two ballots.
- A full disk (the database on a small tmpfs filled to the last byte under the running server):
  ballots are refused with 503, nothing is half-written, and the same server accepts ballots again
  once space is freed — without a restart. This needs `mount` (root, as in CI's container); elsewhere
  it is skipped with that reason.
- A read-only database: `chmod` does not affect a file the server already holds open (and root
  ignores it), and the kernel refuses to remount a filesystem read-only while a file on it is open for
  writing (EBUSY). So the fault is injected: `readonly_shim.c`, compiled here and loaded with
  LD_PRELOAD into the server under test only, fails every write, truncate, sync, unlink and writable
  open of a file under the database's directory with EROFS while a flag file exists — what SQLite sees
  when the filesystem goes read-only under it. Ballots are refused with 503, nothing is half-written,
  and the same server accepts ballots once the flag is gone. Needs a C compiler; skipped without one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from agora.ballots.chain import hash_receipt
from agora.ballots.models import BallotSlot, LedgerRow
from tests.ballots.factories import simple_compound, voting_proposal
from tests.reliability.procs import AgoraProcess, chain_problems, no_server_errors, owner_tokens
from tests.rooms.factories import Row

ROWS = [Row(str(1 + k // 20), f"{100 + k}", "88.80", f"Q{k:02d}", f"业主{k}") for k in range(48)]


def integrity(url: str) -> str:
    db = sqlite3.connect(url.split("://", 1)[1])
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


async def cast(http: httpx.AsyncClient, proposal_id: int, headers: dict[str, str]) -> httpx.Response:
    return await http.post(
        f"/api/v1/proposals/{proposal_id}/ballots", json={"choice": "yes"}, headers=headers
    )


async def test_kill_9_in_the_middle_of_a_burst_loses_no_acknowledged_ballot(
    server, client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = server.settings.database_url
    compound = await simple_compound(client, ROWS)
    proposal = await voting_proposal(compound)
    refs = [r.owner_ref for r in ROWS]
    owners = await owner_tokens(compound.slug, refs)
    agora = AgoraProcess(url, tmp_path / "crash")
    await agora.start()
    acknowledged: set[str] = set()
    try:
        for cycle, delay in enumerate((0.02, 0.12, 0.35)):
            batch = refs[cycle * 16 : (cycle + 1) * 16]
            limits = httpx.Limits(max_connections=32, max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=agora.url, timeout=20, limits=limits) as http:
                tasks = [asyncio.ensure_future(cast(http, proposal.id, owners[ref])) for ref in batch]
                await asyncio.sleep(delay)
                agora.kill9()
                answers = await asyncio.gather(*tasks, return_exceptions=True)
            answered = {
                ref: a for ref, a in zip(batch, answers, strict=True) if isinstance(a, httpx.Response)
            }
            no_server_errors(list(answered.values()))
            ok = {ref: a for ref, a in answered.items() if a.status_code == 201}
            acknowledged |= {hash_receipt(a.json()["receipt"]) for a in ok.values()}

            if url.startswith("sqlite"):
                assert integrity(url) == "ok"
            await agora.start()
            stored = {r.receipt_hash for r in await LedgerRow.filter(proposal_id=proposal.id)}
            missing = acknowledged - stored
            assert not missing, f"cycle {cycle}: {len(missing)} acknowledged ballots lost"
            assert await chain_problems(proposal.id) == []
            # Retry the ballots whose answer was lost: each either lands now or was already in.
            async with httpx.AsyncClient(base_url=agora.url, timeout=20) as http:
                for ref in batch:
                    if ref in ok:
                        continue
                    retry = await cast(http, proposal.id, owners[ref])
                    assert retry.status_code in (201, 409), retry.text
                    if retry.status_code == 201:
                        acknowledged.add(hash_receipt(retry.json()["receipt"]))
                    else:
                        assert retry.json()["error"]["code"] == "already_voted"
            slots = await BallotSlot.filter(proposal_id=proposal.id).count()
            assert slots == (cycle + 1) * 16  # everyone in the burst has exactly one ballot now
            assert len(stored | acknowledged) == slots
    finally:
        agora.stop()
    rows = await LedgerRow.filter(proposal_id=proposal.id)
    assert len(rows) == 48
    assert await chain_problems(proposal.id) == []
    assert "database is locked" not in agora.log_text()


# --- storage faults under a running server -------------------------------------------------------


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path, settings):  # type: ignore[no-untyped-def]
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("storage faults are simulated on the SQLite file (PostgreSQL runs elsewhere)")
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs mount (root) to make a read-only or full filesystem under the server")
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk))
    except (subprocess.CalledProcessError, OSError) as error:
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)


async def _storage_fault_case(server, client, tmp_path, disk, break_it, heal_it, env=None) -> None:  # type: ignore[no-untyped-def]
    compound = await simple_compound(client, ROWS[:12])
    proposal = await voting_proposal(compound)
    owners = await owner_tokens(compound.slug, [r.owner_ref for r in ROWS[:12]])
    source = server.settings.database_url.split("://", 1)[1]
    sqlite3.connect(source).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    target = disk / "agora.sqlite3"
    shutil.copyfile(source, target)
    agora = AgoraProcess(f"sqlite://{target}", tmp_path / "fault", extra_env=env)
    await agora.start()
    try:
        async with httpx.AsyncClient(base_url=agora.url, timeout=30) as http:
            assert (await cast(http, proposal.id, owners["Q00"])).status_code == 201
            break_it()
            refused = [await cast(http, proposal.id, owners[f"Q{k:02d}"]) for k in (1, 2, 3)]
            for response in refused:
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "unavailable"
            health = await http.get("/healthz")
            assert health.status_code in (200, 503)
            heal_it()
            again = [await cast(http, proposal.id, owners[f"Q{k:02d}"]) for k in (1, 2, 3, 4)]
            assert [r.status_code for r in again] == [201, 201, 201, 201], [r.text for r in again]
            assert (await cast(http, proposal.id, owners["Q00"])).status_code == 409
    finally:
        agora.stop()
    db = sqlite3.connect(target)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute(
            "SELECT seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev, hash,"
            " ciphertext, proof"
            " FROM ballot_ledger WHERE proposal_id = ? ORDER BY seq",
            (proposal.id,),
        ).fetchall()
        slots = db.execute(
            "SELECT COUNT(*) FROM ballot_slots WHERE proposal_id = ?", (proposal.id,)
        ).fetchone()[0]
    finally:
        db.close()
    from agora.ballots.chain import LedgerEntry, verify_chain

    assert len(rows) == 5 and slots == 5  # one before, four after: nothing from the refused attempts
    assert verify_chain(proposal.id, [LedgerEntry(*row) for row in rows]) == []
    log = agora.log_text()
    assert "database is locked" not in log
    assert Counter(line for line in log.splitlines() if "500 Internal" in line) == Counter()


async def test_a_full_disk_refuses_ballots_with_503_and_recovers(
    server, client, tmp_path, small_disk
) -> None:  # type: ignore[no-untyped-def]
    filler = small_disk / "filler"

    def fill() -> None:
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (1 << 16, 1 << 10, 1):
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    await _storage_fault_case(server, client, tmp_path, small_disk, fill, lambda: filler.unlink())


@pytest.fixture
def readonly_shim(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("storage faults are simulated on the SQLite file (PostgreSQL runs elsewhere)")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs a C compiler to build the read-only fault injection shim")
    out = tmp_path / "readonly_shim.so"
    source = Path(__file__).with_name("readonly_shim.c")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(source), "-ldl"], check=True)
    return out


async def test_a_read_only_database_refuses_ballots_with_503_and_recovers(
    server, client, tmp_path, readonly_shim
) -> None:  # type: ignore[no-untyped-def]
    disk = tmp_path / "ro"
    disk.mkdir()
    flag = tmp_path / "read-only-now"
    env = {"LD_PRELOAD": str(readonly_shim), "FAULT_RO_DIR": str(disk), "FAULT_RO_FLAG": str(flag)}
    await _storage_fault_case(server, client, tmp_path, disk, flag.touch, flag.unlink, env=env)


def test_the_read_only_shim_really_makes_the_file_read_only(tmp_path: Path, readonly_shim: Path) -> None:
    """The fault is real: under the shim, with the flag, SQLite cannot write to the file at all, and
    writes again once the flag is gone."""
    disk = tmp_path / "ro"
    disk.mkdir()
    flag = tmp_path / "flag"
    script = """
import pathlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE t (x)")
pathlib.Path(sys.argv[2]).touch()
try:
    db.execute("INSERT INTO t VALUES (1)")
    print("written while read-only")
except sqlite3.Error as e:
    print("refused:", e)
pathlib.Path(sys.argv[2]).unlink()
db.execute("INSERT INTO t VALUES (2)")
print("rows:", db.execute("SELECT x FROM t").fetchall())
"""
    env = {
        **os.environ,
        "LD_PRELOAD": str(readonly_shim),
        "FAULT_RO_DIR": str(disk),
        "FAULT_RO_FLAG": str(flag),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(disk / "x.sqlite3"), str(flag)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["refused: disk I/O error", "rows: [(2,)]"], done.stdout

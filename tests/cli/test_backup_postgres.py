"""`agora backup` on PostgreSQL: pg_dump's copy restores with pg_restore, row for row; no `.partial` is
ever left behind (also when pg_dump or the SQLite copy fails half-way)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.cli.test_commands import make_env, run

PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL", "")


def pg_tools() -> None:
    if not PG_URL:
        pytest.skip("needs PostgreSQL (AGORA_TEST_DATABASE_URL)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed (Debian: postgresql-client)")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _counts(url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY tablename"
        )]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}  # noqa: S608
    finally:
        await conn.close()


def test_a_postgres_backup_restores_row_for_row(tmp_path: Path) -> None:
    pg_tools()
    server = urlparse(PG_URL)
    base = server.path.lstrip("/")
    source, copy = f"{base}_backup_src", f"{base}_backup_dst"
    url = lambda name: server._replace(path=f"/{name}").geturl()  # noqa: E731
    for name in (source, copy):
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        env = {**make_env(tmp_path, AGORA_LANG="en"), "AGORA_DATABASE_URL": url(source)}
        seeded = run(["demo", "--no-serve"], env, timeout=300)
        assert seeded.returncode == 0, seeded.stderr
        target = tmp_path / "backups" / "agora.dump"
        made = run(["backup", str(target)], env)
        assert made.returncode == 0, made.stderr
        assert target.stat().st_size > 0 and not list(target.parent.glob("*.partial"))
        restored = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={url(copy)}", str(target)],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert restored.returncode == 0, restored.stderr
        before, after = asyncio.run(_counts(url(source))), asyncio.run(_counts(url(copy)))
        assert before == after and before["users"] > 5 and before["ballot_ledger"] > 0
        # the restored copy is a working agora database: migrated, and it serves the checks
        check = run(["admin", "create", "restored-admin"], {**env, "AGORA_DATABASE_URL": url(copy)},
                    stdin="a long enough password\n")
        assert check.returncode == 0, check.stderr
    finally:
        for name in (source, copy):
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_failing_pg_dump_leaves_no_partial_file(tmp_path: Path) -> None:
    """A pg_dump that writes half a file and fails (a fake one first on PATH)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text(
        "#!/bin/sh\nfor a; do case $a in --file=*) printf half > \"${a#--file=}\";; esac; done\n"
        "echo 'pg_dump: error: connection lost' >&2\nexit 1\n"
    )
    (fake / "pg_dump").chmod(0o755)
    env = {**make_env(tmp_path, AGORA_LANG="en"), "AGORA_DATABASE_URL": "postgres://u:secret@127.0.0.1:1/x"}
    env["PATH"] = f"{fake}:{env['PATH']}"
    target = tmp_path / "out" / "agora.dump"
    result = run(["backup", str(target)], env)
    assert result.returncode == 1 and "connection lost" in result.stderr
    assert "secret" not in result.stderr + result.stdout
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failing_sqlite_copy_leaves_no_partial_file(tmp_path: Path) -> None:
    (tmp_path / "agora.sqlite3").write_bytes(b"this is not a database, but it is a file" * 100)
    target = tmp_path / "out" / "copy.sqlite3"
    result = run(["backup", str(target)], make_env(tmp_path, AGORA_LANG="en"))
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_a_sqlite_backup_is_a_working_copy(tmp_path: Path) -> None:
    env = make_env(tmp_path, AGORA_LANG="en")
    assert run(["migrate"], env).returncode == 0
    assert run(["admin", "create", "root"], env, stdin="a long enough password\n").returncode == 0
    target = tmp_path / "out" / "copy.sqlite3"
    assert run(["backup", str(target)], env).returncode == 0
    assert sqlite3.connect(target).execute("SELECT login FROM users").fetchall() == [("root",)]
    assert [p.name for p in target.parent.iterdir()] == ["copy.sqlite3"]

"""`agora backup PATH`: a consistent copy of the database while agora keeps running.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies pages under a read transaction,
so the copy is a consistent snapshot even with writers active (WAL). PostgreSQL: `pg_dump
--format=custom`, which takes its own consistent snapshot; restore it with `pg_restore`
(docs/deployment.md). Either way the copy is written to `PATH.partial` and renamed to PATH only once
complete: PATH is never a half-written backup, and no `.partial` is left behind, also on failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from agora.i18n import _
from agora.settings import Settings
from agora.storage.database import sqlite_path

EXIT_FAILED = 1


def _partial(target: Path) -> Path:
    return target.with_name(target.name + ".partial")


def sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(_("no database at {path}", path=str(source)))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=1024)
                dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise RuntimeError(_("integrity check of the copy failed: {check}", check=check))
            finally:
                dst.close()
        finally:
            src.close()
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def pg_dump_command(database_url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments and environment: the password goes in PGPASSWORD, never on the command line."""
    parsed = urlparse(database_url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
    args = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--host={parsed.hostname or '127.0.0.1'}",
        f"--port={parsed.port or 5432}",
        f"--username={unquote(parsed.username or 'postgres')}",
        f"--dbname={parsed.path.lstrip('/') or 'agora'}",
    ]
    return args, env


def postgres_backup(database_url: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise FileNotFoundError(
            _("pg_dump is not installed: install the PostgreSQL client (Debian: postgresql-client)")
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(target)
    partial.unlink(missing_ok=True)
    args, env = pg_dump_command(database_url, partial)
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise RuntimeError(_("pg_dump failed: {error}", error=last))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


async def backup(settings: Settings, path: Path) -> int:
    url = settings.database_url
    try:
        if url.startswith("sqlite"):
            source = sqlite_path(url)
            await asyncio.to_thread(sqlite_backup, source, path)
        else:
            source = Path(urlparse(url).path.lstrip("/"))
            await asyncio.to_thread(postgres_backup, url, path)
    except (OSError, sqlite3.Error, RuntimeError) as error:
        print(_("agora backup: {error}", error=str(error)), file=sys.stderr)
        return EXIT_FAILED
    print(_("agora backup: {source} -> {path}", source=str(source), path=str(path)))
    return 0

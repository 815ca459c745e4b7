"""`agora backup PATH`: a consistent copy of the database while agora keeps running.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies pages under a read transaction,
so the copy is a consistent snapshot even with writers active (WAL). PostgreSQL: use `pg_dump`
(printed, exit status 2), which takes its own consistent snapshot.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlparse

from agora.settings import Settings
from agora.storage.database import sqlite_path

PG_DUMP = "pg_dump --format=custom --no-owner --file={path} {url}"


def sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=1024)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise RuntimeError(f"integrity check of the copy failed: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(target)


async def backup(settings: Settings, path: Path) -> int:
    url = settings.database_url
    if url.startswith("sqlite"):
        source = sqlite_path(url)
        try:
            await asyncio.to_thread(sqlite_backup, source, path)
        except (OSError, sqlite3.Error, RuntimeError) as error:
            print(f"agora backup: {error}", file=sys.stderr)
            return 1
        print(f"agora backup: {source} -> {path}")
        return 0
    parsed = urlparse(url)
    safe = parsed._replace(netloc=f"{parsed.username or ''}@{parsed.hostname or ''}:{parsed.port or 5432}")
    command = PG_DUMP.format(path=path, url=safe.geturl().replace("asyncpg://", "postgresql://"))
    print(
        "agora backup: the database is PostgreSQL; take the backup with pg_dump (password from PGPASSWORD):"
    )
    print(f"  {command}")
    return 2

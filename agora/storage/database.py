"""Database configuration, migrations, and the durability guard.

One Tortoise app, `agora`, whose models live in each feature's `models.py`; migrations are in
`agora/migrations/` (Tortoise's built-in system). SQLite is the default (WAL, foreign keys,
`synchronous=FULL` so an acknowledged ballot survives a power cut, a busy timeout); PostgreSQL
through asyncpg for scale.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

from tortoise import Tortoise, connections
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

from agora.i18n import _
from agora.storage import sql

MODEL_MODULES = [
    "agora.accounts.models",
    "agora.audit.models",
    "agora.rooms.models",
    "agora.proposals.models",
    "agora.ballots.models",
    "agora.live.models",
    "agora.implementation.models",
    "agora.concerns.models",
    "agora.recovery.models",
    "agora.notify.models",
]
SQLITE_BUSY_TIMEOUT_MS = 15000


class StorageError(RuntimeError):
    """The database cannot be used as configured; the message says why, in the user's language."""


def sqlite_path(database_url: str) -> Path:
    raw = database_url.split("://", 1)[1].split("?", 1)[0]
    return Path(raw)


def open_sqlite_file(path: Path) -> None:
    """Open the SQLite file (created if absent) on a connection of its own and run one statement, as
    the start-up check does before Tortoise is set up; `sqlite3.Error` if it cannot."""
    connection = sqlite3.connect(f"file:{path}?mode=rwc", uri=True, timeout=5)
    try:
        connection.execute("SELECT 1")
    finally:
        connection.close()


async def ping() -> None:
    """One round trip to the database on the current connection (what `/healthz` asks)."""
    await connections.get("default").execute_query("SELECT 1")


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)  # its folder must exist (agora.startup says so when it does not)
        connection: dict[str, Any] | str = {
            "engine": "agora.storage.sqlite_backend",
            "credentials": {
                "file_path": str(path),
                "journal_mode": "WAL",
                "foreign_keys": "ON",
                "synchronous": "FULL",
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
            },
        }
    elif database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        parsed = urlparse(database_url)
        params = dict(parse_qsl(parsed.query))
        connection = {
            "engine": "tortoise.backends.asyncpg",
            "credentials": {
                "host": parsed.hostname or "127.0.0.1",
                "port": parsed.port or 5432,
                "user": parsed.username or "postgres",
                "password": parsed.password or "",
                "database": parsed.path.lstrip("/") or "agora",
                "minsize": int(params.get("minsize", 1)),
                "maxsize": int(params.get("maxsize", 10)),
            },
        }
    else:
        raise StorageError(_("Unsupported database URL: {url}", url=database_url.split("://")[0]))
    return {
        "connections": {"default": connection},
        "apps": {
            "agora": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "agora.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def init(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close() -> None:
    sql.close_readers()
    await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    await run_migrations(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def pending_migrations() -> list[str]:
    """Names of migrations not yet applied to the connected database."""
    config = tortoise_config("sqlite://:memory:")["apps"]
    executor = MigrationExecutor(connections.get("default"), config)
    plan = await executor.plan(None)
    return [f"{step.migration.app_label}.{step.migration.name}" for step in plan if not step.backward]


async def check_durability(allow_unsafe: bool) -> None:
    """Refuse settings under which an acknowledged ballot could be lost."""
    conn = connections.get("default")
    problems: list[str] = []
    if conn.capabilities.dialect == "sqlite":
        _count, rows = await conn.execute_query("PRAGMA synchronous")
        level = list(rows[0])[0] if rows else 0
        _count, rows = await conn.execute_query("PRAGMA journal_mode")
        mode = str(list(rows[0])[0]).lower() if rows else ""
        if int(level) < 2:
            problems.append(_("SQLite synchronous is below FULL"))
        if mode != "wal":
            problems.append(_("SQLite is not in WAL mode"))
    elif conn.capabilities.dialect == "postgres":
        for name in ("fsync", "synchronous_commit"):
            _count, rows = await conn.execute_query(f"SHOW {name}")
            value = str(list(dict(rows[0]).values())[0]).lower() if rows else "on"
            if value == "off":
                problems.append(_("PostgreSQL {name} is off", name=name))
    if problems and not allow_unsafe:
        raise StorageError(
            _(
                "Refusing to start: {problems}. Acknowledged ballots could be lost.",
                problems="; ".join(problems),
            )
            + " "
            + _("Set AGORA_ALLOW_UNSAFE_DURABILITY=1 to override.")
        )


@asynccontextmanager
async def own_connection() -> AsyncIterator[None]:
    """Run the block on a database connection of its own, for a long write such as a roll import.

    SQLite: Tortoise has one connection per process and a lock around it, so a transaction of some
    seconds would hold up every other request. Inside this block the task's `default` connection is a
    second connection to the same file: other requests keep reading on the first (WAL readers never
    wait for a writer) and only their writes wait, on the busy timeout, for the block's commit.
    PostgreSQL: every transaction already takes a connection of the pool; nothing changes.
    """
    shared = connections.get("default")
    if not isinstance(shared, SqliteClient):
        yield
        return
    own = type(shared)(shared.filename, connection_name=shared.connection_name, **shared.pragmas)
    await own.create_connection(with_db=True)
    token = connections.set("default", own)
    try:
        yield
    finally:
        connections.reset(token)
        await own.close()

"""agora.storage.sql.fetch on SQLite: short reads outside a transaction run at once on the process's
read connection; they never wait for a write transaction, see every committed write, and inside a
transaction read on its connection. Slow statements go back to Tortoise's connection."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from agora.storage import sql
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the read connection is SQLite's")


async def names() -> list[str]:
    return [
        row["name"] for row in await sql.fetch("SELECT name FROM halls WHERE slug LIKE ? ORDER BY id", "t-%")
    ]


async def insert(slug: str) -> None:
    await connections.get("default").execute_query(
        "INSERT INTO halls (slug, name, kind, label, created_at, rules)"
        " VALUES (?, ?, 'compound', '', '2026-01-01 00:00:00', '{}')",
        [slug, slug.upper()],
    )


async def test_a_read_does_not_wait_for_a_write_transaction_and_sees_only_what_is_committed(
    connected_db: None,
) -> None:
    await insert("t-a")
    inside, read_done = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with in_transaction():
            await insert("t-b")
            inside.set()
            await read_done.wait()  # the transaction stays open (and Tortoise's lock held) meanwhile

    task = asyncio.create_task(writer())
    await inside.wait()
    seen = await asyncio.wait_for(names(), 10)  # on Tortoise's connection this would wait for the commit
    read_done.set()
    await task
    assert seen == ["T-A"]  # not the uncommitted hall
    assert await names() == ["T-A", "T-B"]  # the commit is seen by the very next read


async def test_inside_a_transaction_a_read_sees_its_own_writes(connected_db: None) -> None:
    async with in_transaction():
        await insert("t-c")
        assert await names() == ["T-C"]


COUNT_TO = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) SELECT COUNT(*) AS c FROM n"
)


async def test_a_slow_statement_runs_on_tortoises_connection_from_then_on(
    connected_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "_SLOW", set())
    assert await sql.fetch(COUNT_TO, 10) == [{"c": 10}]
    assert COUNT_TO not in sql._SLOW  # short: read at once
    assert await sql.fetch(COUNT_TO, 200_000) == [{"c": 200_000}]  # stopped on the event loop, run there
    assert COUNT_TO in sql._SLOW  # and from then on it goes there directly
    assert await sql.fetch(COUNT_TO, 10) == [{"c": 10}]

"""Plain SQL reads for the hot request path (session, hall access, the proposal page).

Building a query through Tortoise costs a few hundred microseconds of CPU (pypika, then a converter
per value); the reads every page makes are few and fixed, so they are written once as SQL with `?`
placeholders (rewritten to `$1, $2, …` on PostgreSQL) and run on the current connection. An
`INDEXED BY name` after a table is SQLite's hint to use that index (a covering one, say, where the
row itself is costly to reach); PostgreSQL has no such syntax, and it is dropped there. Values
come back as the driver gives them: a feature's `queries.py` converts the columns that differ between
drivers (SQLite returns datetimes as text and booleans as integers), with `to_datetime` or by building
the model (`hydrate`), and returns named rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.backends.sqlite.client import SqliteClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.fields import DatetimeField
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\?")
_INDEXED_BY = re.compile(r" INDEXED BY \w+")
M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=tuple[Any, ...])


@lru_cache(maxsize=256)
def _for_postgres(sql: str) -> str:
    """`?` placeholders numbered, `INDEXED BY` hints dropped."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", _INDEXED_BY.sub("", sql))


def _connection(sql: str) -> tuple[BaseDBAsyncClient, str]:
    """The current connection (the transaction's, inside one) and `sql` in its placeholder style."""
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        sql = _for_postgres(sql)
    return conn, sql


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts; `sql` uses `?` for every parameter (and no literal question mark).

    On SQLite, outside a transaction, the read runs on the process's read connections (`_read`);
    everything else goes through Tortoise's connection."""
    conn, sql = _connection(sql)
    read = await _read(conn, sql, params)
    if read is not None:
        names, rows = read
        return [dict(zip(names, row, strict=True)) for row in rows]
    return await conn.execute_query_dict(sql, list(params))


# --- reads beside Tortoise's connection (SQLite) --------------------------------------------------
# Tortoise's SQLite client has one connection per process, run by one aiosqlite thread behind one
# lock. Every read of every request waits for that lock while a write transaction holds it (the
# ballot writer's batch until its commit is on disk), then takes two thread hops (the queue to the
# worker thread, and back through the event loop's self-pipe) for a read that SQLite answers in
# tens of microseconds, and gets its rows as sqlite3.Row objects. Here reads outside a transaction
# use connections of their own, in autocommit: a WAL reader never waits for the writer and sees
# every transaction committed before it starts, as the shared connection would, so no freshness is
# lost (a revoked token is refused by the very next read). Inside a transaction the reads stay on
# the transaction's connection, which sees its own uncommitted writes.
#
# The hot reads (the session or token, a hall's roles, the cast read, the page's reads) are small
# and indexed: they run at once, on the event loop's thread. A read may not hold the loop long:
# SQLite's progress handler stops any statement after `_READ_STEPS` virtual-machine steps (about a
# millisecond); the statement is remembered as slow and runs, then and from then on, on a second
# read connection in a thread of its own (a whole ledger for the count, a 20,000-item aggregate of
# the figures, the stance summary of a 10,000-comment discussion), where it does not wait for the
# writer either, and its rows come back as plain tuples. A read that finds the database busy (WAL
# recovery) goes to that thread too, whose connection waits on the busy timeout.

_READ_STEPS = 200_000
_SLOW: set[str] = set()
_SLOW_MAX = 512


class _Reader:
    __slots__ = ("__weakref__", "aside", "connection", "filename", "owner", "steps")

    def __init__(self, owner: object, filename: str) -> None:
        self.owner = owner  # the aiosqlite connection of the client this reader serves
        self.filename = filename
        self.connection = _read_connection(filename, busy_ms=0)  # never sleep on the event loop
        self.steps = 0
        self.connection.set_progress_handler(self._step, 1000)
        self.aside: sqlite3.Connection | None = None  # used in the reading thread only

    def _step(self) -> int:
        self.steps += 1000
        return 1 if self.steps > _READ_STEPS else 0

    def read_aside(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """In the reading thread: a statement on the second connection, without a step limit."""
        if self.aside is None:
            self.aside = _read_connection(self.filename, busy_ms=_ASIDE_BUSY_MS)
        cursor = self.aside.execute(sql, params)
        rows = cursor.fetchall()
        return [column[0] for column in cursor.description or ()], rows

    def close(self) -> None:
        for connection in (self.connection, self.aside):
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):  # a read still running in the thread: it ends
                    connection.close()


_ASIDE_BUSY_MS = 15_000  # as Tortoise's connection (agora.storage.database.SQLITE_BUSY_TIMEOUT_MS)
_lane: ThreadPoolExecutor | None = None  # the one reading thread of the process


def _read_connection(filename: str, busy_ms: int) -> sqlite3.Connection:
    connection = sqlite3.connect(filename, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA query_only = 1")
    connection.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return connection


_readers: weakref.WeakSet[_Reader] = weakref.WeakSet()


def _reader(conn: BaseDBAsyncClient) -> _Reader | None:
    """The read connection serving this SQLite client outside a transaction (None otherwise); kept on
    the client, so it goes with it."""
    if not isinstance(conn, SqliteClient) or isinstance(conn, TransactionalDBClient):
        return None
    shared = conn._connection
    if shared is None or conn.filename == ":memory:" or conn.filename.startswith("file:"):
        return None
    reader: _Reader | None = getattr(conn, "_agora_reader", None)
    if reader is None or reader.owner is not shared:
        if reader is not None:
            reader.close()  # the client reconnected: so does its reader
        reader = _Reader(shared, conn.filename)
        conn._agora_reader = reader  # type: ignore[attr-defined]
        _readers.add(reader)
    return reader


def close_readers() -> None:
    """Close every read connection (with Tortoise's own connections)."""
    for reader in list(_readers):
        reader.close()


_ASIDE = object()  # `_read_now`: run the statement in the reading thread


async def _read(
    conn: BaseDBAsyncClient, sql: str, params: Sequence[Any]
) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Column names and rows (plain tuples) from the read connections, or None when the statement
    must run on Tortoise's connection (inside a transaction, on PostgreSQL, a write)."""
    global _lane
    reader = _reader(conn)
    if reader is None:
        return None
    if sql not in _SLOW:
        read = _read_now(reader, sql, params)
        if read is not _ASIDE:
            return read  # type: ignore[return-value]
    if _lane is None:
        _lane = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agora-read")
    try:
        return await asyncio.get_running_loop().run_in_executor(_lane, reader.read_aside, sql, params)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY:
            return None
        raise OperationalError(error) from error
    except sqlite3.IntegrityError as error:
        raise IntegrityError(error) from error


def _read_now(reader: _Reader, sql: str, params: Sequence[Any]) -> object:
    """On the event loop: the column names and the rows, or `_ASIDE` (too long, or busy), or None
    (a write: Tortoise's connection)."""
    reader.steps = 0
    try:
        cursor = reader.connection.execute(sql, params)
        rows = cursor.fetchall()
        return [column[0] for column in cursor.description or ()], rows
    except sqlite3.OperationalError as error:
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_INTERRUPT:
            if len(_SLOW) < _SLOW_MAX:
                _SLOW.add(sql)
            return _ASIDE
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return _ASIDE
        if code == sqlite3.SQLITE_READONLY:
            return None
        raise OperationalError(error) from error
    except sqlite3.IntegrityError as error:
        raise IntegrityError(error) from error


async def fetch_rows(sql: str, *params: Any) -> Sequence[Sequence[Any]]:
    """Rows, positional, in SELECT order: plain tuples from the read connection (see `fetch`), else as
    the driver returns them (sqlite3.Row, asyncpg Record).

    For reads of thousands of rows (a whole ledger): a dict per row would cost more than the query.
    """
    conn, sql = _connection(sql)
    read = await _read(conn, sql, params)
    if read is not None:
        return read[1]
    _count, rows = await conn.execute_query(sql, list(params))
    return rows  # type: ignore[return-value]  # Tortoise types them as dicts; the driver's rows are sequences


async def fetch_named(row: type[R], sql: str, *params: Any) -> list[R]:
    """Rows as `row` (a NamedTuple whose fields are the SELECT's columns, in order), each tuple made
    straight from the driver's row with no per-field call: cheap for thousands of rows."""
    new = tuple.__new__
    return [new(row, values) for values in await fetch_rows(sql, *params)]  # type: ignore[type-var]


def in_list(values: Iterable[Any]) -> str:
    """`(?, ?, …)` for an IN clause of these values (at least one)."""
    return "(" + ", ".join("?" for _value in values) + ")"


def to_datetime(value: Any) -> datetime:
    """An aware UTC datetime from a driver's value, as Tortoise's DatetimeField gives it (use_tz, UTC),
    without its general-purpose parser (ISO text from SQLite, a datetime from PostgreSQL)."""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value) if isinstance(value, int) else datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- models from a joined read ---------------------------------------------------------------------
# A hot read joins a few tables in one query and names each column `<alias>__<column>`; these three
# build that SELECT list, split a row back by alias and make the models, so no feature copies them.


def aliased(model: type[Model], alias: str) -> str:
    """`p.id AS p__id, p.title AS p__title, …`: every column of `model`, for one row of a joined read."""
    return ", ".join(f"{alias}.{column} AS {alias}__{column}" for column in sorted(model._meta.db_fields))


def by_alias(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A row of `<alias>__<column>` keys as {alias: {column: value}}."""
    return {alias: {column: row[key] for key, column in pairs} for alias, pairs in _alias_plan(tuple(row))}


@lru_cache(maxsize=256)
def _alias_plan(keys: tuple[str, ...]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """How a hot read's column names split by alias, worked out once per statement (a ballot's read
    has some fifty columns: splitting each name on every request was a measurable share of a cast)."""
    plan: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        alias, column = key.split("__", 1)
        plan.setdefault(alias, []).append((key, column))
    return tuple((alias, tuple(pairs)) for alias, pairs in plan.items())


def hydrate(model: type[M], columns: dict[str, Any]) -> M:
    """A model instance from its columns as the driver gave them, converted as Tortoise converts a row
    it reads itself (the one place that calls Tortoise's `_init_from_db`). Datetimes that SQLite gives
    as text are parsed here first (`to_datetime`: the standard library's ISO parser, several times
    quicker than Tortoise's general one); Tortoise then only sets their time zone, as it would."""
    stamps = _datetime_columns(model)
    if any(isinstance(columns.get(name), str) for name in stamps):
        columns = dict(columns)
        for name in stamps:
            if isinstance(columns.get(name), str):
                columns[name] = to_datetime(columns[name])
    return model._init_from_db(**columns)


@lru_cache(maxsize=128)
def _datetime_columns(model: type[Model]) -> tuple[str, ...]:
    meta = model._meta
    return tuple(
        meta.fields_db_projection[name]
        for name, field in meta.fields_map.items()
        if isinstance(field, DatetimeField) and name in meta.fields_db_projection
    )


# --- bulk writes ----------------------------------------------------------------------------------

BATCH = 1000  # rows per executemany


def insert_statement(model: type[Model], columns: Sequence[str]) -> str:
    """`INSERT INTO t (columns) VALUES (?, …)` with the backend's own placeholders (Tortoise's query
    builder and executor), built once per model, columns and dialect (the ballot writer's every batch)."""
    return _insert_statement(model, tuple(columns), model._meta.db.capabilities.dialect)


@lru_cache(maxsize=64)
def _insert_statement(model: type[Model], columns: tuple[str, ...], _dialect: str) -> str:
    db = model._meta.db
    executor = db.executor_class(model=model, db=db)
    query = db.query_class.into(model._meta.basetable).columns(*columns)
    return str(query.insert(*(executor.parameter(i) for i in range(len(columns)))))


def update_statement(model: type[Model], columns: Sequence[str]) -> str:
    """`UPDATE t SET column = ?, … WHERE id = ?` with the backend's own placeholders."""
    db = model._meta.db
    executor = db.executor_class(model=model, db=db)
    table = model._meta.basetable
    query = db.query_class.update(table)
    for i, column in enumerate(columns):
        query = query.set(column, executor.parameter(i))
    return str(query.where(table.id == executor.parameter(len(columns))))


async def execute_many(model: type[Model], sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run `sql` (from `insert_statement`/`update_statement`) for every row, BATCH rows per round trip,
    on the current connection (the transaction's, inside one). Values are given as the database
    takes them: no model objects are built, so thousands of rows cost little of the event loop."""
    db = model._meta.db
    for start in range(0, len(rows), BATCH):
        await db.execute_many(sql, [list(row) for row in rows[start : start + BATCH]])

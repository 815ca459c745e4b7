"""Plain SQL reads for the hot request path (session, hall access, the proposal page).

Building a query through Tortoise costs a few hundred microseconds of CPU (pypika, then a converter
per value); the reads every page makes are few and fixed, so they are written once as SQL with `?`
placeholders (rewritten to `$1, $2, …` on PostgreSQL) and run on the current connection. Values
come back as the driver gives them: `to_python` converts the columns that differ between drivers
(SQLite returns datetimes as text and booleans as integers) with the model field's own converter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import DatetimeField
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\?")
M = TypeVar("M", bound=Model)
R = TypeVar("R", bound=tuple[Any, ...])


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


def _connection(sql: str) -> tuple[BaseDBAsyncClient, str]:
    """The current connection (the transaction's, inside one) and `sql` in its placeholder style."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    return conn, sql


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts; `sql` uses `?` for every parameter (and no literal question mark)."""
    conn, sql = _connection(sql)
    return await conn.execute_query_dict(sql, list(params))


async def fetch_rows(sql: str, *params: Any) -> Sequence[Sequence[Any]]:
    """Rows as the driver returns them, positional (sqlite3.Row, asyncpg Record), in SELECT order.

    For reads of thousands of rows (a whole ledger): a dict per row would cost more than the query.
    """
    conn, sql = _connection(sql)
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


def converters(model: type[Model], *names: str) -> dict[str, Any]:
    """Column name -> a converter to the model field's Python value, for the named fields."""
    fields = model._meta.fields_map
    return {
        name: to_datetime if isinstance(fields[name], DatetimeField) else fields[name].to_python_value
        for name in names
    }


def to_python(row: dict[str, Any], convert: dict[str, Any]) -> dict[str, Any]:
    """Convert the given columns of a row in place (None stays None); returns the row."""
    for name, fn in convert.items():
        value = row[name]
        if value is not None:
            row[name] = fn(value)
    return row


# --- models from a joined read ---------------------------------------------------------------------
# A hot read joins a few tables in one query and names each column `<alias>__<column>`; these three
# build that SELECT list, split a row back by alias and make the models, so no feature copies them.


def aliased(model: type[Model], alias: str) -> str:
    """`p.id AS p__id, p.title AS p__title, …`: every column of `model`, for one row of a joined read."""
    return ", ".join(f"{alias}.{column} AS {alias}__{column}" for column in sorted(model._meta.db_fields))


def by_alias(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A row of `<alias>__<column>` keys as {alias: {column: value}}."""
    split: dict[str, dict[str, Any]] = {}
    for key, value in row.items():
        alias, column = key.split("__", 1)
        split.setdefault(alias, {})[column] = value
    return split


def hydrate(model: type[M], columns: dict[str, Any]) -> M:
    """A model instance from its columns as the driver gave them, converted as Tortoise converts a row
    it reads itself (the one place that calls Tortoise's `_init_from_db`)."""
    return model._init_from_db(**columns)


# --- bulk writes ----------------------------------------------------------------------------------

BATCH = 1000  # rows per executemany


def insert_statement(model: type[Model], columns: Sequence[str]) -> str:
    """`INSERT INTO t (columns) VALUES (?, …)` with the backend's own placeholders (Tortoise's query
    builder and executor)."""
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

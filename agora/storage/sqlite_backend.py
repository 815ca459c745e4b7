"""Tortoise's SQLite client, with write transactions that take the write lock up front.

Tortoise begins transactions with a plain (deferred) `BEGIN`. With several worker processes on one
WAL file, a deferred transaction that reads and then writes can fail with "database is locked"
without ever waiting (SQLITE_BUSY_SNAPSHOT). `BEGIN IMMEDIATE` takes the write lock first, so the
busy timeout applies and concurrent writers queue instead of failing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> SqliteTransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient

"""Storage faults are recognised by the driver's codes (SQLSTATE classes 53 and 25 on PostgreSQL,
SQLITE_FULL / SQLITE_IOERR / SQLITE_READONLY on SQLite), through Tortoise's wrapping, and nothing
else is taken for one. The end-to-end 503s on a full or read-only disk are in test_crash.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg.exceptions as pg
import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from agora.storage.faults import is_storage_fault


def wrapped(error: BaseException) -> OperationalError:
    """As Tortoise's clients raise it: its own error around the driver's."""
    try:
        try:
            raise error
        except Exception as exc:
            raise OperationalError(exc) from exc
    except OperationalError as outer:
        return outer


@pytest.mark.parametrize(
    "error",
    [pg.DiskFullError("no space"), pg.OutOfMemoryError("oom"), pg.TooManyConnectionsError("busy"),
     pg.ReadOnlySQLTransactionError("read-only transaction")],
)
def test_postgresql_classes_53_and_25_are_storage_faults(error: Exception) -> None:
    assert error.sqlstate[:2] in ("53", "25")
    assert is_storage_fault(wrapped(error))


@pytest.mark.parametrize(
    "error",
    [pg.UniqueViolationError("duplicate"), pg.PostgresSyntaxError("syntax"), pg.QueryCanceledError("cancel")],
)
def test_other_postgresql_errors_are_not(error: Exception) -> None:
    assert not is_storage_fault(wrapped(error))


def test_a_write_to_a_read_only_sqlite_database_is_a_storage_fault(tmp_path: Path) -> None:
    path = tmp_path / "ro.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x INTEGER)").connection.commit()
    readonly = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as caught:
        readonly.execute("INSERT INTO t VALUES (1)")
    readonly.close()
    assert caught.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_READONLY
    assert is_storage_fault(wrapped(caught.value))


def test_other_sqlite_errors_are_not(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite3")
    db.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as missing:
        db.execute("SELECT * FROM nowhere")
    db.close()
    assert not is_storage_fault(IntegrityError(duplicate.value))
    assert not is_storage_fault(wrapped(missing.value))
    assert not is_storage_fault(RuntimeError("disk is full"))  # words alone are not a fault

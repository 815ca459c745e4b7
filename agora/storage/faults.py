"""Storage faults: the database cannot take a write now. Answered 503 ("nothing was saved"), not 500.

Recognised by the driver's own codes, never by the wording of a message (which changes with the
version and the language of the server):

- PostgreSQL (asyncpg errors carry `sqlstate`): class 53, insufficient resources (disk full 53100,
  out of memory 53200, too many connections 53300), and class 25, invalid transaction state (25006:
  a read-only transaction, as on a standby after a failover).
- SQLite (sqlite3 errors carry `sqlite_errorcode`; an extended code keeps the primary one in its low
  byte): SQLITE_READONLY (8), SQLITE_IOERR (10), SQLITE_FULL (13).

Tortoise raises its own exception around the driver's, so the whole chain is read.
"""

from __future__ import annotations

PG_CLASSES = ("53", "25")
SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL = 8, 10, 13
SQLITE_CODES = frozenset({SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL})


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what it was raised from or during, and exceptions it carries as arguments."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
    return seen


def is_storage_fault(exc: BaseException) -> bool:
    for error in _chain(exc):
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in PG_CLASSES:
            return True
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in SQLITE_CODES:
            return True
    return False

"""The accounts feature's plain SQL (through `agora.storage.sql`): the two reads every signed-in
request makes, a session or an API token joined with its user in one query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from agora.accounts.models import Session, User
from agora.storage.sql import aliased, by_alias, fetch, hydrate, to_datetime


class SessionAndUser(NamedTuple):
    session: Session
    user: User


class TokenAndUser(NamedTuple):
    revoked: bool
    expires_at: datetime
    user: User


@cache
def _session_sql() -> str:
    """Built on first use: the models' foreign key columns are known only once Tortoise is set up."""
    columns = f"{aliased(Session, 's')}, {aliased(User, 'u')}"
    return f"SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?"  # noqa: S608


async def session_and_user(id_hash: str) -> SessionAndUser | None:
    """The session of this id hash and its user as models, from one plain query."""
    rows = await fetch(_session_sql(), id_hash)
    if not rows:
        return None
    columns = by_alias(rows[0])
    return SessionAndUser(hydrate(Session, columns["s"]), hydrate(User, columns["u"]))


@cache
def _token_sql() -> str:
    """Built on first use: the models' foreign key columns are known only once Tortoise is set up."""
    columns = f"t.revoked_at AS t__revoked_at, t.expires_at AS t__expires_at, {aliased(User, 'u')}"
    joined = "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
    return f"SELECT {columns} {joined}"  # noqa: S608


async def token_and_user(token_hash: str) -> TokenAndUser | None:
    """The token of this hash (whether it was revoked, when it expires) and its user, in one plain query."""
    rows = await fetch(_token_sql(), token_hash)
    if not rows:
        return None
    columns = by_alias(rows[0])
    token = columns["t"]
    revoked = token["revoked_at"] is not None
    return TokenAndUser(revoked, to_datetime(token["expires_at"]), hydrate(User, columns["u"]))


class Holder(NamedTuple):
    """Who holds a token or a session, with what says whether it still holds, read for a live socket's
    handshake in one statement with the hall and the roles (`rooms.queries.hall_and_roles_of`): no
    model is built. A token has `expires_at`; a session has `last_seen_at` and `created_at`."""

    id: int
    is_active: bool
    is_admin: bool
    locale: str | None
    revoked_at: datetime | None
    expires_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime | None


# One row or none for the key (`holder_id` first: the contract of `hall_and_roles_of`).
_HOLDER_USER = (
    "u.id AS holder_id, u.is_active AS holder_active, u.is_admin AS holder_admin, u.locale AS holder_locale"
)
TOKEN_HOLDER = (
    f"SELECT {_HOLDER_USER}, t.revoked_at AS holder_revoked_at, t.expires_at AS holder_expires_at,"  # noqa: S608
    " NULL AS holder_last_seen_at, NULL AS holder_created_at"
    " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
)
SESSION_HOLDER = (
    f"SELECT {_HOLDER_USER}, s.revoked_at AS holder_revoked_at, NULL AS holder_expires_at,"  # noqa: S608
    " s.last_seen_at AS holder_last_seen_at, s.created_at AS holder_created_at"
    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?"
)


def holder(values: Sequence[Any]) -> Holder:
    """A holder from a row of `TOKEN_HOLDER` or `SESSION_HOLDER` as the driver gave it."""

    def stamp(value: Any) -> datetime | None:
        return None if value is None else to_datetime(value)

    return Holder(
        int(values[0]),
        bool(values[1]),
        bool(values[2]),
        values[3],
        stamp(values[4]),
        stamp(values[5]),
        stamp(values[6]),
        stamp(values[7]),
    )

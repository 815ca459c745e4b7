"""The accounts feature's plain SQL (through `agora.storage.sql`): the two reads every signed-in
request makes, a session or an API token joined with its user in one query."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import NamedTuple

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

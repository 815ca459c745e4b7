"""What the live socket asks the database: who is connecting, what they missed, are they still allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agora import clock
from agora.accounts import services as accounts
from agora.accounts.models import ApiToken, Session, User
from agora.errors import NotFound
from agora.live.events import message_for
from agora.live.models import LiveEvent
from agora.rooms.access import named_hall_of, roles_by_hall, roles_named

CATCH_UP_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Credential:
    """What an open socket keeps of its caller (not the user row: a hall may hold thousands)."""

    user_id: int
    via: str  # "token" | "session"
    digest: str  # of the token or session id: what revocation names


@dataclass(frozen=True, slots=True)
class Admission:
    credential: Credential
    hall_id: int
    locale: str | None  # the account's language, if it chose one


async def admit(bearer: str | None, session_raw: str | None, slug: str, settings: Any) -> Admission | None:
    """Who is connecting (a bearer token, which wins, or a session cookie) to which hall, or None when
    they may not: as a page decides it (`load_token`, `load_session` with its writes, `access_hall`),
    in one read of the credential, its user, the hall and their roles (`rooms.access.named_hall_of`)."""
    via, raw = ("token", bearer) if bearer is not None else ("session", session_raw)
    if not raw or len(raw) > accounts.CREDENTIAL_MAX_LENGTH:
        return None
    key = accounts.digest(raw)
    found = await named_hall_of(accounts.HOLDERS[via], key, slug)
    if found is None:
        return None
    holder = accounts.holder(found.holder)
    if not await accounts.still_holds(holder, via, key, accounts.SessionPolicy.of(settings)):
        return None
    try:
        hall_id, _roles = await roles_named(holder, found)
    except NotFound:
        return None
    return Admission(Credential(holder.id, via, key), hall_id, holder.locale)


async def still_allowed(credential: Credential, hall_id: int, settings: Any) -> bool:
    """Is the credential still valid and the hall still visible? Read-only: an open socket does not
    keep an idle session alive."""
    now = clock.now()
    if credential.via == "token":
        valid = await ApiToken.filter(
            token_hash=credential.digest, revoked_at=None, expires_at__gt=now, user__is_active=True
        ).exists()
    else:
        valid = await Session.filter(
            id_hash=credential.digest,
            revoked_at=None,
            user__is_active=True,
            last_seen_at__gt=now - timedelta(seconds=settings.session_idle_seconds),
            created_at__gt=now - timedelta(seconds=settings.session_absolute_seconds),
        ).exists()
    return valid and hall_id in await visible_hall_ids(credential.user_id)


async def visible_hall_ids(user_id: int) -> set[int]:
    user = await User.get_or_none(id=user_id, is_active=True)
    return set(await roles_by_hall(user)) if user is not None else set()


async def catch_up(hall_id: int, since: int, limit: int | None = None) -> list[dict[str, Any]] | None:
    """The hall's stored events after `since`, oldest first; None when more than `limit` were missed."""
    limit = CATCH_UP_LIMIT if limit is None else limit
    since = min(since, 2**63 - 1)  # a cursor past every event still fits the BIGINT column
    rows = await LiveEvent.filter(hall_id=hall_id, id__gt=since).order_by("id").limit(limit + 1)
    if len(rows) > limit:
        return None
    return [message_for(row.type, row.id, hall_id, row.payload) for row in rows]


async def latest_seq(hall_id: int) -> int:
    """The hall's newest sequence number: pages render it so their socket can ask `?since=` it."""
    row = await LiveEvent.filter(hall_id=hall_id).order_by("-id").first()
    return row.id if row is not None else 0

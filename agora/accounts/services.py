"""Accounts use cases: sign-in with throttling, server-side sessions, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from agora import clock
from agora.accounts import names, queries
from agora.accounts.models import LOGIN_MAX_LENGTH, ApiToken, LoginThrottle, Session, User
from agora.accounts.passwords import Passwords
from agora.audit.services import record
from agora.errors import Conflict, Invalid, NotAuthenticated, Throttled
from agora.i18n import _
from agora.live.events import disconnect_credential, disconnect_user

LOGIN_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")

# Throttling (docs/security.md). Failures are counted per key; from the `limit`-th failure on, each
# failure blocks the key for `base` doubled per further failure, up to `cap` (growing delays). A
# key's count starts again after RESET_AFTER without failures, which is longer than any cap, so
# waiting out a block does not hand an attacker a fresh allowance.
#   pair     per (account, client): the client is the known device, or else the address;
#   ip       per address, for clients without a device cookie of the account;
#   account  per account, for clients without a device cookie of the account — an attacker
#            rotating addresses is slowed to a few guesses an hour, while the owner's known
#            device counts only its own failures and is never blocked by anyone else's.
RESET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    limit: int
    base: timedelta
    cap: timedelta

    def block_for(self, failures: int) -> timedelta | None:
        """How long `failures` failures block the key (None below the limit)."""
        if failures < self.limit:
            return None
        return min(self.cap, self.base * 2 ** min(failures - self.limit, 20))


LIMITS = {
    "pair": Limit(5, timedelta(minutes=1), timedelta(minutes=30)),
    "ip": Limit(50, timedelta(minutes=1), timedelta(minutes=30)),
    "account": Limit(10, timedelta(seconds=30), timedelta(minutes=15)),
    # Registration answers that tell something (an unknown invite, a login already taken), counted per
    # invite and per address: holding a valid invite does not make logins or codes cheap to enumerate.
    "probe_invite": Limit(5, timedelta(minutes=10), timedelta(hours=6)),
    "probe_ip": Limit(20, timedelta(minutes=10), timedelta(hours=6)),
}


async def check_probe_throttle(keys: dict[str, str], what: str) -> None:
    """429 while any of these probe keys is blocked (recorded as `auth.throttled`)."""
    now = clock.now()
    rows = await LoginThrottle.filter(key__in=list(keys.values()))
    until = [r.blocked_until for r in rows if r.blocked_until is not None and r.blocked_until > now]
    if not until:
        return
    wait = int(max((u - now).total_seconds() for u in until)) + 1
    blocked = sorted(r.key.split(":", 1)[0] for r in rows if r.blocked_until in until)
    await record("auth.throttled", object_type=what, object_id="", blocked=blocked)
    raise Throttled(_("Too many attempts. Please wait {seconds} seconds.", seconds=wait), retry_after=wait)


async def note_probe(keys: dict[str, str]) -> None:
    """Count an answer that told the caller something on every probe key."""
    await _note_failure(keys)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def check_display_name(name: str, held: Collection[str]) -> str:
    """The normalised display name, or Invalid naming `display_name` (see `accounts.names`)."""
    normal, reason = names.check_display_name(name, held)
    if reason is None:
        return normal
    messages = {
        "empty": _("Please fill in {field}.", field=_("display_name")),
        "too_long": _("The name is too long."),
        "invisible": _("The name contains invisible or right-to-left control characters."),
        "role": _(
            "This name looks like a role you do not hold (administrator, owners' committee, Party branch)."
        ),
    }
    raise Invalid(messages[reason], code="invalid_name", fields={"display_name": reason})


def check_login_format(login: str) -> str:
    login = (login or "").strip()
    if not LOGIN_RE.match(login):
        raise Invalid(
            _("A login has 3 to 64 letters, digits, dots, dashes or underscores."),
            fields={"login": "invalid"},
        )
    return login


async def create_user(
    passwords: Passwords, login: str, password: str, display_name: str, *, is_admin: bool = False
) -> User:
    login = check_login_format(login)
    # Accounts made by an administrator (or the command line) may carry any role's name.
    display_name = check_display_name((display_name or "").strip() or login, names.ROLE_WORDS.keys())
    password_hash = await passwords.hash(password)
    try:
        return await User.create(
            login=login, password_hash=password_hash, display_name=display_name, is_admin=is_admin
        )
    except IntegrityError as exc:
        raise Conflict(_("That login is already taken."), code="login_taken") from exc


def _throttle_keys(login: str, ip: str, device: str | None = None) -> dict[str, str]:
    """The keys an attempt counts against: a known device only against itself (`devices`)."""
    login = login.strip().lower()[:64]
    if device:
        return {"pair": f"pair:{login}|device:{device[:40]}"}
    return {"account": f"account:{login}", "ip": f"ip:{ip}", "pair": f"pair:{login}|{ip}"}


# Attempts whose password check is still running, per throttle key (this process). A burst of
# concurrent guesses would otherwise all pass the check before the first failure is written.
_in_flight: dict[str, int] = {}


async def _check_throttle(keys: dict[str, str], login: str) -> None:
    """Refuse while a key is blocked, or while the attempts already running on a key would use up what
    its window still allows; otherwise reserve this attempt (release it with `_release`)."""
    now = clock.now()
    rows = {r.key: r for r in await LoginThrottle.filter(key__in=list(keys.values()))}
    # From here to the reservation nothing awaits: concurrent attempts see each other's reservations.
    blocked = {k for k, key in keys.items() if key in rows and (rows[key].blocked_until or now) > now}
    for kind, key in keys.items():
        row = rows.get(key)
        failures = row.failures if row is not None and now - row.window_start <= RESET_AFTER else 0
        if _in_flight.get(key, 0) >= max(1, LIMITS[kind].limit - failures):
            blocked.add(kind)
    if not blocked:
        for key in keys.values():
            _in_flight[key] = _in_flight.get(key, 0) + 1
        return
    until = [r.blocked_until for r in rows.values() if r.blocked_until is not None and r.blocked_until > now]
    waits = [(u - now).total_seconds() for u in until]
    wait = int(max(waits, default=0)) + 1
    client = "device" if "account" not in keys else "address"
    await record(
        "auth.throttled", object_type="login", object_id=login[:64], blocked=sorted(blocked), client=client
    )
    raise Throttled(
        _("Too many failed sign-in attempts. Please wait {seconds} seconds.", seconds=wait),
        retry_after=wait,
    )


def _release(keys: dict[str, str]) -> None:
    for key in keys.values():
        left = _in_flight.get(key, 0) - 1
        if left > 0:
            _in_flight[key] = left
        else:
            _in_flight.pop(key, None)


async def _note_failure(keys: dict[str, str]) -> None:
    """Count a failure on every key (`window_start` holds the latest failure) and set its block."""
    now = clock.now()
    for kind, key in keys.items():
        row = await LoginThrottle.get_or_none(key=key)
        if row is None:
            try:
                await LoginThrottle.create(key=key, failures=0, window_start=now)
            except IntegrityError:
                pass
        elif now - row.window_start > RESET_AFTER:
            await LoginThrottle.filter(key=key, window_start=row.window_start).update(failures=0)
        # One UPDATE, so concurrent failures on a key are all counted.
        await LoginThrottle.filter(key=key).update(failures=F("failures") + 1, window_start=now)
        failures = (await LoginThrottle.get(key=key)).failures
        block = LIMITS[kind].block_for(failures)
        await LoginThrottle.filter(key=key).update(blocked_until=now + block if block else None)


async def authenticate(
    passwords: Passwords, login: str, password: str, ip: str, device: str | None = None
) -> User:
    """The user for these credentials, or NotAuthenticated with one message for every failure.

    `device` is the device id of a valid device cookie for this login (`devices.device_for`):
    such an attempt is throttled only by that device's own failures."""
    keys = _throttle_keys(login or "", ip, device)
    await _check_throttle(keys, login or "")
    try:
        return await _authenticate(passwords, login, password, keys)
    finally:
        _release(keys)


async def _authenticate(passwords: Passwords, login: str, password: str, keys: dict[str, str]) -> User:
    name = (login or "").strip()
    # A login that cannot exist (too long for the column) is an unknown login, not a server error.
    user = await User.get_or_none(login=name, is_active=True) if 0 < len(name) <= LOGIN_MAX_LENGTH else None
    try:
        ok, needs_rehash = await passwords.verify(user.password_hash if user else None, password or "")
    except Throttled:  # too many hashes waiting: the flood is a security event too
        await record("auth.throttled", object_type="login", object_id=(login or "")[:64], blocked=["busy"])
        raise
    if not ok or user is None:
        await _note_failure(keys)
        client = "device" if "account" not in keys else "address"
        await record("auth.login_failed", object_type="login", object_id=(login or "")[:64], client=client)
        raise NotAuthenticated(_("Wrong login or password."), code="invalid_credentials")
    if needs_rehash:
        user.password_hash = await passwords.hash(password)
        await user.save(update_fields=["password_hash"])
    # A success clears this client's count; from an unknown client the account's count too (a known
    # device's success leaves it, so an attacker elsewhere gets no fresh allowance from it).
    await LoginThrottle.filter(key__in=[keys["pair"], keys.get("account", keys["pair"])]).delete()
    return user


# --- sessions ---------------------------------------------------------------------------------


CREDENTIAL_MAX_LENGTH = 100  # longer than any session id or token issued: not looked up at all


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Any) -> SessionPolicy:
        """The policy the settings name (pages and live sockets alike)."""
        return cls(
            idle=timedelta(seconds=settings.session_idle_seconds),
            absolute=timedelta(seconds=settings.session_absolute_seconds),
        )


async def start_session(user: User, ip: str, user_agent: str) -> str:
    """A new session id (fresh on every sign-in, so a planted id is never promoted)."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    await Session.create(
        id_hash=digest(raw),
        user=user,
        created_at=now,
        last_seen_at=now,
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    await record("auth.login", actor=user, object_type="user", object_id=user.id)
    return raw


async def load_session(raw: str, policy: SessionPolicy) -> tuple[Session, User] | None:
    if not raw or len(raw) > CREDENTIAL_MAX_LENGTH:
        return None
    found = await queries.session_and_user(digest(raw))
    if found is None:
        return None
    session, user = found
    if session.revoked_at is not None or not user.is_active:
        return None
    now = clock.now()
    state = session_state(session.last_seen_at, session.created_at, now, policy)
    if state == "expired":
        session.revoked_at = now
        await session.save(update_fields=["revoked_at"])
        return None
    if state == "stale":
        session.last_seen_at = now
        await session.save(update_fields=["last_seen_at"])
    return session, user


HOLDERS = {"token": queries.TOKEN_HOLDER, "session": queries.SESSION_HOLDER}
"""The statement that reads who holds a token or a session, by its digest (a live socket's handshake)."""
holder = queries.holder
SEEN_EVERY = timedelta(minutes=1)  # a session's last_seen_at is written at most this often


def session_state(last_seen_at: datetime, created_at: datetime, now: datetime, policy: SessionPolicy) -> str:
    """A session that is not revoked: "expired" (idle or too old: revoke it), "stale" (still good, but
    last seen over `SEEN_EVERY` ago: write that it was seen) or "fresh"."""
    if now - last_seen_at > policy.idle or now - created_at > policy.absolute:
        return "expired"
    return "stale" if now - last_seen_at > SEEN_EVERY else "fresh"


async def still_holds(holder: queries.Holder, via: str, key: str, policy: SessionPolicy) -> bool:
    """Does the token or session (`via`, its digest `key`) a holder was read with still hold, as
    `load_token` and `load_session` decide (with the same writes to a session)?"""
    if not holder.is_active or holder.revoked_at is not None:
        return False
    now = clock.now()
    if via == "token":
        return holder.expires_at is not None and holder.expires_at > now
    if holder.last_seen_at is None or holder.created_at is None:
        return False
    state = session_state(holder.last_seen_at, holder.created_at, now, policy)
    if state == "expired":
        await Session.filter(id_hash=key, revoked_at=None).update(revoked_at=now)
        return False
    if state == "stale":
        await Session.filter(id_hash=key).update(last_seen_at=now)
    return True


async def end_session(raw: str) -> None:
    session = await Session.get_or_none(id_hash=digest(raw)).select_related("user")
    if session and session.revoked_at is None:
        session.revoked_at = clock.now()
        await session.save(update_fields=["revoked_at"])
        await record("auth.logout", actor=session.user, object_type="user", object_id=session.user.id)
        await disconnect_credential(session.id_hash)


async def revoke_all(user: User, reason: str) -> None:
    """Kill every session and token of a user (removed owner, disabled account, password change)."""
    now = clock.now()
    await Session.filter(user=user, revoked_at=None).update(revoked_at=now)
    await ApiToken.filter(user=user, revoked_at=None).update(revoked_at=now)
    await record("auth.revoke_all", object_type="user", object_id=user.id, reason=reason)
    await disconnect_user(user.id)


# --- API tokens -------------------------------------------------------------------------------


async def issue_token(user: User, lifetime: timedelta) -> tuple[str, datetime]:
    raw = "agt_" + secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + lifetime
    await ApiToken.create(token_hash=digest(raw), user=user, created_at=now, expires_at=expires)
    await record("auth.token_issued", actor=user, object_type="user", object_id=user.id)
    return raw, expires


async def load_token(raw: str) -> User | None:
    """The token's user, read with the token in one plain query on every request (no cache: a revoked
    token or a disabled account stops working on the next request, in every worker)."""
    if not raw or len(raw) > CREDENTIAL_MAX_LENGTH:
        return None
    token = await queries.token_and_user(digest(raw))
    if token is None or token.revoked or token.expires_at <= clock.now():
        return None
    return token.user if token.user.is_active else None


async def revoke_token(raw: str) -> None:
    token = await ApiToken.get_or_none(token_hash=digest(raw)).select_related("user")
    if token and token.revoked_at is None:
        token.revoked_at = clock.now()
        await token.save(update_fields=["revoked_at"])
        await record("auth.token_revoked", actor=token.user, object_type="user", object_id=token.user.id)
        await disconnect_credential(token.token_hash)

"""Password recovery use cases: a reset code issued in a hall, redeemed once; a signed-in password change.

Many residents have no e-mail address, so a forgotten password is reset by someone who knows them: the
owners' committee or a moderator of their hall issues a one-time code (shown once, with a QR code of
the reset link), the resident sets a new password with it, and every session and token of the account
ends. Each step is in the audit log.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from agora import clock
from agora.accounts import services as accounts
from agora.accounts.models import ApiToken, Session, User
from agora.accounts.passwords import Passwords
from agora.audit.services import record
from agora.errors import Gone, Invalid, NotFound
from agora.i18n import _
from agora.live.events import disconnect_user
from agora.recovery import permissions, rules
from agora.recovery.models import PasswordReset
from agora.rooms.access import HallAccess, roles_by_hall
from agora.rooms.joining import ALPHABET, format_code, normalize_code

CODE_LENGTH = 12


async def issue_reset(access: HallAccess, actor: User, login: str) -> tuple[str, datetime, User]:
    """A new reset code for a member of the hall (the previous unused one stops working)."""
    target = await User.get_or_none(login=login.strip()[:64], is_active=True) if login.strip() else None
    target_roles = (await roles_by_hall(target)).get(access.hall.id, set()) if target else set()
    reason = rules.refusal(
        access.roles,
        target_roles,
        target_is_admin=bool(target and target.is_admin),
        same_person=bool(target and target.id == actor.id),
    )
    if reason == "not_member" or target is None:
        raise NotFound(_("There is no such member in this hall."), code="no_member")
    permissions.check_refusal(reason)
    now = clock.now()
    await PasswordReset.filter(user_id=target.id, used_at=None, cancelled_at=None).update(cancelled_at=now)
    code = "".join(secrets.choice(ALPHABET) for _step in range(CODE_LENGTH))
    expires = now + rules.CODE_LIFETIME
    await PasswordReset.create(
        code_hash=accounts.digest(code),
        user_id=target.id,
        hall_id=access.hall.id,
        issued_by_id=actor.id,
        created_at=now,
        expires_at=expires,
    )
    await record(
        "auth.reset_issued",
        actor=actor,
        object_type="user",
        object_id=target.id,
        hall_id=access.hall.id,
        expires_at=expires.isoformat(),
    )
    return format_code(code), expires, target


async def redeem_reset(passwords: Passwords, raw_code: str, new_password: str, ip: str) -> User:
    """Set a new password with a reset code; the code is spent and every session and token ends."""
    # Per address, as strict as a wrong password for one account (5, then growing blocks).
    keys = {"pair": f"pair:password-reset|{ip}"}
    await accounts.check_probe_throttle(keys, "password_reset")
    passwords.check_policy(new_password)
    code = normalize_code(raw_code or "")[:64]
    reset = await PasswordReset.get_or_none(code_hash=accounts.digest(code)).select_related("user")
    now = clock.now()
    if reset is None or not rules.usable(now, reset.expires_at, reset.used_at, reset.cancelled_at):
        await accounts.note_probe(keys)
        await record(
            "auth.reset_refused", object_type="password_reset", object_id="", known=reset is not None
        )
        raise Gone(
            _(
                "This reset code is wrong, used or expired. Ask the owners' committee or a moderator for a new one."  # noqa: E501 — one message id
            ),
            code="reset_code_invalid",
        )
    password_hash = await passwords.hash(new_password)
    # Spent in one conditional write: two tabs redeeming the same code cannot both succeed.
    spent = await PasswordReset.filter(code_hash=reset.code_hash, used_at=None, cancelled_at=None).update(
        used_at=now
    )
    if spent != 1:
        raise Gone(_("This reset code has just been used."), code="reset_code_invalid")
    user = reset.user
    user.password_hash = password_hash
    await user.save(update_fields=["password_hash"])
    hall_id: int = reset.hall_id  # type: ignore[attr-defined]
    await record("auth.password_reset", actor=user, object_type="user", object_id=user.id, hall_id=hall_id)
    await accounts.revoke_all(user, "password_reset")
    return user


async def change_password(
    passwords: Passwords, user: User, current: str, new_password: str, keep_credential: str | None
) -> None:
    """A signed-in member's own change: the current password first; every other session and token ends."""
    keys = {"pair": f"pair:{user.login.lower()}|password-change"}
    await accounts.check_probe_throttle(keys, "password_change")
    ok, _rehash = await passwords.verify(user.password_hash, current or "")
    if not ok:
        await accounts.note_probe(keys)
        await record("auth.password_change_failed", actor=user, object_type="user", object_id=user.id)
        raise Invalid(
            _("The current password is wrong."), code="wrong_password", fields={"current_password": "wrong"}
        )
    if new_password == current:
        raise Invalid(
            _("The new password must differ from the current one."), fields={"password": "unchanged"}
        )
    user.password_hash = await passwords.hash(new_password)
    await user.save(update_fields=["password_hash"])
    now = clock.now()
    sessions = Session.filter(user_id=user.id, revoked_at=None)
    tokens = ApiToken.filter(user_id=user.id, revoked_at=None)
    if keep_credential:
        sessions = sessions.exclude(id_hash=keep_credential)
        tokens = tokens.exclude(token_hash=keep_credential)
    await sessions.update(revoked_at=now)
    await tokens.update(revoked_at=now)
    await record("auth.password_changed", actor=user, object_type="user", object_id=user.id)
    await disconnect_user(user.id)

"""Invitations and registration: how an owner or a resident gets an account bound to their hall.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so it can be typed
from a paper slip; 31^10 ≈ 8·10^14 codes make guessing hopeless. Only its SHA-256 is stored: a code
is shown once, when issued. An owner's invite binds the new account to that Owner on the roll; a
hall invite gives a role in that hall.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from agora import clock
from agora.accounts.models import User
from agora.accounts.passwords import Passwords
from agora.accounts.services import check_display_name, check_login_format, check_probe_throttle, note_probe
from agora.audit.services import record
from agora.errors import Conflict, Gone, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic
from agora.rooms import permissions, queries
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall, Invite, MemberRole, Owner, Unit
from agora.web.http import check_time_bounds

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
OWNER_INVITE_DAYS = 180
HALL_INVITE_DAYS = 30
INVITE_ROLES = {"resident": "member", "tenant": "tenant"}
# Invitations that appoint: only those who may set roles (the committee, administrators) issue them.
STAFF_INVITE_ROLES = ("committee", "moderator", "canvasser")
MAX_USES = 1000


def new_code() -> str:
    """One draw of the system's randomness per code (31^10 < 2^50), spelled in the alphabet: uniform
    over every 10-character code, and cheap enough to issue 20,000 codes for a roll at once."""
    number = secrets.randbelow(len(ALPHABET) ** CODE_LENGTH)
    chars = []
    for _position in range(CODE_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def normalize_code(raw: str) -> str:
    """What people type from paper: any case, with spaces or dashes between groups."""
    return "".join(ch for ch in raw.upper() if ch not in " -\t")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    """ABCD-EFGH-JK: easier to read aloud and to copy."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def owner_invite_rows(
    hall_id: int, owners: list[tuple[int, str]], expires: datetime, now: datetime
) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """Codes for (owner id, owner_ref) pairs: [(owner_ref, code)] and the invites' rows
    (`queries.INVITE_COLUMNS`).
    Pure CPU (randomness and SHA-256), run in a worker thread for a big roll."""
    issued, rows = [], []
    for owner_id, owner_ref in owners:
        code = new_code()
        issued.append((owner_ref, code))
        rows.append((code_hash(code), hall_id, "member", owner_id, 1, 0, expires, now))
    return issued, rows


async def issue_owner_invites(compound: Hall, owners: list[Owner]) -> list[tuple[str, str]]:
    """One fresh one-time code per owner. Earlier codes keep working (a slip already handed out must not
    die because the roll was re-imported) until one of them binds the owner or they expire.

    A roll of 20,000 owners gets 20,000 codes: they are drawn and hashed in a worker thread and written
    with executemany, so the event loop keeps serving other requests."""
    return await issue_invites_to(compound, [(owner.id, owner.owner_ref) for owner in owners])


async def issue_invites_to(compound: Hall, pairs: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """`issue_owner_invites` for (owner id, owner_ref) pairs: [(owner_ref, code)]."""
    if not pairs:
        return []
    now = clock.now()
    issued, rows = await asyncio.to_thread(
        owner_invite_rows, compound.id, pairs, now + timedelta(days=OWNER_INVITE_DAYS), now
    )
    await queries.insert_invites(rows)
    return issued


@dataclass(frozen=True)
class Slip:
    """One printed invitation: who it is for, where they live, and the code (shown only now)."""

    owner_ref: str
    owner_name: str
    units: list[str]
    code: str


async def print_owner_slips(access: HallAccess, actor: User) -> list[Slip]:
    """Fresh codes for every owner on the roll without an account, sorted by household."""
    permissions.check_can_print_slips(access)
    compound = access.hall
    async with atomic():
        owners = await Owner.filter(compound_id=compound.id, active=True, user_id__isnull=True)
        codes = dict(await issue_owner_invites(compound, owners))
        labels = dict(await Hall.filter(kind="building", compound_id=compound.id).values_list("id", "label"))
        homes: dict[int, list[str]] = {}
        rows = await Unit.filter(
            compound_id=compound.id, active=True, ownerships__owner_id__in=[o.id for o in owners]
        ).values("ownerships__owner_id", "building_id", "label")
        for row in rows:
            homes.setdefault(row["ownerships__owner_id"], []).append(
                f"{labels.get(row['building_id'], '')} {row['label']}"
            )
        await record(
            "invites.printed",
            actor=actor,
            object_type="hall",
            object_id=compound.id,
            hall_id=compound.id,
            owners=len(owners),
        )
    slips = [Slip(o.owner_ref, o.name, sorted(homes.get(o.id, [])), codes[o.owner_ref]) for o in owners]
    slips.sort(key=lambda s: (s.units[:1], s.owner_ref))
    return slips


def _expiry(value: Any) -> datetime:
    if value is None or value == "":
        return clock.now() + timedelta(days=HALL_INVITE_DAYS)
    if not isinstance(value, str):
        raise Invalid(
            _("expires_at must be a time in ISO 8601 with an offset."), fields={"expires_at": "type"}
        )
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            _("expires_at must be a time in ISO 8601 with an offset."), fields={"expires_at": "invalid"}
        ) from None
    if when.tzinfo is None:
        raise Invalid(
            _("expires_at must be a time in ISO 8601 with an offset."), fields={"expires_at": "no_offset"}
        )
    if when <= clock.now():
        raise Invalid(_("expires_at must be in the future."), fields={"expires_at": "past"})
    check_time_bounds(when, "expires_at")
    return when


async def create_hall_invite(access: HallAccess, actor: User, data: dict[str, Any]) -> tuple[str, Invite]:
    """A code that makes whoever registers with it a resident member (or a tenant) of this hall."""
    permissions.check_can_invite(access)
    role = data.get("role", "resident")
    if role in STAFF_INVITE_ROLES:
        permissions.check_can_appoint(access)
        stored_role = role
    elif role in INVITE_ROLES:
        stored_role = INVITE_ROLES[role]
    else:
        raise Invalid(
            _("role must be resident, tenant, committee, moderator or canvasser."), fields={"role": "invalid"}
        )
    max_uses = data.get("max_uses", 1)
    if not isinstance(max_uses, int) or isinstance(max_uses, bool) or not 1 <= max_uses <= MAX_USES:
        raise Invalid(
            _("max_uses must be a whole number from 1 to {max}.", max=MAX_USES),
            fields={"max_uses": "invalid"},
        )
    expires = _expiry(data.get("expires_at"))
    code = new_code()
    async with atomic():
        invite = await Invite.create(
            code_hash=code_hash(code),
            hall=access.hall,
            role=stored_role,
            max_uses=max_uses,
            expires_at=expires,
        )
        await record(
            "invite.created",
            actor=actor,
            object_type="invite",
            object_id=invite.id,
            hall_id=access.hall.id,
            role=role,
            max_uses=max_uses,
        )
    return code, invite


def join_url(base_url: str, code: str) -> str:
    """The join page with the code in the fragment (never sent to the server, so never in a log);
    static/app.js fills the form from it."""
    return f"{base_url.rstrip('/')}/join#code={code}"


async def find_invite(raw: str) -> Invite:
    """The usable invite for a code, or a clear error: 422 malformed, 404 unknown, 410 used up or expired."""
    code = normalize_code(raw or "")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise Invalid(
            _("An invitation code has {n} letters and digits, as printed on the slip.", n=CODE_LENGTH),
            code="invalid_invite",
            fields={"invite": "invalid"},
        )
    invite = await Invite.get_or_none(code_hash=code_hash(code)).select_related("owner", "hall")
    if invite is None:
        raise NotFound(_("There is no invitation with this code. Please check it."), code="invite_not_found")
    if invite.expires_at is not None and invite.expires_at <= clock.now():
        raise Gone(
            _("This invitation has expired. Please ask the owners' committee for a new one."),
            code="invite_expired",
        )
    owner = invite.owner
    if invite.uses >= invite.max_uses or (
        owner is not None and (owner.user_id is not None or not owner.active)
    ):
        raise Gone(_("This invitation has already been used."), code="invite_used")
    return invite


def _probe_keys(raw: Any, ip: str) -> dict[str, str]:
    code = re.sub(r"[^A-Z0-9]", "", str(raw or "").upper())[:40]
    return {
        "probe_invite": "probe-invite:" + hashlib.sha256(code.encode()).hexdigest()[:32],
        "probe_ip": f"probe-ip:{ip[:64]}",
    }


async def register(passwords: Passwords, data: dict[str, Any], ip: str = "") -> User:
    """A new account through an invite; on any failure no account is created and the invite is untouched.

    Every value is checked (and the password hashed, the slow part) before asking whether the login
    is taken, so a taken login and a free one are told apart only by a request that would create the
    account, in the same time; answers that tell something (unknown invite, login taken) are counted
    per invite and per address and throttled (`accounts.services.LIMITS`)."""
    probe = _probe_keys(data.get("invite"), ip)
    await check_probe_throttle(probe, "register")
    raw = data.get("invite")
    login, password, display_name = data.get("login"), data.get("password"), data.get("display_name")
    if not all(isinstance(v, str) for v in (raw, login, password)) or not isinstance(
        display_name, str | None
    ):
        raise Invalid(
            _("invite, login, password and display_name are required."), fields={"invite": "required"}
        )
    try:
        invite = await find_invite(raw)  # type: ignore[arg-type]
    except NotFound:
        await note_probe(probe)
        raise
    login = check_login_format(login)  # type: ignore[arg-type]
    name = (display_name or "").strip() or (invite.owner.name if invite.owner else login)
    held = {"owner"} if invite.owner is not None else {invite.role}
    name = check_display_name(name, held)
    password_hash = await passwords.hash(password)  # type: ignore[arg-type]  # slow: outside the transaction
    if await User.filter(login=login).exists():
        await note_probe(probe)
        raise Conflict(_("That login is already taken."), code="login_taken")
    async with atomic():
        invite = await find_invite(raw)  # type: ignore[arg-type]  # re-checked inside
        claimed = await Invite.filter(id=invite.id, uses__lt=F("max_uses")).update(uses=F("uses") + 1)
        if not claimed:
            raise Gone(_("This invitation has already been used."), code="invite_used")
        try:
            user = await User.create(login=login, password_hash=password_hash, display_name=name)
        except IntegrityError as exc:
            raise Conflict(_("That login is already taken."), code="login_taken") from exc
        if invite.owner is not None:
            bound = await Owner.filter(id=invite.owner.id, user_id__isnull=True, active=True).update(
                user_id=user.id
            )
            if not bound:
                raise Gone(_("This invitation has already been used."), code="invite_used")
        else:
            await MemberRole.get_or_create(user_id=user.id, hall_id=invite.hall.id, role=invite.role)
        await record(
            "auth.registered",
            actor=user,
            object_type="user",
            object_id=user.id,
            hall_id=invite.hall.id,
            through=invite.id,
            owner_ref=invite.owner.owner_ref if invite.owner else None,
        )
    return user

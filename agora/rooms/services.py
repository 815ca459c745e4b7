"""Halls use cases: create, list, describe; rules of procedure; members and their roles.

The roll import lives in `roll_import`, invites and registration in `joining`, frozen rolls in
`snapshots`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from tortoise.exceptions import IntegrityError

from agora.accounts.models import LOGIN_MAX_LENGTH, User
from agora.audit.services import record
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic, disconnect_user
from agora.rooms import permissions
from agora.rooms.access import HallAccess, roles_by_hall
from agora.rooms.models import HALL_KINDS, ROLES, SLUG_MAX_LENGTH, STAFF_ROLE, Hall, MemberRole, Owner
from agora.rooms.roll_store import compound_of, hall_totals
from agora.rooms.rules import Rules, rules_from, validate_rules

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
PARENT_KINDS = {"community": (), "compound": ("community",), "building": ("compound",)}


def _text(data: dict[str, Any], name: str, max_length: int, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(_("Please fill in {field}.", field=name), fields={name: "required"})
        return ""
    if not isinstance(value, str):
        raise Invalid(_("{field} must be text.", field=name), fields={name: "type"})
    value = value.strip()
    if len(value) > max_length or any(ch < " " for ch in value):
        raise Invalid(
            _("{field} is too long or holds control characters.", field=name), fields={name: "invalid"}
        )
    return value


async def create_hall(actor: User, data: dict[str, Any]) -> Hall:
    """A community, compound or building hall (administrators; a building needs its compound)."""
    permissions.check_can_create_halls(actor)
    kind = data.get("kind")
    if kind not in HALL_KINDS:
        raise Invalid(_("kind must be community, compound or building."), fields={"kind": "invalid"})
    slug = _text(data, "slug", 64)
    if not SLUG_RE.match(slug):
        raise Invalid(
            _("A slug has lowercase letters, digits and dashes, and starts and ends with a letter or digit."),
            fields={"slug": "invalid"},
        )
    name = _text(data, "name", 120)
    parent_slug = data.get("parent")
    parent = None
    if parent_slug is not None:
        if not isinstance(parent_slug, str):
            raise Invalid(_("parent must be a hall's slug."), fields={"parent": "type"})
        parent = await Hall.get_or_none(slug=parent_slug) if len(parent_slug) <= SLUG_MAX_LENGTH else None
        if parent is None:
            raise Invalid(_("There is no hall {slug}.", slug=parent_slug), fields={"parent": "unknown"})
    allowed = PARENT_KINDS[kind]
    if (parent is None and kind == "building") or (parent is not None and parent.kind not in allowed):
        raise Invalid(
            _("A building belongs to a compound, a compound to a community or to nothing."),
            fields={"parent": "wrong_kind"},
        )
    label = (_text(data, "label", 64, required=False) or name[:64]) if kind == "building" else ""
    async with atomic():
        if kind == "building" and parent is not None:
            if await Hall.filter(kind="building", compound_id=parent.id, label=label).exists():
                raise Conflict(
                    _("This compound already has a building {label}.", label=label), code="label_taken"
                )
        try:
            hall = await Hall.create(kind=kind, slug=slug, name=name, parent=parent, label=label)
        except IntegrityError as exc:
            raise Conflict(_("The slug {slug} is already taken.", slug=slug), code="slug_taken") from exc
        hall.compound_id = (
            hall.id if kind == "compound" else (parent.id if kind == "building" and parent else None)
        )
        await hall.save(update_fields=["compound_id"])
        await record(
            "hall.created",
            actor=actor,
            object_type="hall",
            object_id=hall.id,
            hall_id=hall.id,
            kind=kind,
            slug=slug,
        )
    return hall


@dataclass(frozen=True)
class HallSummary:
    hall: Hall
    roles: list[str]
    parent_slug: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.hall.slug,
            "kind": self.hall.kind,
            "name": self.hall.name,
            "parent": self.parent_slug,
            "my_roles": self.roles,
        }


KIND_ORDER = {"community": 0, "compound": 1, "building": 2}


async def my_halls(user: User) -> list[HallSummary]:
    """Every hall the user belongs to, communities first, then compounds, then buildings."""
    roles = await roles_by_hall(user)
    halls = await Hall.filter(id__in=list(roles)).prefetch_related("parent") if roles else []
    found = [
        HallSummary(h, sorted(roles[h.id]), h.parent.slug if h.parent else None)
        for h in halls
    ]
    found.sort(key=lambda s: (KIND_ORDER.get(s.hall.kind, 9), s.hall.slug))
    return found


async def visible_children(access: HallAccess, user: User) -> list[Hall]:
    """Children the caller can see: nothing of another compound leaks through a community hall."""
    roles = await roles_by_hall(user)
    children = await Hall.filter(parent_id=access.hall.id).order_by("slug")
    return [child for child in children if roles.get(child.id)]


async def member_count(hall: Hall) -> int:
    """Accounts that belong to this hall: explicit roles (here or in its compound) and bound owners."""
    hall_ids = [hall.id]
    if hall.kind == "building" and hall.compound_id:
        hall_ids.append(hall.compound_id)
    users = set(await MemberRole.filter(hall_id__in=hall_ids).values_list("user_id", flat=True))
    owners = Owner.filter(active=True, user_id__not_isnull=True, ownerships__unit__active=True)
    if hall.kind == "compound":
        owners = owners.filter(ownerships__unit__compound_id=hall.id)
    elif hall.kind == "building":
        owners = owners.filter(ownerships__unit__building_id=hall.id)
    else:
        return len(users)
    owner_users = await owners.values_list("user_id", flat=True)
    return len(users | set(owner_users))


async def hall_detail(access: HallAccess, user: User) -> dict[str, Any]:
    hall = access.hall
    parent = await Hall.get_or_none(id=hall.parent_id) if hall.parent_id else None  # type: ignore[attr-defined]
    children = await visible_children(access, user)
    totals = await hall_totals(hall)
    return {
        "slug": hall.slug,
        "kind": hall.kind,
        "name": hall.name,
        "parent": parent.slug if parent else None,
        "children": [c.slug for c in children],
        "totals": totals.to_json(),
        "my_roles": sorted(access.roles),
    }


# --- rules of procedure -------------------------------------------------------------------------


async def _rules_hall(access: HallAccess) -> Hall:
    compound = await compound_of(access.hall)
    if compound is None:
        raise NotFound(_("A community hall has no rules of procedure; each compound has its own."))
    return compound


async def get_rules(access: HallAccess) -> Rules:
    return rules_from((await _rules_hall(access)).rules)


async def set_rules(access: HallAccess, actor: User, data: dict[str, Any]) -> Rules:
    compound = await _rules_hall(access)
    permissions.check_can_edit_rules(access)
    async with atomic():
        compound = await Hall.get(id=compound.id)
        before = rules_from(compound.rules)
        rules = validate_rules(data, before)
        compound.rules = rules.to_json()
        await compound.save(update_fields=["rules"])
        changed = {k: v for k, v in rules.to_json().items() if before.to_json()[k] != v}
        await record(
            "hall.rules_changed",
            actor=actor,
            object_type="hall",
            object_id=compound.id,
            hall_id=compound.id,
            changed=changed,
        )
    return rules


# --- members and roles --------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    login: str
    display_name: str
    roles: list[str]


async def hall_members(access: HallAccess) -> list[Member]:
    """Accounts holding explicit roles in this hall, by login."""
    by_user: dict[int, list[str]] = {}
    for row in await MemberRole.filter(hall_id=access.hall.id).values("user_id", "role"):
        by_user.setdefault(row["user_id"], []).append(row["role"])
    users = await User.filter(id__in=list(by_user)).order_by("login") if by_user else []
    return [Member(u.login, u.display_name, sorted(by_user[u.id])) for u in users]


async def set_roles(access: HallAccess, actor: User, login: str, roles: Any) -> list[str]:
    """Replace a user's roles in this hall; an empty list removes them (and closes their live sockets)."""
    permissions.check_can_set_roles(access)
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Invalid(_("roles must be a list of role names."), fields={"roles": "type"})
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise Invalid(
            _(
                "Unknown roles: {roles}. The roles are: {allowed}.",
                roles=", ".join(unknown),
                allowed=", ".join(ROLES),
            ),
            fields={"roles": "unknown"},
        )
    if STAFF_ROLE in roles and access.hall.kind != "community":
        raise Invalid(
            _("Community staff is a role of a community's hall, not of a compound or a building."),
            fields={"roles": "staff_in_community_only"},
        )
    target = await User.get_or_none(login=login) if len(login) <= LOGIN_MAX_LENGTH else None
    if target is None:
        raise NotFound(_("There is no account {login}.", login=login))
    hall = access.hall
    wanted = set(roles)
    async with atomic():
        before = set(
            await MemberRole.filter(user_id=target.id, hall_id=hall.id).values_list("role", flat=True)
        )
        if STAFF_ROLE in (before ^ wanted):
            permissions.check_can_appoint_staff(actor)
        removed = before - wanted
        if removed:
            await MemberRole.filter(user_id=target.id, hall_id=hall.id, role__in=sorted(removed)).delete()
        for role in sorted(wanted - before):
            await MemberRole.create(user_id=target.id, hall_id=hall.id, role=role)
        await record(
            "hall.roles_changed",
            actor=actor,
            object_type="user",
            object_id=target.id,
            hall_id=hall.id,
            login=target.login,
            before=sorted(before),
            after=sorted(wanted),
        )
    if removed:
        # Their open pages reconnect and are re-checked against what they may still see.
        halls = [hall.id]
        if hall.kind == "compound":
            buildings = Hall.filter(kind="building", compound_id=hall.id)
            halls += cast(list[int], await buildings.values_list("id", flat=True))
        for hall_id in halls:
            await disconnect_user(target.id, hall_id)
    return sorted(wanted)

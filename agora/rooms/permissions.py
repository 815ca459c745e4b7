"""Pure predicates: what a caller's roles in a hall allow. No database, no HTTP."""

from __future__ import annotations

from agora.accounts.models import User
from agora.rooms.access import HallAccess


def is_member(access: HallAccess) -> bool:
    """Reads the hall, its rules and its live updates (a hall one is not a member of is absent)."""
    return access.has("member")


def may_read_figures(access: HallAccess) -> bool:
    """The figures and lists: members, and community staff over their community's compounds
    (`agora.rooms.access.access_to_read`)."""
    return access.has("member", "staff")


def can_create_halls(user: User | None) -> bool:
    return user is not None and bool(user.is_admin)


def can_manage_roll(access: HallAccess) -> bool:
    """The owners' committee keeps the roll (and administrators may stand in)."""
    return access.hall.kind == "compound" and access.is_committee


def can_invite(access: HallAccess) -> bool:
    return access.has("committee", "moderator")


def can_set_roles(access: HallAccess) -> bool:
    return access.is_committee


def can_edit_rules(access: HallAccess) -> bool:
    return access.is_committee and access.hall.kind in ("compound", "building")


def abilities(access: HallAccess) -> list[str]:
    """Machine names of what the viewer may do here, for the hall page."""
    found = ["discuss"]
    if access.has("owner"):
        found.append("vote")
    if access.is_moderator:
        found.append("moderate")
    if can_manage_roll(access):
        found.append("roll")
    if can_invite(access):
        found.append("invite")
    if can_set_roles(access):
        found.append("roles")
    if can_edit_rules(access):
        found.append("rules")
    if access.has("canvasser"):
        found.append("paper")
    if access.has("admin") and access.hall.kind != "building":
        found.append("add_hall")
    return found

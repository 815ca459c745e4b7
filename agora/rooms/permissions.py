"""Pure predicates: what a caller's roles in a hall allow (`can_*`), and the checks (`check_*`) that raise
the one refusal each has. No database, no HTTP."""

from __future__ import annotations

from agora.accounts.models import User
from agora.errors import Forbidden
from agora.i18n import _
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


def can_appoint_staff(user: User) -> bool:
    """Community staff (社区/街道) are appointed and removed by an administrator only."""
    return bool(user.is_admin)


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


# --- checks: the refusal of each, worded as residents read it -------------------------------------


def check_can_create_halls(user: User) -> None:
    if not can_create_halls(user):
        raise Forbidden(_("Only administrators can create halls."))


def check_can_manage_roll(access: HallAccess) -> None:
    if not can_manage_roll(access):
        raise Forbidden(_("Only the owners' committee can manage the roll."))


def check_can_print_slips(access: HallAccess) -> None:
    """Owner invitations are printed from the compound's roll."""
    if not can_manage_roll(access):
        raise Forbidden(_("Only the owners' committee can print owner invitations."))


def check_can_invite(access: HallAccess) -> None:
    if not can_invite(access):
        raise Forbidden(_("Only the owners' committee and moderators can invite residents."))


def check_can_appoint(access: HallAccess) -> None:
    """An invitation that makes its holder a committee member, moderator or canvasser."""
    if not can_set_roles(access):
        raise Forbidden(
            _("Only the owners' committee can appoint committee members, moderators or canvassers.")
        )


def check_can_set_roles(access: HallAccess) -> None:
    if not can_set_roles(access):
        raise Forbidden(_("Only the owners' committee can change roles."))


def check_can_appoint_staff(user: User) -> None:
    if not can_appoint_staff(user):
        raise Forbidden(_("Only an administrator appoints or removes community staff."))


def check_can_edit_rules(access: HallAccess) -> None:
    if not can_edit_rules(access):
        raise Forbidden(_("Only the owners' committee can change the rules of procedure."))

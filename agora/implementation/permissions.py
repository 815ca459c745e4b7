"""Who may do what with an implementation: pure predicates over the caller's access, no I/O.

- any member of the hall reads the implementation (the access check itself says who is a member);
- the owners' committee opens it, amends the budget after a new vote and chooses a quote;
- the committee or the named lead posts updates, adds and completes milestones and adds quotes.
"""

from __future__ import annotations

from agora.errors import Forbidden
from agora.i18n import _
from agora.rooms.access import HallAccess


def can_read(access: HallAccess) -> bool:
    return access.has("member")


def can_open(access: HallAccess) -> bool:
    return access.is_committee


def can_report(access: HallAccess, user_id: int, lead_id: int) -> bool:
    return access.is_committee or user_id == lead_id


def can_choose_quote(access: HallAccess) -> bool:
    return access.is_committee


def can_amend_budget(access: HallAccess) -> bool:
    return access.is_committee


# --- checks: the refusal of each, worded as residents read it -------------------------------------


def check_can_open(access: HallAccess) -> None:
    if not can_open(access):
        raise Forbidden(_("Only the owners' committee opens the implementation of a decision."))


def check_can_report(access: HallAccess, user_id: int | None, lead_id: int) -> None:
    if user_id is None or not can_report(access, user_id, lead_id):
        raise Forbidden(_("Only the owners' committee or the named lead reports on this work."))


def check_can_choose_quote(access: HallAccess) -> None:
    if not can_choose_quote(access):
        raise Forbidden(_("Only the owners' committee chooses the supplier."))


def check_can_amend_budget(access: HallAccess) -> None:
    if not can_amend_budget(access):
        raise Forbidden(_("Only the owners' committee records a new approved budget."))

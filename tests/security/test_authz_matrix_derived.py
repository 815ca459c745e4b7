"""The authorization matrix as the permissions derive it: who each permission lets in, spelled out.

`agora.security.authz_table` maps every matrix role through the predicate each route names, and
`test_authz_matrix.py` checks those expectations over HTTP. This file pins the outcome: a change to a
predicate (`agora.<feature>.permissions`) changes a line below, so widening or narrowing who may do
something is a visible, reviewed change of the matrix and never a side effect.
"""

from __future__ import annotations

from agora.security import authz_table
from agora.security.authz_table import ROLES, TABLE, Permission, hall, rule

EVERYONE = ROLES
SIGNED_IN = tuple(r for r in ROLES if r != "anonymous")
MEMBERS = tuple(r for r in SIGNED_IN if r != "staff")  # community staff are no member of the compound
OWNERS = ("owner", "coowner")
MODERATORS = ("moderator", "admin")
COMMITTEE = ("committee", "admin")
STAFF = ("moderator", "committee", "admin")
CANVASSERS = ("canvasser", "admin")
OWNERS_COMMITTEE = ("committee",)  # a platform administrator is not the owners' committee

DERIVED: dict[str, tuple[str, ...]] = {
    "accounts.anyone": EVERYONE,
    "accounts.signed_in": SIGNED_IN,
    "ballots.holds_units": OWNERS,
    "ballots.may_certify": OWNERS_COMMITTEE,
    "ballots.may_correct": COMMITTEE,
    "ballots.may_enter_paper": CANVASSERS,
    "ballots.may_finalize": OWNERS_COMMITTEE,
    "ballots.may_open_consents_page": ("owner", "coowner", "committee", "canvasser"),
    "ballots.may_see_consents": OWNERS_COMMITTEE,
    "ballots.may_see_turnout": STAFF,
    "concerns.can_add_photo('received')": MODERATORS,
    "concerns.can_change_status": MODERATORS,
    "concerns.can_give_feedback": (),  # the submitter only, and the matrix's caller raised none
    "concerns.can_manage_categories": MODERATORS,
    "concerns.can_merge": MODERATORS,
    "concerns.can_raise": MEMBERS,
    "concerns.can_reply": STAFF,
    "concerns.can_see('public')": MEMBERS,
    "concerns.can_see('public') [reading]": SIGNED_IN,
    "concerns.can_triage": MODERATORS,
    "implementation.can_amend_budget": COMMITTEE,
    "implementation.can_choose_quote": COMMITTEE,
    "implementation.can_open": COMMITTEE,
    "implementation.can_read": MEMBERS,
    "implementation.can_report(0, -1)": COMMITTEE,
    "proposals.may_add_photo(is_author=False, state='voting')": MODERATORS,
    "proposals.may_answer_officially": STAFF,
    "proposals.may_comment": MEMBERS,
    "proposals.may_draft": MEMBERS,
    "proposals.may_enter_in_room": MODERATORS,
    "proposals.may_extend": OWNERS_COMMITTEE,
    "proposals.may_moderate": MODERATORS,
    "proposals.may_read": MEMBERS,
    "proposals.may_report": MEMBERS,
    "proposals.may_second": MEMBERS,
    "proposals.may_set_charged_units": STAFF,
    "recovery.may_issue_resets": STAFF,
    "rooms.can_create_halls": ("admin",),
    "rooms.can_edit_rules": COMMITTEE,
    "rooms.can_invite": STAFF,
    "rooms.can_manage_roll": COMMITTEE,
    "rooms.can_set_roles": COMMITTEE,
    "rooms.is_member": MEMBERS,
    "rooms.may_read_figures [reading]": SIGNED_IN,
}


def label(permission: Permission) -> str:
    name = permission.name.removeprefix("agora.").replace(".permissions.", ".")
    if permission.args or permission.kwargs:
        shown = [repr(a) for a in permission.args] + [f"{k}={v!r}" for k, v in permission.kwargs]
        name += "(" + ", ".join(shown) + ")"
    if permission.through in ("reading", "concern_reading"):
        name += " [reading]"
    return name


def test_every_route_names_a_predicate_of_a_features_permissions_module() -> None:
    for (method, path), row in TABLE.items():
        assert isinstance(row.permission, Permission), (method, path)
        module = row.permission.predicate.__module__
        assert module.startswith("agora.") and module.endswith(".permissions"), (method, path, module)


def test_who_each_permission_allows_is_what_the_predicates_say() -> None:
    derived: dict[str, tuple[str, ...]] = {}
    for (method, path), row in TABLE.items():
        allowed = tuple(role for role in ROLES if role in row.allow)
        previous = derived.setdefault(label(row.permission), allowed)
        assert previous == allowed, (method, path)
    assert derived == DERIVED


def test_a_changed_predicate_changes_the_matrix() -> None:
    """The allowed roles are computed from the predicate, not written beside it."""

    def certify_also_as_administrator(access: authz_table.HallAccess) -> bool:
        return access.is_committee

    assert rule(hall(certify_also_as_administrator)).allow == frozenset(COMMITTEE)
    certify = next(row for key, row in TABLE.items() if key[1].endswith("/resolution/certify"))
    assert certify.allow == frozenset(OWNERS_COMMITTEE)


def test_every_role_of_the_matrix_is_described() -> None:
    assert set(authz_table.CALLERS) == set(ROLES)
    assert authz_table.CALLERS["anonymous"].user is None
    assert authz_table.CALLERS["staff"].access is None  # absent from the compound's own hall

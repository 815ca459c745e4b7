"""The pure recovery rules, over every combination of roles that matters."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from agora.recovery.rules import CODE_LIFETIME, ISSUERS, PRIVILEGED, refusal, usable

ROLES = ["member", "owner", "tenant", "resident", "committee", "moderator", "canvasser", "admin"]


def _subsets(items: list[str]) -> list[frozenset[str]]:
    return [frozenset(c) for n in range(len(items) + 1) for c in itertools.combinations(items, n)]


def _reference(
    actor: frozenset[str], target: frozenset[str], target_is_admin: bool, same: bool
) -> str | None:
    if not actor & {"committee", "moderator", "admin"}:
        return "not_issuer"
    if same:
        return "self"
    if not target:
        return "not_member"
    if target_is_admin:
        return "privileged"
    if "admin" in actor:
        return None
    return "privileged" if target & {"committee", "moderator", "canvasser", "admin"} else None


def test_refusal_agrees_with_the_reference_on_every_combination() -> None:
    subsets = _subsets(["member", "owner", "committee", "moderator", "canvasser", "admin"])
    for actor, target in itertools.product(subsets, subsets):
        for target_is_admin, same in itertools.product((False, True), repeat=2):
            assert refusal(actor, target, target_is_admin=target_is_admin, same_person=same) == _reference(
                actor, target, target_is_admin, same
            ), (actor, target, target_is_admin, same)


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ({"member", "committee"}, {"member", "owner"}, None),  # the committee resets an owner
        ({"member", "moderator"}, {"member"}, None),  # a moderator resets a resident
        ({"member", "owner"}, {"member"}, "not_issuer"),  # an owner cannot
        ({"member", "canvasser"}, {"member"}, "not_issuer"),  # nor a canvasser
        ({"member", "moderator"}, {"member", "committee"}, "privileged"),  # nor take over the committee
        ({"member", "committee"}, {"member", "committee"}, "privileged"),  # nor a colleague
        ({"admin", "member"}, {"member", "committee"}, None),  # the platform administrator can
        ({"member", "committee"}, set(), "not_member"),  # someone outside the hall
    ],
)
def test_the_cases_people_ask_about(actor: set[str], target: set[str], expected: str | None) -> None:
    assert refusal(actor, target, target_is_admin=False, same_person=False) == expected


def test_nobody_resets_their_own_password_or_an_administrators() -> None:
    for actor in ISSUERS:
        assert refusal({actor}, {"member"}, target_is_admin=False, same_person=True) == "self"
        assert refusal({actor}, {"member"}, target_is_admin=True, same_person=False) == "privileged"
    assert PRIVILEGED >= ISSUERS - {"admin"}
    assert set(ROLES) >= PRIVILEGED


def test_a_code_works_once_before_it_expires_unless_replaced() -> None:
    issued = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    expires = issued + CODE_LIFETIME
    assert CODE_LIFETIME == timedelta(hours=24)
    assert usable(issued, expires, None, None)
    assert usable(expires - timedelta(microseconds=1), expires, None, None)
    assert not usable(expires, expires, None, None)  # the boundary: expired at expires_at
    assert not usable(issued, expires, issued, None)  # used
    assert not usable(issued, expires, None, issued)  # replaced by a newer code

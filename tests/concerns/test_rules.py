"""The concern's pure rules: the status machine against a reference written out by hand, triage and
raise validation at their boundaries, merging, feedback, and the permissions table."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.concerns import permissions, rules
from agora.concerns.permissions import Who
from agora.errors import Conflict, Invalid

NOW = datetime(2026, 12, 4, 13, 43, tzinfo=UTC)  # 21:43 in Shanghai
CATS = frozenset({*rules.SEED_CATEGORIES, "停车"})

# The reference, as the issue states it: the lifecycle in order, closing unresolved and skipping
# triage only with a note, nothing out of a final status, merging only through /merge.
ORDER = ["received", "accepted", "in_progress", "resolved"]


def reference(current: str, to: str, note: str) -> str:
    """ "ok", or the kind of refusal: "invalid" (422) or "conflict" (409)."""
    if to not in rules.STATUSES or to == "merged":
        return "invalid"
    if current == to or current in ("resolved", "closed_unresolved", "merged"):
        return "conflict"
    if to == "closed_unresolved":
        return "ok" if note else "invalid"
    if to == "received":
        return "conflict"  # nothing goes back
    forward = ORDER.index(to) - ORDER.index(current)
    if to == "resolved" and current == "received":
        return "ok" if note else "invalid"  # skipping triage
    if forward == 1 or (current == "accepted" and to == "resolved"):
        return "ok"
    return "conflict"


def outcome(current: str, to: str, note: str) -> str:
    try:
        rules.check_status_change(current, to, note)
    except Invalid:
        return "invalid"
    except Conflict:
        return "conflict"
    return "ok"


@pytest.mark.parametrize(
    "current,to,note",
    list(itertools.product(rules.STATUSES, [*rules.STATUSES, "bogus", "RESOLVED"], ["", "x"])),
)
def test_every_status_change_matches_the_reference(current: str, to: str, note: str) -> None:
    assert outcome(current, to, note) == reference(current, to, note)


def test_the_named_cases_of_the_issue() -> None:
    assert outcome("received", "resolved", "") == "invalid"
    assert outcome("received", "resolved", "当天修好") == "ok"
    assert outcome("resolved", "received", "x") == "conflict"
    assert outcome("in_progress", "closed_unresolved", "") == "invalid"
    assert rules.allowed_targets("received") == ["accepted", "resolved", "closed_unresolved"]
    assert rules.allowed_targets("resolved") == []
    assert all(rules.allowed_targets(s) == [] for s in rules.FINAL)


def test_a_status_that_is_not_text_is_invalid() -> None:
    for to in (None, 3, ["resolved"], {"to": "resolved"}):
        assert outcome("received", to, "x") == "invalid"  # type: ignore[arg-type]


def triage(status: str = "received", **data: object) -> rules.Triage:
    base = {"route": "list", "urgency": 2, "category": "health"}
    base.update(data)
    return rules.check_triage(status, base, CATS, NOW)


def test_triage_accepts_each_route_urgency_and_category() -> None:
    for route, urgency, category in itertools.product(rules.ROUTES, (1, 2, 3, "1", " 3 "), sorted(CATS)):
        done = triage(route=route, urgency=urgency, category=category)
        assert (done.route, done.category) == (route, category) and done.urgency in (1, 2, 3)


@given(st.one_of(st.integers(), st.booleans(), st.none(), st.text(max_size=3), st.floats(allow_nan=True)))
def test_urgency_outside_one_to_three_is_refused(value: object) -> None:
    valid = (type(value) is int and value in (1, 2, 3)) or (
        isinstance(value, str) and value.strip() in ("1", "2", "3")
    )
    try:
        triage(urgency=value)
        accepted = True
    except Invalid as error:
        accepted = False
        assert "urgency" in (error.fields or {})
    assert accepted == valid


def test_triage_reports_every_problem_at_once_and_input_before_status() -> None:
    with pytest.raises(Invalid) as caught:
        rules.check_triage(
            "resolved", {"route": "x", "urgency": 9, "category": "x", "due_at": "soon"}, CATS, NOW
        )
    assert set(caught.value.fields or {}) == {"route", "urgency", "category", "due_at"}
    with pytest.raises(Invalid) as caught:
        rules.check_triage("received", {}, CATS, NOW)
    assert caught.value.fields == {"route": "required", "urgency": "required", "category": "required"}
    for status in rules.FINAL:
        with pytest.raises(Conflict):
            triage(status)
    for status in rules.OPEN:
        triage(status)


def test_due_date_boundaries_in_local_time() -> None:
    # NOW is 21:43 on 4 December in Shanghai: that day is still allowed, the 3rd is past.
    assert rules.parse_due("2026-12-04", NOW) == datetime(2026, 12, 4, 15, 59, tzinfo=UTC)
    with pytest.raises(Invalid):
        rules.parse_due("2026-12-03", NOW)
    # 17:00 UTC on the 4th is already the 5th in Shanghai: the 4th is past then.
    with pytest.raises(Invalid):
        rules.parse_due("2026-12-04", NOW + timedelta(hours=3, minutes=17))
    assert rules.parse_due("2026-12-20T18:00", NOW) == datetime(2026, 12, 20, 10, 0, tzinfo=UTC)
    assert rules.parse_due("2026-12-20T18:00+00:00", NOW) == datetime(2026, 12, 20, 18, 0, tzinfo=UTC)
    assert rules.parse_due("", NOW) is None and rules.parse_due(None, NOW) is None
    for bad in ("2026-13-01", "tomorrow", "2026-12-20T25:00", 20261220, ["2026-12-20"]):
        with pytest.raises(Invalid):
            rules.parse_due(bad, NOW)


def test_overdue_only_while_open_and_after_the_due_time() -> None:
    due = NOW
    assert not rules.is_overdue("accepted", due, NOW)
    assert rules.is_overdue("accepted", due, NOW + timedelta(seconds=1))
    assert not rules.is_overdue("resolved", due, NOW + timedelta(days=9))
    assert not rules.is_overdue("in_progress", None, NOW)


def test_merge_rules() -> None:
    rules.check_merge(1, "received", 2, "resolved", True)  # a duplicate of something already fixed
    with pytest.raises(Invalid):
        rules.check_merge(1, "received", 1, "received", True)
    with pytest.raises(Invalid):
        rules.check_merge(1, "received", 2, "received", False)
    for final in rules.FINAL:
        with pytest.raises(Conflict):
            rules.check_merge(1, final, 2, "received", True)
    with pytest.raises(Conflict):
        rules.check_merge(1, "received", 2, "merged", True)


@pytest.mark.parametrize("status", rules.STATUSES)
def test_feedback_only_once_resolved_and_once(status: str) -> None:
    if status == "resolved":
        assert rules.check_feedback(status, False, True, "  谢谢 ") == "谢谢"
        with pytest.raises(Conflict):
            rules.check_feedback(status, True, True, "")
    else:
        with pytest.raises(Conflict):
            rules.check_feedback(status, False, True, "")
    for satisfied in (None, "yes", 1, 0):
        with pytest.raises(Invalid):
            rules.check_feedback(status, False, satisfied, "")
    with pytest.raises(Invalid):
        rules.check_feedback(status, False, False, "x" * (rules.MAX_NOTE + 1))


def test_raise_validation_boundaries() -> None:
    ok = rules.check_raise(
        {"title": "t" * rules.MAX_TITLE, "body": "b" * rules.MAX_BODY, "category": "停车"}, CATS
    )
    assert ok.kind == "concern" and ok.visibility == "public" and ok.on_behalf is None
    with pytest.raises(Invalid) as caught:
        rules.check_raise(
            {
                "title": "t" * (rules.MAX_TITLE + 1),
                "body": "",
                "category": "x",
                "kind": "y",
                "visibility": "z",
                "on_behalf": 5,
            },
            CATS,
        )
    assert set(caught.value.fields or {}) == {"title", "body", "category", "kind", "visibility", "on_behalf"}
    wish = rules.check_raise(
        {
            "title": " 长椅 ",
            "body": "一张",
            "category": "policy",
            "kind": "wish",
            "on_behalf": {"name": " 王奶奶 "},
        },
        CATS,
    )
    assert (wish.title, wish.kind, wish.on_behalf) == ("长椅", "wish", "王奶奶")
    with pytest.raises(Invalid):
        rules.check_raise({"title": "t", "body": "b", "category": "policy", "on_behalf": "x" * 61}, CATS)


def test_category_labels() -> None:
    assert rules.check_category_label("  老年 活动  ", frozenset()) == "老年 活动"
    with pytest.raises(Conflict):
        rules.check_category_label("停车", CATS)
    for bad in ("", "  ", None, 3, "x" * 21):
        with pytest.raises(Invalid):
            rules.check_category_label(bad, CATS)


def test_ref_format() -> None:
    assert rules.format_ref(7, 2026) == "2026-0007"
    assert rules.format_ref(12345, 2027) == "2027-12345"


# --- permissions ------------------------------------------------------------------------------

FLAGS = ("is_member", "is_moderator", "is_committee", "is_canvasser", "is_submitter", "is_enterer")
EVERYONE = [Who(**dict(zip(FLAGS, bits, strict=True))) for bits in itertools.product((False, True), repeat=6)]


@pytest.mark.parametrize("who", EVERYONE)
def test_the_permission_table(who: Who) -> None:
    assert permissions.can_see("public", who) == (who.is_member or who.is_moderator)
    assert permissions.can_see("moderators", who) == (who.is_moderator or who.is_submitter or who.is_enterer)
    assert permissions.can_raise(who) == who.is_member
    assert permissions.can_raise_on_behalf(who) == (who.is_canvasser or who.is_moderator)
    for check in (permissions.can_triage, permissions.can_change_status, permissions.can_merge):
        assert check(who) == who.is_moderator
    expected_role = "party" if who.is_moderator else ("committee" if who.is_committee else None)
    assert permissions.reply_role(who) == expected_role
    assert permissions.can_give_feedback(who) == who.is_submitter
    for status in rules.STATUSES:
        expected = who.is_moderator or ((who.is_submitter or who.is_enterer) and status == "received")
        assert permissions.can_add_photo(status, who) == expected
    assert permissions.can_see_names(who) == (who.is_moderator or who.is_submitter or who.is_enterer)


def test_status_names_in_chinese_are_the_concerns_own() -> None:
    """Message ids are shared by every catalog: a status must not borrow another feature's word
    (the implementation's "Accepted" is 已验收, acceptance of works, not 已受理)."""
    from agora.i18n import use_locale

    with use_locale("zh_CN"):
        names = {status: rules.status_label(status) for status in rules.STATUSES}
    assert names == {
        "received": "已收到",
        "accepted": "已受理",
        "in_progress": "办理中",
        "resolved": "已办结",
        "closed_unresolved": "未解决结束",
        "merged": "已合并",
    }

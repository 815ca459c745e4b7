"""The implementation's pure rules: money, progress, the budget margin, status and the satisfaction rate.

Boundaries by hand (whose arithmetic the test names spell out), then hypothesis against brute-force
references written differently (Fraction and string arithmetic instead of integer fen).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.implementation import rules
from agora.implementation.rules import RuleError

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("0.01", 1),
        ("1", 100),
        ("1.5", 150),
        ("1.50", 150),
        ("3600000", 360_000_000),
        ("1700000.00", 170_000_000),
        (" 12.34 ", 1234),
        (170, 17000),
        ("100000000000", 10_000_000_000_000),  # the largest amount accepted: 1,000 亿元
    ],
)
def test_money_parses_to_exact_fen(text: object, fen: int) -> None:
    assert rules.parse_money(text) == fen


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "-1",
        "1.234",
        "1,000",
        "1e3",
        "¥100",
        "12.",
        ".5",
        "abc",
        "1 000",
        "１２",
        1.5,
        None,
        True,
        [],
        "nan",
    ],
)
def test_malformed_or_negative_amounts_are_refused(bad: object) -> None:
    with pytest.raises(RuleError) as error:
        rules.parse_money(bad, "budget")
    assert error.value.code == "malformed_amount" and error.value.field == "budget"


def test_an_amount_beyond_the_cap_is_refused() -> None:
    with pytest.raises(RuleError) as error:
        rules.parse_money("100000000000.01")
    assert error.value.code == "amount_too_large"


@given(st.integers(min_value=0, max_value=rules.MAX_MONEY_FEN))
def test_format_and_parse_round_trip(fen: int) -> None:
    text = rules.format_money(fen)
    assert rules.parse_money(text) == fen
    assert Fraction(text) == Fraction(fen, 100)  # the reference: the decimal string's exact value
    assert len(text.split(".")[1]) == 2


def test_format_refuses_floats() -> None:
    with pytest.raises(TypeError):
        rules.format_money(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (100, 100), ("55", 55), (" 7 ", 7)])
def test_progress_from_0_to_100(value: object, expected: int) -> None:
    assert rules.parse_progress(value) == expected


@pytest.mark.parametrize("bad", [-1, 101, "101", "-1", "50.5", 50.0, True, None, "", "五十"])
def test_progress_outside_0_to_100_is_refused(bad: object) -> None:
    with pytest.raises(RuleError) as error:
        rules.parse_progress(bad)
    assert error.value.code == "progress_out_of_range"


def test_progress_never_goes_backwards_without_a_note() -> None:
    rules.check_progress(40, 40, "")
    rules.check_progress(40, 41, "")
    rules.check_progress(40, 39, "the scaffolding report was wrong")
    with pytest.raises(RuleError) as error:
        rules.check_progress(40, 39, "   ")
    assert error.value.code == "progress_backwards" and error.value.field == "note"


def test_spending_never_goes_down_without_a_note() -> None:
    rules.check_spent(100, 100, "")
    rules.check_spent(100, 101, "")
    rules.check_spent(100, 0, "invoice 17 was entered twice")
    with pytest.raises(RuleError):
        rules.check_spent(100, 99, "")


def test_the_margin_boundary_itself_is_allowed() -> None:
    # budget 1,000,000.00 yuan, margin 10 %: 1,100,000.00 is allowed, one fen more is not.
    budget = 100_000_000
    assert rules.within_budget(110_000_000, budget, 10)
    assert not rules.within_budget(110_000_001, budget, 10)
    assert rules.spending_ceiling(budget, 10) == 110_000_000
    # margin 0: exactly the budget.
    assert rules.within_budget(budget, budget, 0) and not rules.within_budget(budget + 1, budget, 0)
    # an odd budget: 0.33 yuan × 1.10 = 0.363, so 0.36 is allowed and 0.37 is not.
    assert rules.within_budget(36, 33, 10) and not rules.within_budget(37, 33, 10)
    assert rules.spending_ceiling(33, 10) == 36


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=100),
)
def test_within_budget_matches_exact_fractions(spent: int, budget: int, margin: int) -> None:
    reference = Fraction(spent) <= Fraction(budget) * (1 + Fraction(margin, 100))
    assert rules.within_budget(spent, budget, margin) is reference
    ceiling = rules.spending_ceiling(budget, margin)
    assert rules.within_budget(ceiling, budget, margin) and not rules.within_budget(
        ceiling + 1, budget, margin
    )


def test_funding_must_add_up_and_name_known_sources_once() -> None:
    rules.check_funding(20_000_000, [("maintenance_fund", 15_000_000), ("self_raised", 5_000_000)])
    cases = [
        ([("maintenance_fund", 15_000_000)], "funding_mismatch"),
        ([("maintenance_fund", 15_000_000), ("self_raised", 5_000_001)], "funding_mismatch"),
        ([("lottery", 20_000_000)], "unknown_source"),
        ([("public", 10_000_000), ("public", 10_000_000)], "duplicate_source"),
    ]
    for funding, code in cases:
        with pytest.raises(RuleError) as error:
            rules.check_funding(20_000_000, funding)
        assert error.value.code == code


def test_status_after_an_update() -> None:
    assert rules.stored_status_after_update("planned", 0) == "in_progress"
    assert rules.stored_status_after_update("planned", 99) == "in_progress"
    assert rules.stored_status_after_update("in_progress", 100) == "done"
    assert rules.stored_status_after_update("done", 100) == "done"
    assert rules.stored_status_after_update("done", 90) == "in_progress"
    with pytest.raises(RuleError) as error:
        rules.stored_status_after_update("accepted", 100)
    assert error.value.code == "already_accepted"


@pytest.mark.parametrize(
    ("stored", "due_in", "expected"),
    [
        ("planned", timedelta(days=1), "planned"),
        ("planned", timedelta(0), "planned"),  # due this very moment: not yet past
        ("planned", timedelta(seconds=-1), "stalled"),
        ("in_progress", timedelta(days=-30), "stalled"),
        ("done", timedelta(days=-30), "done"),
        ("accepted", timedelta(days=-30), "accepted"),
        ("in_progress", None, "in_progress"),
    ],
)
def test_stalled_when_past_due_and_not_done(stored: str, due_in: timedelta | None, expected: str) -> None:
    due_at = None if due_in is None else NOW + due_in
    assert rules.effective_status(stored, due_at, NOW) == expected


@pytest.mark.parametrize(
    ("accepted", "rejected", "passed", "rate"),
    [
        (0, 0, False, None),
        (1, 0, True, "1.000"),
        (1, 1, False, "0.500"),  # half is not more than half
        (2, 1, True, "0.666"),  # 2/3 rounded down, never up
        (593, 407, True, "0.593"),
        (0, 5, False, "0.000"),
        (999, 1, True, "0.999"),
    ],
)
def test_acceptance_and_satisfaction(accepted: int, rejected: int, passed: bool, rate: str | None) -> None:
    answer = rules.Acceptance(accepted, rejected)
    assert answer.passed is passed and answer.satisfaction == rate


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_rate_is_the_fraction_rounded_down_to_three_places(part: int, extra: int) -> None:
    whole = part + extra - 1 if part + extra - 1 >= max(part, 1) else max(part, 1)
    text = rules.rate(part, whole)
    assert text is not None
    shown = Fraction(text)
    exact = Fraction(part, whole)
    assert shown <= exact < shown + Fraction(1, 1000)
    assert len(text) == 5 and text[1] == "."


def test_a_rate_refuses_a_part_beyond_the_whole() -> None:
    with pytest.raises(ValueError):
        rules.rate(3, 2)
    assert rules.rate(0, 0) is None


def test_progress_width() -> None:
    assert [rules.progress_width(p) for p in (0, 1, 50, 99, 100)] == [0, 3, 150, 297, 300]

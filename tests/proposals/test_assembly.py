"""The residents' meeting: more than half attending, more than half of those present."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.proposals.assembly import meeting_result


def test_exactly_half_is_not_more_than_half() -> None:
    assert meeting_result(100, 50, 50).reason == "quorum_not_met"
    assert meeting_result(100, 51, 26).outcome == "passed"
    assert meeting_result(100, 51, 25).reason == "not_approved"  # 25 of 51 is not more than half
    assert meeting_result(101, 51, 26).outcome == "passed"
    assert meeting_result(101, 50, 50).outcome == "no_decision"
    assert meeting_result(100, 60, 30).reason == "not_approved"


def test_missing_or_impossible_figures_decide_nothing() -> None:
    for args in ((None, 1, 1), (0, 0, 0), (10, 11, 1), (10, 5, 6), (10, -1, 0)):
        result = meeting_result(*args)
        assert result.outcome == "undetermined" and result.quorum_met is None


@given(st.integers(1, 500), st.data())
def test_against_a_reference_with_fractions(residents: int, data: st.DataObject) -> None:
    from fractions import Fraction

    present = data.draw(st.integers(0, residents))
    yes = data.draw(st.integers(0, present))
    result = meeting_result(residents, present, yes)
    quorum = Fraction(present, residents) > Fraction(1, 2)
    approved = present > 0 and Fraction(yes, present) > Fraction(1, 2)
    assert result.outcome == ("passed" if quorum and approved else "no_decision")
    assert result.to_json()["tests"][0]["met"] is quorum

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


def test_those_present_who_do_not_vote_still_count_among_those_present() -> None:
    from agora.proposals.assembly import count_attendance, meeting_record

    # 6 of 10 attend; 3 yes, 1 no, 2 present without voting: 3 of 6 is exactly half → no decision.
    record = meeting_record(10, ["yes", "yes", "yes", "no", None, None])
    assert record["present"] == 6 and record["not_voted"] == 2
    assert record["outcome"] == "no_decision" and record["reason"] == "not_approved"
    assert record["verdict"] == {"outcome": "no_decision", "text": "未形成决定"}
    assert record["tests"][1]["figures"] == "3/6" and record["rule"] == "居民委员会组织法 第九条"
    assert record["owners_vote"] is False
    # Exactly half attending (5 of 10), all yes: the meeting could not decide.
    half = meeting_record(10, ["yes"] * 5)
    assert half["reason"] == "quorum_not_met" and half["tests"][0] == {
        "name": "attendance",
        "required": "> 1/2",
        "met": False,
        "figures": "5/10",
    }
    passed = meeting_record(10, ["yes", "yes", "yes", "yes", "abstain", "no"])
    assert passed["outcome"] == "passed" and passed["verdict"]["text"] == "通过"
    assert count_attendance([]).not_voted == 0
    assert meeting_record(0, [])["outcome"] == "undetermined"


@given(st.integers(1, 60), st.lists(st.sampled_from(["yes", "no", "abstain", None]), max_size=60))
def test_the_record_agrees_with_a_brute_force_count(residents: int, choices: list[str | None]) -> None:
    from fractions import Fraction

    from agora.proposals.assembly import meeting_record

    record = meeting_record(residents, choices)
    present, yes = len(choices), choices.count("yes")
    assert (record["present"], record["yes"], record["no"], record["abstain"]) == (
        present,
        yes,
        choices.count("no"),
        choices.count("abstain"),
    )
    if present > residents:
        assert record["outcome"] == "undetermined"
    else:
        half = Fraction(1, 2)
        decided = Fraction(present, residents) > half and Fraction(yes, max(present, 1)) > half
        assert record["outcome"] == ("passed" if decided else "no_decision")

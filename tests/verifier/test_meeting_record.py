"""The verifier's check of a residents' meeting's record, from its figures alone (no server code)."""

from __future__ import annotations

import copy
from typing import Any

from agora.verifier.meeting import check_meeting, is_meeting_record

RECORD: dict[str, Any] = {
    "kind": "residents_meeting",
    "owners_vote": False,
    "rule": "居民委员会组织法 第九条",
    "result": {
        "residents": 10,
        "present": 6,
        "yes": 4,
        "no": 1,
        "abstain": 0,
        "not_voted": 1,
        "outcome": "passed",
        "verdict": {"outcome": "passed", "text": "通过"},
    },
}


def changed(**figures: Any) -> dict[str, Any]:
    record = copy.deepcopy(RECORD)
    record["result"].update(figures)
    return record


def test_a_true_record_holds_and_each_lie_is_named() -> None:
    assert is_meeting_record(RECORD) and not is_meeting_record({"kind": "resolution"})
    assert check_meeting(RECORD) == ("passed", [])
    # Exactly half attending (5 of 10), every one in favour: no decision, whatever the record says.
    outcome, problems = check_meeting(changed(present=5, yes=5, no=0, not_voted=0))
    assert outcome == "no_decision" and len(problems) == 2  # the outcome and its words
    # Exactly half of those present in favour (3 of 6).
    assert check_meeting(changed(yes=3, no=2))[0] == "no_decision"
    honest = changed(
        yes=3, no=2, outcome="no_decision", verdict={"outcome": "no_decision", "text": "未形成决定"}
    )
    assert check_meeting(honest) == ("no_decision", [])


def test_figures_that_cannot_be_true_decide_nothing() -> None:
    assert check_meeting(changed(no=2))[1]  # 4 + 2 + 0 + 1 ≠ 6
    assert check_meeting(changed(present=11, yes=9, no=1, not_voted=1))[0] is None  # more than the roll
    assert check_meeting(changed(residents=0))[0] is None
    for bad in (None, -1, True, "6"):
        assert check_meeting(changed(present=bad))[0] is None
    assert check_meeting({**RECORD, "result": None})[1]  # not closed: nothing to check yet
    assert check_meeting({**RECORD, "owners_vote": True})[1]  # it must say it is no owners' vote

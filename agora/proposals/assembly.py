"""The residents' meeting (居民会议), as a pure rule (居民委员会组织法 art. 9).

A residents' meeting decides community matters: it may decide only when **more than half** of the
residents (or of the household representatives) attend, and a decision needs **more than half of
those present**. Residents include tenants: everyone who lives there, owner or not, is a voter.
"过半数" is strict: exactly half is not more than half. Integer arithmetic, no rounding.

Those present who vote no, abstain or do not vote at all still count among "those present": the
denominator of the majority is attendance, not the ballots cast. The owners' roll (persons, area,
the developer's bloc) plays no part: this is not an owners' vote under Civil Code art. 278.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

RULE = "居民委员会组织法 第九条"  # the rule the record cites
MEETING_CHOICES = ("yes", "no", "abstain")
VERDICTS = {"passed": "通过", "no_decision": "未形成决定", "undetermined": "无法确定"}


@dataclass(frozen=True)
class MeetingResult:
    outcome: str  # "passed" | "no_decision" | "undetermined"
    reason: str | None  # None | "quorum_not_met" | "not_approved" | "missing_figures"
    quorum_met: bool | None
    approved: bool | None

    def to_json(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "tests": [
                {"name": "attendance", "required": "> 1/2", "met": self.quorum_met},
                {"name": "approval_present", "required": "> 1/2", "met": self.approved},
            ],
        }


def meeting_result(residents: int | None, present: int, yes: int) -> MeetingResult:
    """`residents` on the list, `present` attending, `yes` of those present voting for."""
    if residents is None or residents <= 0 or present < 0 or yes < 0 or yes > present or present > residents:
        return MeetingResult("undetermined", "missing_figures", None, None)
    quorum = 2 * present > residents
    approved = 2 * yes > present
    if not quorum:
        return MeetingResult("no_decision", "quorum_not_met", False, approved)
    if not approved:
        return MeetingResult("no_decision", "not_approved", True, False)
    return MeetingResult("passed", None, True, True)


@dataclass(frozen=True)
class MeetingCounts:
    """Attendance and the votes of those present (`not_voted`: present, no vote recorded)."""

    present: int
    yes: int
    no: int
    abstain: int

    @property
    def not_voted(self) -> int:
        return self.present - self.yes - self.no - self.abstain

    def to_json(self) -> dict[str, int]:
        return {
            "present": self.present,
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "not_voted": self.not_voted,
        }


def count_attendance(choices: Iterable[str | None]) -> MeetingCounts:
    """One entry per resident present: their choice, or None if they did not vote."""
    present = yes = no = abstain = 0
    for choice in choices:
        present += 1
        if choice == "yes":
            yes += 1
        elif choice == "no":
            no += 1
        elif choice == "abstain":
            abstain += 1
    return MeetingCounts(present, yes, no, abstain)


def meeting_record(residents: int, choices: Iterable[str | None]) -> dict[str, Any]:
    """The decision part of the meeting's record: the figures, each test with its figures, the
    verdict in words, the rule cited. `residents` is the roll frozen when the meeting opened."""
    counts = count_attendance(choices)
    result = meeting_result(residents, counts.present, counts.yes)
    tests = result.to_json()["tests"]
    assert isinstance(tests, list)
    tests[0]["figures"] = f"{counts.present}/{residents}"
    tests[1]["figures"] = f"{counts.yes}/{counts.present}"
    return {
        "rule": RULE,
        "owners_vote": False,
        "residents": residents,
        **counts.to_json(),
        "outcome": result.outcome,
        "reason": result.reason,
        "tests": tests,
        "verdict": {"outcome": result.outcome, "text": VERDICTS[result.outcome]},
    }

"""The residents' meeting (居民会议), as a pure rule (居民委员会组织法 art. 9).

A residents' meeting decides community matters: it may decide only when **more than half** of the
residents (or of the household representatives) attend, and a decision needs **more than half of
those present**. Residents include tenants: everyone who lives there, owner or not, is a voter.
"过半数" is strict: exactly half is not more than half. Integer arithmetic, no rounding.
"""

from __future__ import annotations

from dataclasses import dataclass


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

"""A residents' meeting's record (`GET /api/v1/proposals/{id}/meeting`), checked from its figures.

Not an owners' vote: there is no roll of owners, no area and no ledger to check, and the verifier
says so. What it can check it does, with its own arithmetic (no server code): the counts add up,
more than half of the residents attended (2 × present > residents), more than half of those present
voted yes (2 × yes > present), and the verdict follows from both (居民委员会组织法 第九条).
"""

from __future__ import annotations

from typing import Any

from agora.i18n import _

KIND = "residents_meeting"
VERDICTS = {"passed": "通过", "no_decision": "未形成决定"}


def is_meeting_record(record: Any) -> bool:
    return isinstance(record, dict) and record.get("kind") == KIND


def _figure(result: dict[str, Any], name: str) -> int:
    value = result.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(name)
    return value


def check_meeting(record: dict[str, Any]) -> tuple[str | None, list[str]]:
    """→ (the outcome re-derived from the figures, or None; the problems found)."""
    result = record.get("result")
    if record.get("owners_vote") is not False:
        return None, [_("A residents' meeting record must say it is not an owners' vote.")]
    if not isinstance(result, dict):
        return None, [_("The meeting has no decision yet: it is not closed.")]
    try:
        residents, present, yes, no, abstain, not_voted = (
            _figure(result, name) for name in ("residents", "present", "yes", "no", "abstain", "not_voted")
        )
    except ValueError as missing:
        return None, [_("The figure {name} is missing or not a whole number.", name=str(missing))]
    problems: list[str] = []
    if yes + no + abstain + not_voted != present:
        problems.append(_("Yes, no, abstain and present without voting do not add up to those present."))
    if present > residents or residents == 0:
        problems.append(_("More residents present than on the roll, or an empty roll."))
        return None, problems
    quorum, approved = 2 * present > residents, 2 * yes > present
    outcome = "passed" if quorum and approved else "no_decision"
    if result.get("outcome") != outcome:
        problems.append(
            _(
                "The record says {said}; its figures give {outcome}.",
                said=result.get("outcome"),
                outcome=outcome,
            )
        )
    verdict = result.get("verdict")
    if not isinstance(verdict, dict) or verdict.get("text") != VERDICTS[outcome]:
        problems.append(_("The verdict in words does not follow from the figures."))
    return outcome, problems

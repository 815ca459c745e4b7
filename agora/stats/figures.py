"""The figures a community or street office reports upward, as pure functions over plain rows.

No Tortoise, no Starlette: `figures(rows, start, end)` turns rows read elsewhere (in a bounded number
of queries) into the api.md "Figures" shape. Counts are exact integers; rates are decimal strings
with three places rounded down (never shown higher than they are); the median days to resolve is a
decimal string with one place, rounded down. A range `[start, end)` filters each row by the moment it
belongs to: a concern by when it was received, a proposal by when it was created, a vote by when it
closed. A roll-up is the figures of the union of the children's rows (never an average of averages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from agora import clock

RESOLVED = "resolved"
UNRESOLVED = "closed_unresolved"
MERGED = "merged"
DONE_CONCERN = frozenset({RESOLVED, UNRESOLVED, MERGED})


@dataclass(frozen=True)
class ConcernRow:
    kind: str  # "concern" | "wish"
    category: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    satisfied: bool | None  # the submitter's feedback, None when none was given
    building: str | None = None
    urgency: int | None = None  # 1 normal, 2 soon, 3 urgent; None before triage


@dataclass(frozen=True)
class ProposalRow:
    """`count` proposals in `state` created at `created_at`; a reader that has already applied the
    range itself (a GROUP BY in the database) gives `created_at=None`."""

    state: str
    created_at: datetime | None
    count: int = 1


@dataclass(frozen=True)
class VoteRow:
    outcome: str  # "passed" | "no_decision" | "undetermined"
    closed_at: datetime
    persons: int  # who took part
    persons_total: int  # the frozen roll's persons


@dataclass(frozen=True)
class WorkRow:
    status: str
    spent_fen: int


def rate(part: int, whole: int) -> str | None:
    """part / whole with three places, rounded down; None when nothing was counted."""
    if whole <= 0:
        return None
    thousandths = (1000 * part) // whole
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def median_tenths(values: list[int], unit: int) -> str | None:
    """The median of integer `values` divided by `unit`, one place, rounded down (exact arithmetic)."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    # median = (a + b) / 2 with a, b the middle values (a == b for an odd count)
    twice = ordered[(n - 1) // 2] + ordered[n // 2]
    tenths = (10 * twice) // (2 * unit)
    return f"{tenths // 10}.{tenths % 10}"


def _in(moment: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment < end)


def concern_figures(rows: Iterable[ConcernRow]) -> dict[str, Any]:
    """The concerns' figures (wishes left out), in one pass over the rows."""
    received = resolved = unresolved = open_count = satisfied = feedback = 0
    days: list[int] = []
    by_category: dict[str, list[int]] = {}  # key -> [received, resolved, open]
    by_building: dict[str, list[int]] = {}
    for row in rows:
        if row.kind == "wish":
            continue
        received += 1
        status = row.status
        is_resolved = status == RESOLVED
        is_open = status not in DONE_CONCERN
        if is_resolved:
            resolved += 1
            if row.resolved_at is not None:
                days.append(int((row.resolved_at - row.created_at).total_seconds()))
        elif status == UNRESOLVED:
            unresolved += 1
        open_count += is_open
        if row.satisfied is not None:
            feedback += 1
            satisfied += row.satisfied
        for table, key in ((by_category, row.category), (by_building, row.building or "")):
            entry = table.get(key)
            if entry is None:
                entry = table[key] = [0, 0, 0]
            entry[0] += 1
            entry[1] += is_resolved
            entry[2] += is_open

    def counts(entry: list[int]) -> dict[str, int]:
        return {"received": entry[0], "resolved": entry[1], "open": entry[2]}

    return {
        "received": received,
        "resolved": resolved,
        "closed_unresolved": unresolved,
        "open": open_count,
        "resolution_rate": rate(resolved, received),
        "median_days_to_resolve": median_tenths(days, 86400),
        "satisfied": satisfied,
        "feedback": feedback,
        "satisfaction_rate": rate(satisfied, feedback),
        "by_category": {k: counts(v) for k, v in sorted(by_category.items())},
        "by_building": {k: counts(v) for k, v in sorted(by_building.items()) if k},
    }


def by_month(rows: Iterable[ConcernRow], zone: tzinfo) -> dict[str, dict[str, int]]:
    """Received (by the month it came in) and resolved (by the month it was resolved), per local month."""
    months: dict[tuple[int, int], list[int]] = {}  # (year, month) -> [received, resolved]
    for row in rows:
        if row.kind == "wish":
            continue
        came = row.created_at.astimezone(zone)
        entry = months.get((came.year, came.month))
        if entry is None:
            entry = months[(came.year, came.month)] = [0, 0]
        entry[0] += 1
        if row.status == RESOLVED and row.resolved_at is not None:
            done = row.resolved_at.astimezone(zone)
            months.setdefault((done.year, done.month), [0, 0])[1] += 1
    return {
        f"{year:04d}-{month:02d}": {"received": counts[0], "resolved": counts[1]}
        for (year, month), counts in sorted(months.items())
    }


# Age of an open item in whole days since it was received: (key, last day included; None = no end).
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (("0-7", 7), ("8-30", 30), ("31-90", 90), ("91+", None))
URGENCY_KEYS = ("3", "2", "1", "untriaged")  # urgent first; "untriaged": not triaged yet


def age_bucket(days: int) -> str:
    for key, last in AGE_BUCKETS:
        if last is None or days <= last:
            return key
    raise AssertionError("the last bucket has no end")  # pragma: no cover


def open_by_urgency_and_age(rows: Iterable[ConcernRow], now: datetime) -> dict[str, dict[str, int]]:
    """The open concerns (received, accepted, in progress; not wishes) counted by urgency and by age in
    whole days since received (as of `now`): {urgency: {bucket: n}}, every urgency and bucket present."""
    table = {u: {key: 0 for key, _last in AGE_BUCKETS} for u in URGENCY_KEYS}
    for row in rows:
        if row.status in DONE_CONCERN or row.kind == "wish":
            continue
        urgency = str(row.urgency) if row.urgency in (1, 2, 3) else "untriaged"
        days = max(0, (now - row.created_at).days)
        table[urgency][age_bucket(days)] += 1
    return table


def vote_figures(rows: Iterable[VoteRow]) -> dict[str, Any]:
    votes = list(rows)
    outcomes = Counter(v.outcome for v in votes)
    # The median of participating / total as an exact fraction, compared by cross-multiplication.
    shares = sorted(
        (v for v in votes if v.persons_total > 0), key=lambda v: _Fraction(v.persons, v.persons_total)
    )
    median = None
    if shares:
        low, high = shares[(len(shares) - 1) // 2], shares[len(shares) // 2]
        num = low.persons * high.persons_total + high.persons * low.persons_total
        den = 2 * low.persons_total * high.persons_total
        median = rate(num, den)
    return {
        "held": len(votes),
        "passed": outcomes["passed"],
        "no_decision": outcomes["no_decision"],
        "turnout_persons_median": median,
    }


class _Fraction:
    """A sort key for a / b (b > 0) without floats."""

    __slots__ = ("a", "b")

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b

    def __lt__(self, other: _Fraction) -> bool:
        return self.a * other.b < other.a * self.b


def figures(
    concerns: Iterable[ConcernRow],
    proposals: Iterable[ProposalRow],
    votes: Iterable[VoteRow],
    works: Iterable[WorkRow],
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The api.md "Figures" for the rows of a hall (and its children), within `[start, end)`; the open
    items' ages are counted as of `now` (the clock's now by default)."""
    # A merged concern is a duplicate of its survivor: one worry, received once (docs/concerns.md).
    chosen = [r for r in concerns if _in(r.created_at, start, end) and r.status != MERGED]
    wishes = [r for r in chosen if r.kind == "wish"]
    proposals_in = [p for p in proposals if p.created_at is None or _in(p.created_at, start, end)]
    by_state: Counter[str] = Counter()
    for p in proposals_in:
        by_state[p.state] += p.count
    work_rows = list(works)
    return {
        "concerns": {
            **concern_figures(chosen),
            "by_month": by_month(chosen, clock.LOCAL_TZ),
            "open_by_urgency_and_age": open_by_urgency_and_age(chosen, now or clock.now()),
        },
        "wishes": {"received": len(wishes), "fulfilled": sum(1 for w in wishes if w.status == RESOLVED)},
        "proposals": {"by_state": dict(sorted((k, v) for k, v in by_state.items() if v))},
        "votes": vote_figures(v for v in votes if _in(v.closed_at, start, end)),
        "implementation": {
            "active": sum(1 for w in work_rows if w.status in ("planned", "in_progress", "stalled")),
            "done": sum(1 for w in work_rows if w.status in ("done", "accepted")),
            "accepted": sum(1 for w in work_rows if w.status == "accepted"),
            "spent": _yuan(sum(w.spent_fen for w in work_rows)),
        },
    }


def _yuan(fen: int) -> str:
    whole, fraction = divmod(fen, 100)
    return f"{whole}.{fraction:02d}"

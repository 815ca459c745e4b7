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
from typing import Any, NamedTuple

from agora import clock

RESOLVED = "resolved"
UNRESOLVED = "closed_unresolved"
MERGED = "merged"
DONE_CONCERN = frozenset({RESOLVED, UNRESOLVED, MERGED})


class ConcernRow(NamedTuple):
    """A named tuple, not a dataclass: 20,000 of them are built per community page, and a frozen
    dataclass's constructor costs several times a tuple's."""

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


# Age of an open item in whole days since it was received: (key, last day included; None = no end).
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (("0-7", 7), ("8-30", 30), ("31-90", 90), ("91+", None))
URGENCY_KEYS = ("3", "2", "1", "untriaged")  # urgent first; "untriaged": not triaged yet


def age_bucket(days: int) -> str:
    for key, last in AGE_BUCKETS:
        if last is None or days <= last:
            return key
    raise AssertionError("the last bucket has no end")  # pragma: no cover


class ConcernTally:
    """The concerns' and wishes' counts of some rows, in one pass, kept so that tallies add up: a
    roll-up merges its parts' tallies (`merge`) instead of reading every row again for the whole,
    and the figures of the merge are those of the union of the rows."""

    def __init__(self, zone: tzinfo, now: datetime) -> None:
        self.zone, self.now = zone, now
        self.received = self.resolved = self.unresolved = self.open = self.satisfied = self.feedback = 0
        self.wishes = self.fulfilled = 0
        self.seconds: list[int] = []  # received -> resolved, per resolved concern
        self.by_category: dict[str, list[int]] = {}  # key -> [received, resolved, open]
        self.by_building: dict[str, list[int]] = {}
        self.months: dict[tuple[int, int], list[int]] = {}  # (year, month) -> [received, resolved]
        self.open_table = {u: {key: 0 for key, _last in AGE_BUCKETS} for u in URGENCY_KEYS}

    def add(self, rows: Iterable[ConcernRow]) -> ConcernTally:
        zone, now, months = self.zone, self.now, self.months
        for row in rows:
            status = row.status
            if row.kind == "wish":
                self.wishes += 1
                self.fulfilled += status == RESOLVED
                continue
            self.received += 1
            is_resolved = status == RESOLVED
            is_open = status not in DONE_CONCERN
            came = row.created_at.astimezone(zone)
            entry = months.get((came.year, came.month))
            if entry is None:
                entry = months[(came.year, came.month)] = [0, 0]
            entry[0] += 1
            if is_resolved:
                self.resolved += 1
                if row.resolved_at is not None:
                    self.seconds.append(int((row.resolved_at - row.created_at).total_seconds()))
                    done = row.resolved_at.astimezone(zone)
                    months.setdefault((done.year, done.month), [0, 0])[1] += 1
            elif status == UNRESOLVED:
                self.unresolved += 1
            if is_open:
                self.open += 1
                urgency = str(row.urgency) if row.urgency in (1, 2, 3) else "untriaged"
                self.open_table[urgency][age_bucket(max(0, (now - row.created_at).days))] += 1
            if row.satisfied is not None:
                self.feedback += 1
                self.satisfied += row.satisfied
            for table, key in ((self.by_category, row.category), (self.by_building, row.building or "")):
                counts = table.get(key)
                if counts is None:
                    counts = table[key] = [0, 0, 0]
                counts[0] += 1
                counts[1] += is_resolved
                counts[2] += is_open
        return self

    def merge(self, other: ConcernTally) -> ConcernTally:
        for name in ("received", "resolved", "unresolved", "open", "satisfied", "feedback", "wishes",
                     "fulfilled"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds.extend(other.seconds)
        for mine, theirs in ((self.by_category, other.by_category), (self.by_building, other.by_building)):
            _add_counts(mine, theirs)
        _add_counts(self.months, other.months)
        for urgency, buckets in other.open_table.items():
            for key, n in buckets.items():
                self.open_table[urgency][key] += n
        return self

    def concern_figures(self) -> dict[str, Any]:
        def counts(entry: list[int]) -> dict[str, int]:
            return {"received": entry[0], "resolved": entry[1], "open": entry[2]}

        return {
            "received": self.received,
            "resolved": self.resolved,
            "closed_unresolved": self.unresolved,
            "open": self.open,
            "resolution_rate": rate(self.resolved, self.received),
            "median_days_to_resolve": median_tenths(self.seconds, 86400),
            "satisfied": self.satisfied,
            "feedback": self.feedback,
            "satisfaction_rate": rate(self.satisfied, self.feedback),
            "by_category": {k: counts(v) for k, v in sorted(self.by_category.items())},
            "by_building": {k: counts(v) for k, v in sorted(self.by_building.items()) if k},
        }

    def by_month(self) -> dict[str, dict[str, int]]:
        return {
            f"{year:04d}-{month:02d}": {"received": counts[0], "resolved": counts[1]}
            for (year, month), counts in sorted(self.months.items())
        }

    def open_by_urgency_and_age(self) -> dict[str, dict[str, int]]:
        return {u: dict(buckets) for u, buckets in self.open_table.items()}


def _add_counts(into: dict[Any, list[int]], other: dict[Any, list[int]]) -> None:
    for key, counts in other.items():
        mine = into.setdefault(key, [0] * len(counts))
        for i, n in enumerate(counts):
            mine[i] += n


def concern_figures(rows: Iterable[ConcernRow]) -> dict[str, Any]:
    """The concerns' figures (wishes left out)."""
    return ConcernTally(clock.LOCAL_TZ, clock.now()).add(rows).concern_figures()


def by_month(rows: Iterable[ConcernRow], zone: tzinfo) -> dict[str, dict[str, int]]:
    """Received (by the month it came in) and resolved (by the month it was resolved), per local month."""
    return ConcernTally(zone, clock.now()).add(rows).by_month()


def open_by_urgency_and_age(rows: Iterable[ConcernRow], now: datetime) -> dict[str, dict[str, int]]:
    """The open concerns (received, accepted, in progress; not wishes) counted by urgency and by age in
    whole days since received (as of `now`): {urgency: {bucket: n}}, every urgency and bucket present."""
    return ConcernTally(clock.LOCAL_TZ, now).add(rows).open_by_urgency_and_age()


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


@dataclass
class Part:
    """The rows of one part of a roll-up (a child hall's subtree, or the hall's own rows)."""

    concerns: list[ConcernRow]
    proposals: list[ProposalRow]
    votes: list[VoteRow]
    works: list[WorkRow]


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
    part = Part(list(concerns), list(proposals), list(votes), list(works))
    return roll_up([part], start, end, now)[0]


def roll_up(
    parts: list[Part], start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figures of the union of `parts` and of each part, reading every row once: a part's
    concern tally is merged into the whole's, never recounted (the figures of the union, not an
    average of averages)."""
    moment = now or clock.now()
    whole = Part([], [], [], [])
    total = ConcernTally(clock.LOCAL_TZ, moment)
    each = []
    for part in parts:
        # A merged concern is a duplicate of its survivor: one worry, received once (docs/concerns.md).
        chosen = [r for r in part.concerns if r.status != MERGED and _in(r.created_at, start, end)]
        tally = ConcernTally(clock.LOCAL_TZ, moment).add(chosen)
        proposals_in = [p for p in part.proposals if p.created_at is None or _in(p.created_at, start, end)]
        votes_in = [v for v in part.votes if _in(v.closed_at, start, end)]
        each.append(_finish(tally, proposals_in, votes_in, part.works))
        total.merge(tally)
        whole.proposals.extend(proposals_in)
        whole.votes.extend(votes_in)
        whole.works.extend(part.works)
    return _finish(total, whole.proposals, whole.votes, whole.works), each


def _finish(
    tally: ConcernTally, proposals: list[ProposalRow], votes: list[VoteRow], works: list[WorkRow]
) -> dict[str, Any]:
    by_state: Counter[str] = Counter()
    for p in proposals:
        by_state[p.state] += p.count
    return {
        "concerns": {
            **tally.concern_figures(),
            "by_month": tally.by_month(),
            "open_by_urgency_and_age": tally.open_by_urgency_and_age(),
        },
        "wishes": {"received": tally.wishes, "fulfilled": tally.fulfilled},
        "proposals": {"by_state": dict(sorted((k, v) for k, v in by_state.items() if v))},
        "votes": vote_figures(votes),
        "implementation": {
            "active": sum(1 for w in works if w.status in ("planned", "in_progress", "stalled")),
            "done": sum(1 for w in works if w.status in ("done", "accepted")),
            "accepted": sum(1 for w in works if w.status == "accepted"),
            "spent": _yuan(sum(w.spent_fen for w in works)),
        },
    }


def _yuan(fen: int) -> str:
    whole, fraction = divmod(fen, 100)
    return f"{whole}.{fraction:02d}"

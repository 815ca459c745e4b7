"""The figures, checked against hand-counted fixtures (an ordinary hall, an empty one, one with only
unresolved items) and, by hypothesis, against references written with fractions and statistics.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from agora.stats.figures import (
    ConcernRow,
    Part,
    ProposalRow,
    VoteRow,
    WorkRow,
    age_bucket,
    figures,
    median_tenths,
    open_by_urgency_and_age,
    rate,
    roll_up,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def concern(
    status: str,
    received: float,
    resolved: float | None = None,
    *,
    kind: str = "concern",
    category: str = "greening",
    satisfied: bool | None = None,
    building: str | None = "1",
    urgency: int | None = None,
) -> ConcernRow:
    return ConcernRow(
        kind,
        category,
        status,
        day(received),
        None if resolved is None else day(resolved),
        satisfied,
        building,
        urgency,
    )


# Counted by hand: 7 concerns and 2 wishes received from 1 to 20 November, one concern in December.
CONCERNS = [
    concern("resolved", 0, 2, satisfied=True),  # 2 days
    concern("resolved", 1, 4.5, category="parking", satisfied=False, building="2"),  # 3.5 days
    concern("resolved", 2, 12, category="parking", satisfied=True, building="2"),  # 10 days
    concern("closed_unresolved", 3, 9, category="facilities"),
    concern("in_progress", 5, category="facilities", urgency=3),
    concern("received", 6, category="greening", building=None),
    concern("accepted", 19, urgency=1),
    concern("resolved", 40, 41),  # December: outside the November range
    concern("resolved", 4, 6, kind="wish", category="other"),  # a wish fulfilled
    concern("received", 7, kind="wish", category="other"),
]
PROPOSALS = [
    ProposalRow("draft", day(1)),
    ProposalRow("certified", day(2)),
    ProposalRow("certified", day(3)),
    ProposalRow("voting", day(35)),
]
VOTES = [
    VoteRow("passed", day(10), 5, 6),
    VoteRow("no_decision", day(12), 3, 6),
    VoteRow("passed", day(18), 600, 950),
    VoteRow("passed", day(45), 1, 1),
]
WORKS = [WorkRow("in_progress", 9_800_000), WorkRow("accepted", 17_150_000), WorkRow("planned", 0)]
NOVEMBER = (day(0), day(30))


EMPTY_AGES = {"0-7": 0, "8-30": 0, "31-90": 0, "91+": 0}


def test_hand_counted_november() -> None:
    got = figures(CONCERNS, PROPOSALS, VOTES, WORKS, *NOVEMBER, now=day(30))
    assert got["concerns"] == {
        "received": 7,
        "resolved": 3,
        "closed_unresolved": 1,
        "open": 3,  # in progress, received, accepted
        "resolution_rate": "0.428",  # 3 / 7 = 0.4285…, rounded down
        "median_days_to_resolve": "3.5",  # 2, 3.5, 10
        "satisfied": 2,
        "feedback": 3,
        "satisfaction_rate": "0.666",
        "by_category": {
            "facilities": {"received": 2, "resolved": 0, "open": 1},
            "greening": {"received": 3, "resolved": 1, "open": 2},
            "parking": {"received": 2, "resolved": 2, "open": 0},
        },
        "by_building": {
            "1": {"received": 4, "resolved": 1, "open": 2},
            "2": {"received": 2, "resolved": 2, "open": 0},
        },
        # All received in November, and resolved on 3, 6 and 13 November (Shanghai time).
        "by_month": {"2026-11": {"received": 7, "resolved": 3}},
        # Open on 1 December 09:00 UTC: in progress for 25 days (urgent), received 24 days ago (not
        # triaged), accepted 11 days ago (normal). The open wish is not a concern.
        "open_by_urgency_and_age": {
            "3": {**EMPTY_AGES, "8-30": 1},
            "2": EMPTY_AGES,
            "1": {**EMPTY_AGES, "8-30": 1},
            "untriaged": {**EMPTY_AGES, "8-30": 1},
        },
    }
    assert got["wishes"] == {"received": 2, "fulfilled": 1}
    assert got["proposals"] == {"by_state": {"certified": 2, "draft": 1}}
    # Turnouts 3/6 = 0.5, 5/6 = 0.833…, 600/950 = 0.631…: the median is 600/950.
    assert got["votes"] == {"held": 3, "passed": 2, "no_decision": 1, "turnout_persons_median": "0.631"}
    assert got["implementation"] == {"active": 2, "done": 1, "accepted": 1, "spent": "269500.00"}


def test_no_range_counts_everything() -> None:
    got = figures(CONCERNS, PROPOSALS, VOTES, WORKS)
    assert got["concerns"]["received"] == 8 and got["concerns"]["resolved"] == 4
    # 1, 2, 3.5 and 10 days: the mean of the middle two, (2 + 3.5) / 2 = 2.75, shown rounded down.
    assert got["concerns"]["median_days_to_resolve"] == "2.7"
    assert got["votes"]["held"] == 4 and got["proposals"]["by_state"]["voting"] == 1


def test_an_empty_hall() -> None:
    got = figures([], [], [], [])
    assert got == {
        "concerns": {
            "received": 0,
            "resolved": 0,
            "closed_unresolved": 0,
            "open": 0,
            "resolution_rate": None,
            "median_days_to_resolve": None,
            "satisfied": 0,
            "feedback": 0,
            "satisfaction_rate": None,
            "by_category": {},
            "by_building": {},
            "by_month": {},
            "open_by_urgency_and_age": {u: EMPTY_AGES for u in ("3", "2", "1", "untriaged")},
        },
        "wishes": {"received": 0, "fulfilled": 0},
        "proposals": {"by_state": {}},
        "votes": {"held": 0, "passed": 0, "no_decision": 0, "turnout_persons_median": None},
        "implementation": {"active": 0, "done": 0, "accepted": 0, "spent": "0.00"},
    }


def test_a_hall_with_only_unresolved_items() -> None:
    rows = [concern("received", 1), concern("accepted", 2), concern("in_progress", 3, category="parking")]
    got = figures(rows, [], [], [])["concerns"]
    assert got["received"] == 3 and got["resolved"] == 0 and got["open"] == 3
    assert got["resolution_rate"] == "0.000" and got["median_days_to_resolve"] is None
    assert got["feedback"] == 0 and got["satisfaction_rate"] is None


def test_open_items_by_urgency_and_age_at_the_bucket_edges() -> None:
    edges = {0: "0-7", 7: "0-7", 8: "8-30", 30: "8-30", 31: "31-90", 90: "31-90", 91: "91+", 4000: "91+"}
    assert {d: age_bucket(d) for d in edges} == edges
    now = day(100)
    rows = [
        concern("received", 100 - 7.99, urgency=2),  # 7 whole days
        concern("accepted", 100 - 8, urgency=2),  # 8 days
        concern("in_progress", 100 - 91, urgency=3),
        concern("received", 100.5),  # received "after" now (a clock skew): age 0
        concern("resolved", 1, 2, urgency=3),  # done: not open
        concern("closed_unresolved", 1, urgency=3),
        concern("merged", 1, urgency=3),
        concern("received", 1, kind="wish", urgency=3),  # a wish is not a concern
    ]
    got = open_by_urgency_and_age(
        [r for r in rows if r.kind != "wish"] + [r for r in rows if r.kind == "wish"], now
    )
    assert got == {
        "3": {**EMPTY_AGES, "91+": 1},
        "2": {**EMPTY_AGES, "0-7": 1, "8-30": 1},
        "1": EMPTY_AGES,
        "untriaged": {**EMPTY_AGES, "0-7": 1},
    }


def test_a_merged_duplicate_is_not_received_twice() -> None:
    # Three worries raised, one merged into another: two concerns received, one resolved, one open.
    rows = [
        concern("resolved", 1, 4),
        concern("merged", 2),
        concern("received", 3),
        wish_merged := concern("merged", 3, kind="wish"),
    ]
    got = figures(rows, [], [], [])
    assert got["concerns"]["received"] == 2 and got["concerns"]["resolved"] == 1
    assert got["concerns"]["open"] == 1 and got["concerns"]["resolution_rate"] == "0.500"
    assert got["concerns"]["by_month"] == {"2026-11": {"received": 2, "resolved": 1}}
    assert got["wishes"] == {"received": 0, "fulfilled": 0}, wish_merged


def test_by_month_in_local_time() -> None:
    # Received 30 November 20:00 UTC = 1 December 04:00 in Shanghai; resolved in January.
    late = ConcernRow("concern", "x", "resolved", datetime(2026, 11, 30, 20, 0, tzinfo=UTC),
                      datetime(2027, 1, 2, 1, 0, tzinfo=UTC), None)  # fmt: skip
    early = ConcernRow("concern", "x", "received", datetime(2026, 11, 30, 15, 59, tzinfo=UTC), None, None)
    got = figures([late, early], [], [], [])["concerns"]["by_month"]
    assert got == {"2026-11": {"received": 1, "resolved": 0}, "2026-12": {"received": 1, "resolved": 0},
                   "2027-01": {"received": 0, "resolved": 1}}  # fmt: skip


def test_a_roll_up_is_the_figures_of_the_union() -> None:
    a, b = CONCERNS[:4], CONCERNS[4:]
    whole = figures(CONCERNS, [], [], [])["concerns"]
    assert figures(a + b, [], [], [])["concerns"] == whole
    assert (
        figures(a, [], [], [])["concerns"]["received"] + figures(b, [], [], [])["concerns"]["received"] == 8
    )


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=len(CONCERNS), max_size=len(CONCERNS)),
       st.lists(st.integers(min_value=0, max_value=3), min_size=len(VOTES), max_size=len(VOTES)))  # fmt: skip
def test_a_roll_up_of_parts_is_the_figures_of_the_union_and_of_each_part(
    concern_parts: list[int], vote_parts: list[int]
) -> None:
    # The dashboard merges its children's tallies instead of recounting: it must not matter how the
    # rows are split into parts (including empty parts), in the range or not.
    parts = [Part([], [], [], []) for _ in range(4)]
    for row, k in zip(CONCERNS, concern_parts, strict=True):
        parts[k].concerns.append(row)
    for row, k in zip(VOTES, vote_parts, strict=True):
        parts[k].votes.append(row)
    for k, row in enumerate(PROPOSALS):
        parts[k % 4].proposals.append(row)
    for k, row in enumerate(WORKS):
        parts[(k + 1) % 4].works.append(row)
    for span in ((None, None), NOVEMBER):
        whole, each = roll_up(parts, *span, now=day(30))
        assert whole == figures(CONCERNS, PROPOSALS, VOTES, WORKS, *span, now=day(30))
        for part, got in zip(parts, each, strict=True):
            assert got == figures(part.concerns, part.proposals, part.votes, part.works, *span, now=day(30))


@given(
    st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=86400),
)
def test_median_matches_statistics(values: list[int], unit: int) -> None:
    exact = Fraction(statistics.median(Fraction(v) for v in values)) / unit
    shown = Fraction(median_tenths(values, unit) or "0")
    assert shown <= exact < shown + Fraction(1, 10)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_rate_rounds_down(part: int, extra: int) -> None:
    whole = part + extra
    if whole == 0:
        assert rate(part, whole) is None
        return
    shown = Fraction(rate(part, whole) or "0")
    assert shown <= Fraction(part, whole) < shown + Fraction(1, 1000)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=500)),
        min_size=1,
        max_size=25,
    )
)
def test_turnout_median_matches_fractions(pairs: list[tuple[int, int]]) -> None:
    votes = [VoteRow("passed", day(1), min(p, t), t) for p, t in pairs]
    exact = statistics.median(Fraction(v.persons, v.persons_total) for v in votes)
    got = figures([], [], votes, [])["votes"]["turnout_persons_median"]
    shown = Fraction(got)
    assert shown <= exact < shown + Fraction(1, 1000)

"""The vote calendar in Asia/Shanghai local days: notice, window, extension, objections, display.

Every boundary is tried one second either side of local midnight, where a UTC or 24-hour count
goes wrong (local midnight is 16:00 UTC the day before).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.clock import LOCAL_TZ
from agora.proposals import calendar

SECOND = timedelta(seconds=1)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL_TZ)


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def test_local_day_changes_at_local_midnight_not_utc_midnight() -> None:
    # 2026-12-04 23:59:59 local is 15:59:59 UTC; one second later it is the 5th locally.
    assert calendar.local_day(local(2026, 12, 4, 23, 59, 59)) == date(2026, 12, 4)
    assert calendar.local_day(local(2026, 12, 4, 23, 59, 59) + SECOND) == date(2026, 12, 5)
    assert calendar.local_day(datetime(2026, 12, 4, 16, 0, tzinfo=UTC)) == date(2026, 12, 5)
    with pytest.raises(ValueError):
        calendar.local_day(datetime(2026, 12, 4))


def test_notice_opens_voting_after_notice_days_full_days() -> None:
    # Published any time on 1 Dec: 2 Dec is day 1, 16 Dec is day 15, voting from 00:00 on 17 Dec.
    for published in (local(2026, 12, 1, 0, 0, 0), local(2026, 12, 1, 23, 59, 59)):
        assert calendar.earliest_voting_start(published, 15) == local(2026, 12, 17)
    assert calendar.earliest_voting_start(local(2026, 12, 1, 23, 59, 59) + SECOND, 15) == local(2026, 12, 18)


def test_window_bounds_in_local_days() -> None:
    opens = local(2026, 12, 17, 10, 30)
    bounds = calendar.window_bounds(opens, 5, 60)
    assert bounds.earliest_close == local(2026, 12, 22, 10, 30)
    assert bounds.latest_close == local(2027, 2, 15, 10, 30)
    assert bounds.fits(bounds.earliest_close) and bounds.fits(bounds.latest_close)
    assert not bounds.fits(bounds.earliest_close - SECOND)
    assert not bounds.fits(bounds.latest_close + SECOND)
    # Across local midnight: opening 23:59:59 gives a close at 23:59:59 five local days later.
    late = calendar.window_bounds(local(2026, 12, 31, 23, 59, 59), 5, 60)
    assert late.earliest_close == local(2027, 1, 5, 23, 59, 59)


def test_latest_opening_keeps_the_minimum() -> None:
    closes = local(2026, 12, 22, 0, 0)
    latest = calendar.latest_opening(closes, 5)
    assert latest == local(2026, 12, 17, 0, 0)
    assert calendar.window_bounds(latest, 5, 60).fits(closes)
    assert not calendar.window_bounds(latest + SECOND, 5, 60).fits(closes)


@given(moments, st.integers(1, 30), st.integers(0, 90))
def test_window_bounds_match_a_wall_clock_reference(opens: datetime, min_days: int, extra: int) -> None:
    bounds = calendar.window_bounds(opens, min_days, min_days + extra)
    wall = opens.astimezone(LOCAL_TZ)
    ref_min = (wall.replace(tzinfo=None) + timedelta(days=min_days)).replace(tzinfo=LOCAL_TZ)
    assert bounds.earliest_close == ref_min
    assert bounds.earliest_close.astimezone(LOCAL_TZ).time() == wall.time()
    assert calendar.latest_opening(bounds.earliest_close, min_days) == opens


def test_extension_once_before_the_close_within_the_maximum() -> None:
    opens = local(2026, 12, 17, 0, 0)
    closes = local(2026, 12, 24, 0, 0)
    latest = local(2027, 2, 15, 0, 0)

    def check(now: datetime, new: datetime, extended: bool = False) -> str | None:
        result = calendar.check_extension(
            now=now,
            opens_at=opens,
            closes_at=closes,
            new_closes_at=new,
            extended_before=extended,
            max_days=60,
        )
        assert result.latest_close == latest
        return result.problem

    assert check(closes - SECOND, latest) is None
    assert check(closes - SECOND, latest + SECOND) == "too_late"
    assert check(closes, latest) == "closed"  # announced before the original close, not at it
    assert check(closes - SECOND, closes) == "not_later"
    assert check(closes - SECOND, closes - timedelta(days=1)) == "not_later"
    assert check(opens, closes + SECOND, extended=True) == "already_extended"


def test_no_early_close_for_owners_matters() -> None:
    closes = local(2026, 12, 24)
    assert not calendar.may_close_early(True, closes - SECOND, closes)
    assert calendar.may_close_early(True, closes, closes)
    assert not calendar.may_close_early(True, closes, None)
    assert calendar.may_close_early(False, closes - timedelta(days=3), closes)


def test_published_within_three_local_days_of_the_close() -> None:
    closed = local(2026, 12, 24, 23, 59, 59)
    assert calendar.publish_deadline(closed) == local(2026, 12, 27, 23, 59, 59)
    assert not calendar.published_late(closed, local(2026, 12, 27, 23, 59, 59))
    assert calendar.published_late(closed, local(2026, 12, 28, 0, 0, 0))
    # Closed one second later, on the 25th: the deadline moves a whole day.
    assert not calendar.published_late(closed + SECOND, local(2026, 12, 28, 0, 0, 0))
    assert calendar.publish_deadline(closed + SECOND) == local(2026, 12, 28, 23, 59, 59)


def test_objection_period_counts_from_the_day_after_posting() -> None:
    posted = local(2026, 12, 26, 9, 15)
    assert calendar.objections_until(posted, 7) == local(2027, 1, 2, 23, 59, 59)
    assert calendar.objections_open(posted, 7, posted)
    assert not calendar.objections_open(posted, 7, posted - SECOND)
    assert calendar.objections_open(posted, 7, local(2027, 1, 2, 23, 59, 59))
    assert not calendar.objections_open(posted, 7, local(2027, 1, 3))
    assert calendar.objection_period_over(posted, 7, local(2027, 1, 3))
    assert not calendar.objection_period_over(posted, 7, local(2027, 1, 2, 23, 59, 59))
    assert calendar.finalize_from(posted, 7) == local(2027, 1, 3)
    # A zero-day period ends with the day of posting.
    assert calendar.objections_until(posted, 0) == local(2026, 12, 26, 23, 59, 59)
    assert calendar.finalize_from(posted, 0) == local(2026, 12, 27)


def test_display_until_is_the_end_of_the_15th_local_day_after_posting() -> None:
    # Posted 23:30 local on 4 Dec (15:30 UTC): 5 Dec is day 1, 19 Dec day 15.
    posted = local(2026, 12, 4, 23, 30)
    assert calendar.display_until(posted) == local(2026, 12, 19, 23, 59, 59)
    assert calendar.display_until(posted) != posted + timedelta(days=15)
    # One hour later it is the 5th locally: day 15 is the 20th.
    assert calendar.display_until(posted + timedelta(hours=1)) == local(2026, 12, 20, 23, 59, 59)
    assert calendar.on_display(posted, local(2026, 12, 19, 23, 59, 59))
    assert not calendar.on_display(posted, local(2026, 12, 20))


@given(moments, st.integers(0, 60))
def test_periods_match_a_brute_force_day_count(event: datetime, days: int) -> None:
    """Walk the local days one by one: the period's last day is the `days`-th after the event's day."""
    day = event.astimezone(LOCAL_TZ).date()
    counted = 0
    last = day
    while counted < days:
        last += timedelta(days=1)
        counted += 1
    assert calendar.objections_until(event, days).date() == last
    assert calendar.display_until(event, days).date() == last
    assert calendar.publish_deadline(event, days).date() == last
    end = calendar.display_until(event, days)
    assert calendar.on_display(event, end, days) and not calendar.on_display(event, end + SECOND, days)

"""The state machine and the notice calendar, exhaustively and at the exact boundaries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.art278 import MATTERS
from agora.clock import LOCAL_TZ
from agora.errors import Conflict, Invalid
from agora.proposals import lifecycle
from agora.proposals.lifecycle import Actor
from agora.proposals.models import STATES

ACTORS = {
    "member": Actor(),
    "author": Actor(is_author=True),
    "moderator": Actor(is_moderator=True),
    "author_moderator": Actor(is_author=True, is_moderator=True),
    "system": Actor(system=True),
}


def reference(current: str, to: str, matter: str, who: str) -> bool:
    """The rules as written in the brief, one case at a time."""
    owners = matter in ("ordinary", "major", "unanimous")  # the notice path
    mod = who in ("moderator", "author_moderator")
    if who == "system":
        return (current, to) in {("voting", "closed"), ("closed", "certified")}
    if to == "withdrawn":
        return current in ("draft", "consultation", "notice") and (mod or who == "author")
    if to == "rejected":
        return current in ("draft", "consultation", "notice") and mod
    if not mod:
        return False
    return (current, to) in (
        {("draft", "consultation"), ("voting", "closed")}
        | ({("consultation", "notice"), ("notice", "voting")} if owners else {("consultation", "voting")})
    )


@pytest.mark.parametrize("current,to,matter,who", list(itertools.product(STATES, STATES, MATTERS, ACTORS)))
def test_the_transition_table_matches_the_rules(current: str, to: str, matter: str, who: str) -> None:
    expected = reference(current, to, matter, who)
    assert lifecycle.may_take(current, to, matter, ACTORS[who]) is expected
    if expected:
        lifecycle.check_transition(current, to, matter, ACTORS[who], reason="because")
        assert to in lifecycle.allowed_targets(current, matter, ACTORS[who])
    else:
        with pytest.raises(Conflict) as refused:
            lifecycle.check_transition(current, to, matter, ACTORS[who], reason="because")
        assert refused.value.status == 409
        assert to not in lifecycle.allowed_targets(current, matter, ACTORS[who])


def test_certifying_is_never_a_moderators_move() -> None:
    assert not lifecycle.may_take("closed", "certified", "major", ACTORS["author_moderator"])


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    with pytest.raises(Invalid):
        lifecycle.check_transition("consultation", "rejected", "major", ACTORS["moderator"], reason=reason)


def shanghai(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=LOCAL_TZ)


def test_notice_on_day_d_opens_on_d_plus_16_at_midnight_local() -> None:
    notice = shanghai(2026, 3, 1, 9, 30)
    assert lifecycle.earliest_voting_start(notice, 15) == shanghai(2026, 3, 17)
    lifecycle.check_notice_elapsed(shanghai(2026, 3, 17), notice, 15)
    with pytest.raises(Conflict) as early:
        lifecycle.check_notice_elapsed(shanghai(2026, 3, 16, 23, 59, 59, 999999), notice, 15)
    assert early.value.code == "notice_period"


def test_the_local_day_decides_not_the_utc_day() -> None:
    # 23:30 UTC on 28 Feb is already 1 March in Shanghai: the count starts from 2 March.
    late_utc = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    assert lifecycle.earliest_voting_start(late_utc, 15) == shanghai(2026, 3, 17)
    # 15:59 UTC on 28 Feb is still 28 Feb 23:59 in Shanghai.
    early_utc = datetime(2026, 2, 28, 15, 59, tzinfo=UTC)
    assert lifecycle.earliest_voting_start(early_utc, 15) == shanghai(2026, 3, 16)


def test_notice_published_at_midnight_and_just_before_midnight() -> None:
    assert lifecycle.earliest_voting_start(shanghai(2026, 1, 10), 15) == shanghai(2026, 1, 26)
    assert lifecycle.earliest_voting_start(shanghai(2026, 1, 10, 23, 59, 59), 15) == shanghai(2026, 1, 26)
    assert lifecycle.earliest_voting_start(shanghai(2026, 1, 11), 15) == shanghai(2026, 1, 27)


def test_month_and_year_ends_and_leap_days() -> None:
    assert lifecycle.earliest_voting_start(shanghai(2027, 12, 20, 8), 15) == shanghai(2028, 1, 5)
    assert lifecycle.earliest_voting_start(shanghai(2028, 2, 14, 8), 15) == shanghai(2028, 3, 1)  # 29 Feb
    assert lifecycle.earliest_voting_start(shanghai(2027, 2, 14, 8), 15) == shanghai(2027, 3, 2)


def test_no_notice_means_no_vote() -> None:
    with pytest.raises(Conflict):
        lifecycle.check_notice_elapsed(shanghai(2030, 1, 1), None, 15)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)),
    st.integers(min_value=0, max_value=60),
)
def test_full_days_against_a_brute_force_count(notice: datetime, days: int) -> None:
    """Walk the local calendar day by day from the day after publication."""
    start = lifecycle.earliest_voting_start(notice, days)
    assert start.astimezone(LOCAL_TZ).time().isoformat() == "00:00:00"
    day = notice.astimezone(LOCAL_TZ).date()
    full_days = 0
    while full_days < days:
        day += timedelta(days=1)
        full_days += 1
    assert start.date() == day + timedelta(days=1)
    assert start > notice
    with pytest.raises(Conflict):
        lifecycle.check_notice_elapsed(start - timedelta(microseconds=1), notice, days)
    lifecycle.check_notice_elapsed(start, notice, days)


def test_voting_window_bounds_are_inclusive() -> None:
    opens = datetime(2026, 5, 1, 10, tzinfo=UTC)
    lifecycle.check_voting_window(opens, opens + timedelta(days=5), 5, 60)
    lifecycle.check_voting_window(opens, opens + timedelta(days=60), 5, 60)
    with pytest.raises(Invalid) as short:
        lifecycle.check_voting_window(opens, opens + timedelta(days=5) - timedelta(seconds=1), 5, 60)
    assert short.value.fields == {"closes_at": "too_early"}
    with pytest.raises(Invalid) as long:
        lifecycle.check_voting_window(opens, opens + timedelta(days=60, seconds=1), 5, 60)
    assert long.value.fields == {"closes_at": "too_late"}
    with pytest.raises(Invalid) as missing:
        lifecycle.check_voting_window(opens, None, 5, 60)
    assert missing.value.fields == {"closes_at": "required"}

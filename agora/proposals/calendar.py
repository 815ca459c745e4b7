"""The owners' vote calendar in Asia/Shanghai local days, as pure rules (no ORM, no web).

Periods counted in days start on the day after the event (Civil Code art. 201) and end with the last
local day of the period. A period that ends "at the end of local day D" is represented two ways:

- ``end_of_day(D)`` — 23:59:59 local on D, the moment shown to people and put in the record;
- ``day_start(D + 1)`` — 00:00 local on D + 1, the exclusive bound every check compares against
  (``now < day_start(D + 1)`` means "still within day D", without a one-second hole).

The rules in one place:

- **Notice**: published on local day D, voting may open from 00:00 on D + notice_days + 1
  (物业管理条例 art. 14: at least 15 days). The voting window is announced with the notice.
- **Window**: at least ``min_voting_days`` and at most ``max_voting_days`` (the compound's rules of
  procedure, Hangzhou 5-60), measured in local days from the opening: a window opening at local
  time T on day O may close from T on day O + min and until T on day O + max. At notice the opening
  is not known yet, so the announced window is checked from the earliest allowed opening; the actual
  opening re-checks the minimum (a late opening may leave too short a window).
- **Extension**: once, announced before the original close, the new close later than the old one and
  within ``max_voting_days`` of the opening.
- **Result**: the preliminary record is published within 3 days of the close (to the end of local day
  C + 3, C the day of closing); owners may object until the end of local day P + objection_days (P the
  day the preliminary record was posted); the final record is published within 3 days after that
  period; every posted record stays on display to the end of the 15th local day after its posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from agora import clock
from agora.i18n import get_locale
from agora.timefmt import local_time

LOCAL_TZ = clock.LOCAL_TZ
DISPLAY_DAYS = 15  # kept on public display at least 15 days (docs/domain.md, "The calendar")
PUBLISH_DAYS = 3  # the result is published within 3 days


def local_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every moment in agora carries its offset")
    return moment.astimezone(clock.LOCAL_TZ).date()


def day_start(day: date) -> datetime:
    """00:00 local on `day`."""
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL_TZ)


def end_of_day(day: date) -> datetime:
    """23:59:59 local on `day`: the last second of the day, as shown to people."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.LOCAL_TZ)


def plus_local_days(moment: datetime, days: int) -> datetime:
    """The same local wall-clock time `days` local days later."""
    wall = moment.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
    return (wall + timedelta(days=days)).replace(tzinfo=clock.LOCAL_TZ)


def shown(moment: datetime) -> str:
    """A moment in a message, as people read it: Asia/Shanghai, to the minute, in the request's
    language (2026年12月4日 21:43)."""
    return local_time(moment, "Asia/Shanghai", "zh_Hans_CN" if get_locale() == "zh_CN" else "en")


# --- notice and window ------------------------------------------------------------------------------


def earliest_voting_start(notice_at: datetime, notice_days: int) -> datetime:
    """00:00 local on D + notice_days + 1, D being the local day the notice was published."""
    return day_start(local_day(notice_at) + timedelta(days=notice_days + 1))


@dataclass(frozen=True)
class WindowBounds:
    """Where a window opening at `opens` may close: from `earliest_close` to `latest_close`, inclusive."""

    opens: datetime
    earliest_close: datetime
    latest_close: datetime

    def fits(self, closes_at: datetime) -> bool:
        return self.earliest_close <= closes_at <= self.latest_close


def window_bounds(opens: datetime, min_days: int, max_days: int) -> WindowBounds:
    return WindowBounds(opens, plus_local_days(opens, min_days), plus_local_days(opens, max_days))


def latest_opening(closes_at: datetime, min_days: int) -> datetime:
    """The last moment a vote may open and still last `min_days` until the announced close."""
    return plus_local_days(closes_at, -min_days)


@dataclass(frozen=True)
class ExtensionCheck:
    """Why an extension is refused (`problem`), and the latest close the bounds allow."""

    problem: str | None  # None | "already_extended" | "closed" | "not_later" | "too_late"
    latest_close: datetime


def check_extension(
    *,
    now: datetime,
    opens_at: datetime,
    closes_at: datetime,
    new_closes_at: datetime,
    extended_before: bool,
    max_days: int,
) -> ExtensionCheck:
    """An extension: once, before the current close, later than it, within `max_days` of the opening."""
    latest = plus_local_days(opens_at, max_days)
    if extended_before:
        return ExtensionCheck("already_extended", latest)
    if now >= closes_at:
        return ExtensionCheck("closed", latest)
    if new_closes_at <= closes_at:
        return ExtensionCheck("not_later", latest)
    if new_closes_at > latest:
        return ExtensionCheck("too_late", latest)
    return ExtensionCheck(None, latest)


def may_close_early(matter_is_owners: bool, now: datetime, closes_at: datetime | None) -> bool:
    """No owners' vote ends before its announced window (a consultation poll may)."""
    if not matter_is_owners:
        return True
    return closes_at is not None and now >= closes_at


# --- the result ----------------------------------------------------------------------------------


def publish_deadline(event: datetime, days: int = PUBLISH_DAYS) -> datetime:
    """The end of local day E + days (E the local day of the event): "published within 3 days"."""
    return end_of_day(local_day(event) + timedelta(days=days))


def published_late(event: datetime, published: datetime, days: int = PUBLISH_DAYS) -> bool:
    """Posted after the end of local day E + days."""
    return published >= day_start(local_day(event) + timedelta(days=days + 1))


def objections_until(posted_at: datetime, objection_days: int) -> datetime:
    """The end of local day P + objection_days (P the day the preliminary record was posted)."""
    return end_of_day(local_day(posted_at) + timedelta(days=objection_days))


def objections_open(posted_at: datetime, objection_days: int, now: datetime) -> bool:
    """Objections are received from posting until the end of the period's last local day."""
    return posted_at <= now < day_start(local_day(posted_at) + timedelta(days=objection_days + 1))


def objection_period_over(posted_at: datetime, objection_days: int, now: datetime) -> bool:
    return not objections_open(posted_at, objection_days, now) and now >= posted_at


def finalize_from(posted_at: datetime, objection_days: int) -> datetime:
    """The first moment the final record may be posted: 00:00 after the objection period."""
    return day_start(local_day(posted_at) + timedelta(days=objection_days + 1))


def display_until(posted_at: datetime, days: int = DISPLAY_DAYS) -> datetime:
    """The end of the 15th local day after the day of posting (art. 201: the posting day not counted)."""
    return end_of_day(local_day(posted_at) + timedelta(days=days))


def on_display(posted_at: datetime, now: datetime, days: int = DISPLAY_DAYS) -> bool:
    return posted_at <= now < day_start(local_day(posted_at) + timedelta(days=days + 1))

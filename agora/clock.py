"""The one source of "now" (UTC), so the calendar rules can be tested by moving time, and the one
local time zone: periods are counted in local days of Asia/Shanghai (Civil Code art. 201), and pages,
the record and its PDF show times there. Everything is stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(LOCAL_ZONE)

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def travel(delta: timedelta) -> None:
    """Move the clock forward (tests and the demo only)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)

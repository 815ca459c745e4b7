"""Times as residents read them: in the site's time zone, to the minute, 24-hour.

The one formatting of a moment for people (the glossary: 2026年12月4日 21:43). Templates reach it
through the `when` filter (agora.web.templating); the printable record calls it directly. Pure:
no settings, no request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

# Babel patterns by Babel locale and style.
PATTERNS = {
    "zh_Hans_CN": {"minute": "y年M月d日 HH:mm", "date": "y年M月d日", "time": "HH:mm"},
    "en": {"minute": "d MMM y, HH:mm", "date": "d MMM y", "time": "HH:mm"},
}


def local_pattern(style: str, locale: str) -> str:
    """Every other style name ("short", "medium", ...) means to the minute: seconds and
    microseconds mean nothing to a resident."""
    patterns = PATTERNS.get(locale, PATTERNS["en"])
    return patterns.get(style, patterns["minute"])


@lru_cache(maxsize=4096)
def _formatted(value: datetime, zone: str, style: str, locale: str) -> str:
    moment = value.astimezone(ZoneInfo(zone))
    return format_datetime(moment, format=local_pattern(style, locale), locale=locale)


def local_time(value: datetime | str | None, zone: str, locale: str, style: str = "minute") -> str:
    """`value` (a datetime, or an ISO string from a JSON document; naive means UTC) in `zone`.
    Empty for None; a string that is not ISO is returned as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _formatted(value, zone, style, locale)

"""When a reminder is due and what the operator's settings mean: pure functions over plain values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

CHANNELS = ("inbox", "email", "sms", "wechat")
DEFAULT_LEADS = (timedelta(hours=24), timedelta(hours=2))
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,20}$")
# A delivery that failed (mail server down, provider refusing) is tried again after each of these waits,
# counted from the last failed attempt; after the last one it is given up (the inbox still has it).
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


def parse_channels(text: str | None) -> tuple[str, ...]:
    """`"inbox,email"` → the channels in order; the inbox is always on; unknown names raise ValueError."""
    names = [part.strip().lower() for part in (text or "").split(",") if part.strip()]
    unknown = [name for name in names if name not in CHANNELS]
    if unknown:
        raise ValueError(", ".join(unknown))
    return tuple(dict.fromkeys(["inbox", *names]))


def parse_leads(text: str | None) -> tuple[timedelta, ...]:
    """`"24,2"` (hours before the close) → the lead times, longest first; ValueError on anything else."""
    if text is None or not text.strip():
        return DEFAULT_LEADS
    hours = []
    for part in text.split(","):
        value = float(part.strip())  # ValueError on a non-number
        if not 0 < value <= 24 * 60:
            raise ValueError(part)
        hours.append(value)
    return tuple(sorted({timedelta(hours=h) for h in hours}, reverse=True))


def due_lead(now: datetime, closes_at: datetime, leads: tuple[timedelta, ...]) -> timedelta | None:
    """The shortest lead whose moment has come while the vote is still open (None: no reminder yet,
    or the vote has closed). A server down at the 24-hour mark sends only the 2-hour one, not both."""
    if now >= closes_at:
        return None
    passed = [lead for lead in leads if now >= closes_at - lead]
    return min(passed) if passed else None


def reminder_key(proposal_id: int, lead: timedelta) -> str:
    return f"vote_closing:{proposal_id}:{int(lead.total_seconds() // 60)}m"


def check_email(value: str) -> str | None:
    value = value.strip()
    return value if not value or EMAIL_RE.match(value) and len(value) <= 254 else None


def check_phone(value: str) -> str | None:
    value = re.sub(r"[\s\-()]", "", value)
    return value if not value or PHONE_RE.match(value) else None


def retry_due(failures: int, last_failed_at: datetime, now: datetime) -> bool:
    """Whether a channel that has failed `failures` times in a row, the last at `last_failed_at`, is due
    another attempt now: the n-th failure waits `RETRY_AFTER[n-1]`; after as many failures as there are
    waits (plus the first attempt) it is never tried again."""
    if not 1 <= failures <= len(RETRY_AFTER):
        return False
    return now >= last_failed_at + RETRY_AFTER[failures - 1]

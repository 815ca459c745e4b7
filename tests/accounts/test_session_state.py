"""`session_state`: the one rule pages and live sockets both apply to a session that is not revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora.accounts.services import SEEN_EVERY, SessionPolicy, session_state

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(hours=2), absolute=timedelta(days=7))


@pytest.mark.parametrize(
    ("seen_ago", "created_ago", "state"),
    [
        (timedelta(0), timedelta(0), "fresh"),
        (SEEN_EVERY, timedelta(hours=1), "fresh"),  # exactly a minute: not yet written again
        (SEEN_EVERY + timedelta(microseconds=1), timedelta(hours=1), "stale"),
        (timedelta(hours=2), timedelta(hours=3), "stale"),  # idle exactly as long as allowed
        (timedelta(hours=2, microseconds=1), timedelta(hours=3), "expired"),
        (timedelta(minutes=5), timedelta(days=7), "stale"),  # exactly as old as allowed
        (timedelta(seconds=5), timedelta(days=7, microseconds=1), "expired"),  # seen now, but too old
    ],
)
def test_a_session_is_fresh_stale_or_expired(seen_ago: timedelta, created_ago: timedelta, state: str) -> None:
    assert session_state(NOW - seen_ago, NOW - created_ago, NOW, POLICY) == state

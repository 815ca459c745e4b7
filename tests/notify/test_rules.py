"""The notifier's pure rules: when a reminder is due, what the operator's settings mean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora.notify.rules import (
    DEFAULT_LEADS,
    RETRY_AFTER,
    check_email,
    check_phone,
    due_lead,
    parse_channels,
    parse_leads,
    reminder_key,
    retry_due,
)
from agora.settings import Settings, SettingsError

CLOSE = datetime(2026, 12, 10, 20, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (48 * H, None),
        (24 * H + timedelta(seconds=1), None),
        (24 * H, 24 * H),  # the boundary: due at closes_at - lead
        (3 * H, 24 * H),
        (2 * H, 2 * H),
        (timedelta(seconds=1), 2 * H),
        (timedelta(0), None),  # closed
        (-H, None),
    ],
)
def test_due_lead_at_and_around_each_boundary(before: timedelta, expected: timedelta | None) -> None:
    assert due_lead(CLOSE - before, CLOSE, DEFAULT_LEADS) == expected


def test_due_lead_agrees_with_a_brute_force_reference_every_ten_minutes() -> None:
    leads = (24 * H, 6 * H, 2 * H)
    for minutes in range(-60, 30 * 60, 10):
        now = CLOSE - timedelta(minutes=minutes)
        reference = (
            None if now >= CLOSE else next((lead for lead in sorted(leads) if CLOSE - lead <= now), None)
        )
        assert due_lead(now, CLOSE, leads) == reference
    assert due_lead(CLOSE - H, CLOSE, ()) is None


def test_settings_words() -> None:
    assert parse_channels(None) == ("inbox",)
    assert parse_channels(" Email, sms ,email") == ("inbox", "email", "sms")
    assert parse_channels("wechat,inbox") == ("inbox", "wechat")
    with pytest.raises(ValueError, match="pager"):
        parse_channels("email,pager")
    assert parse_leads("") == DEFAULT_LEADS
    assert parse_leads("2, 24, 0.5") == (24 * H, 2 * H, timedelta(minutes=30))
    for bad in ("0", "-1", "x", "24,,2", str(24 * 60 + 1)):
        with pytest.raises(ValueError):
            parse_leads(bad)
    assert reminder_key(7, 2 * H) == "vote_closing:7:120m"


def test_addresses() -> None:
    assert check_email("") == "" and check_email(" a@b.cn ") == "a@b.cn"
    assert check_email("a@b") is None and check_email("a b@c.d") is None and check_email("@c.d") is None
    assert check_phone("+86 138-0013-8000") == "+8613800138000" and check_phone("") == ""
    assert check_phone("12345") is None and check_phone("phone") is None


def test_operators_configure_the_channels_in_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"AGORA_SECRET_KEY": "k", "AGORA_VAR_DIR": str(tmp_path)}
    plain = Settings.from_env(env)
    assert plain.notify_channels == ("inbox",) and plain.smtp_host is None
    settings = Settings.from_env(
        {
            **env,
            "AGORA_NOTIFY_CHANNELS": "email,sms",
            "AGORA_REMIND_BEFORE_HOURS": "12",
            "AGORA_SMTP_HOST": "mail.example.org",
            "AGORA_SMTP_PORT": "587",
            "AGORA_SMTP_STARTTLS": "1",
            "AGORA_SMTP_PASSWORD": "hunter2",
            "AGORA_PUBLIC_URL": "https://agora.example.org/",
        }
    )
    assert settings.notify_channels == ("inbox", "email", "sms")
    assert settings.remind_before == (12 * H,)
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("mail.example.org", 587, True)
    assert settings.public_url == "https://agora.example.org"
    assert "hunter2" not in repr(settings)
    with pytest.raises(SettingsError, match="AGORA_NOTIFY_CHANNELS"):
        Settings.from_env({**env, "AGORA_NOTIFY_CHANNELS": "pigeon"})
    with pytest.raises(SettingsError, match="AGORA_REMIND_BEFORE_HOURS"):
        Settings.from_env({**env, "AGORA_REMIND_BEFORE_HOURS": "soon"})


def test_a_failed_delivery_is_retried_after_growing_waits_then_given_up() -> None:
    failed_at = datetime(2027, 1, 8, 12, 0, tzinfo=UTC)
    assert not retry_due(0, failed_at, failed_at + timedelta(days=1))  # nothing failed: nothing to retry
    for failures, wait in enumerate(RETRY_AFTER, start=1):
        assert not retry_due(failures, failed_at, failed_at + wait - timedelta(seconds=1))
        assert retry_due(failures, failed_at, failed_at + wait)  # the wait itself is enough
    assert list(RETRY_AFTER) == sorted(RETRY_AFTER)  # the waits grow
    assert not retry_due(len(RETRY_AFTER) + 1, failed_at, failed_at + timedelta(days=30))  # given up

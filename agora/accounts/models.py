"""Accounts, server-side sessions, API tokens and login throttling state."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

LOGIN_MAX_LENGTH = 64


class User(Model):
    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=LOGIN_MAX_LENGTH, unique=True)
    password_hash = fields.CharField(max_length=255)
    display_name = fields.CharField(max_length=100)
    is_admin = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)
    locale = fields.CharField(max_length=8, null=True)
    large_text = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Session(Model):
    """A browser session. The cookie holds a random id, the table only its SHA-256."""

    id_hash = fields.CharField(max_length=64, primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="sessions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=255, default="")
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sessions"


class ApiToken(Model):
    token_hash = fields.CharField(max_length=64, primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="tokens", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class LoginThrottle(Model):
    """Failed logins per key ("account:…", "ip:…", "pair:…") in the current window."""

    key = fields.CharField(max_length=200, primary_key=True)
    failures = fields.IntField(default=0)
    window_start = fields.DatetimeField()
    blocked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"

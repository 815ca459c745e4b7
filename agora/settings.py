"""Settings from the environment, read once into a frozen object handed to `create_app`."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from agora.accounts.passwords import PROFILES
from agora.i18n import _
from agora.notify.rules import CHANNELS, DEFAULT_LEADS, parse_channels, parse_leads


class SettingsError(ValueError):
    """A setting's value is malformed; the message names the variable and what it accepts."""


T = TypeVar("T")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _bool(value: str | None, default: bool = False, name: str = "") -> bool:
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word not in TRUE | FALSE:

        raise SettingsError(
            _("{name}={value} is not a yes/no value: use 1 or 0 (also true/false, yes/no, on/off).",
              name=name, value=value)
        )
    return word in TRUE


def _port(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    if value.strip().isdigit() and 0 <= int(value) <= 65535:
        return int(value)

    raise SettingsError(
        _("AGORA_PORT={value} is not a port number: use a number from 1 to 65535.", value=value)
    )


def _choice(name: str, value: str | None, default: str, choices: tuple[str, ...]) -> str:
    if value is None or value.strip() == "":
        return default
    if value.strip() in choices:
        return value.strip()

    raise SettingsError(
        _("{name}={value} is not one of: {choices}.", name=name, value=value, choices=", ".join(choices))
    )


def _parsed(name: str, value: str | None, parse: Callable[[str | None], T], accepts: str) -> T:
    try:
        return parse(value)
    except ValueError:
        raise SettingsError(
            _("{name}={value} is not one of: {choices}.", name=name, value=value, choices=accepts)
        ) from None


def _load_or_create_secret(var_dir: Path) -> str:
    """A secret key kept under ./var/ so sessions survive restarts; never a constant in the code."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str = field(repr=False)
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    var_dir: Path = Path("var")
    # The site's own origin(s) for websocket Origin checks; empty = same host as the request.
    allowed_origins: tuple[str, ...] = ()
    # Cookies get `Secure` when the site is served over HTTPS (behind a proxy that says so).
    secure_cookies: bool = False
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 7 * 24 * 3600
    token_seconds: int = 30 * 24 * 3600
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 12 * 1024 * 1024
    # argon2id cost; "interactive" is the production profile, "test" keeps the suite fast.
    argon2_profile: str = "interactive"
    max_concurrent_hashes: int = 2
    # Durability guard: refuse to run on settings that could lose acknowledged ballots.
    allow_unsafe_durability: bool = False
    auto_migrate: bool = False
    # Background loop that closes votes at closes_at; tests may turn it off and call it directly.
    run_scheduler: bool = True
    # Notifications (docs/deployment.md): the channels besides the inbox, when reminders go out before a
    # vote closes, the SMTP server for e-mail, and the site's address for the links they carry.
    notify_channels: tuple[str, ...] = ("inbox",)
    remind_before: tuple[timedelta, ...] = DEFAULT_LEADS
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "agora@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    public_url: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("AGORA_VAR_DIR") or "var")
        database_url = env.get("AGORA_DATABASE_URL") or f"sqlite://{var_dir / 'agora.sqlite3'}"
        if "://" not in database_url:

            raise SettingsError(
                _(
                    "AGORA_DATABASE_URL={value} is not a database URL: use sqlite://path/to/agora.sqlite3 "
                    "or postgres://user:password@host:5432/name.",
                    value=database_url,
                )
            )
        try:
            secret = env.get("AGORA_SECRET_KEY") or _load_or_create_secret(var_dir)
        except OSError as error:

            raise SettingsError(
                _(
                    "Cannot keep the secret key in {folder} ({error}): set AGORA_VAR_DIR to a writable "
                    "folder, or set AGORA_SECRET_KEY.",
                    folder=str(var_dir), error=error.strerror or str(error),
                )
            ) from error
        if not env.get("AGORA_DATABASE_URL"):
            var_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's folder
        origins = tuple(
            o.strip().rstrip("/") for o in env.get("AGORA_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=database_url,
            secret_key=secret,
            redis_url=env.get("AGORA_REDIS_URL") or None,
            host=env.get("AGORA_HOST", "127.0.0.1"),
            port=_port(env.get("AGORA_PORT"), 8000),
            debug=_bool(env.get("AGORA_DEBUG"), name="AGORA_DEBUG"),
            var_dir=var_dir,
            allowed_origins=origins,
            secure_cookies=_bool(env.get("AGORA_SECURE_COOKIES"), name="AGORA_SECURE_COOKIES"),
            argon2_profile=_choice(
                "AGORA_ARGON2_PROFILE", env.get("AGORA_ARGON2_PROFILE"), "interactive", tuple(PROFILES)
            ),
            allow_unsafe_durability=_bool(
                env.get("AGORA_ALLOW_UNSAFE_DURABILITY"), name="AGORA_ALLOW_UNSAFE_DURABILITY"
            ),
            auto_migrate=_bool(env.get("AGORA_AUTO_MIGRATE"), name="AGORA_AUTO_MIGRATE"),
            run_scheduler=_bool(env.get("AGORA_RUN_SCHEDULER"), default=True, name="AGORA_RUN_SCHEDULER"),
            notify_channels=_parsed(
                "AGORA_NOTIFY_CHANNELS", env.get("AGORA_NOTIFY_CHANNELS"), parse_channels, ",".join(CHANNELS)
            ),
            remind_before=_parsed(
                "AGORA_REMIND_BEFORE_HOURS", env.get("AGORA_REMIND_BEFORE_HOURS"), parse_leads, "24,2"
            ),
            smtp_host=env.get("AGORA_SMTP_HOST") or None,
            smtp_port=_port(env.get("AGORA_SMTP_PORT"), 25),
            smtp_from=env.get("AGORA_SMTP_FROM") or "agora@localhost",
            smtp_user=env.get("AGORA_SMTP_USER") or None,
            smtp_password=env.get("AGORA_SMTP_PASSWORD") or None,
            smtp_starttls=_bool(env.get("AGORA_SMTP_STARTTLS"), name="AGORA_SMTP_STARTTLS"),
            public_url=(env.get("AGORA_PUBLIC_URL") or "").rstrip("/") or None,
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

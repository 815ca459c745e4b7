"""Settings from the environment, read once into a frozen object handed to `create_app`."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("AGORA_VAR_DIR", "var"))
        database_url = env.get("AGORA_DATABASE_URL") or f"sqlite://{var_dir / 'agora.sqlite3'}"
        secret = env.get("AGORA_SECRET_KEY") or _load_or_create_secret(var_dir)
        origins = tuple(
            o.strip().rstrip("/") for o in env.get("AGORA_ALLOWED_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            database_url=database_url,
            secret_key=secret,
            redis_url=env.get("AGORA_REDIS_URL") or None,
            host=env.get("AGORA_HOST", "127.0.0.1"),
            port=int(env.get("AGORA_PORT", "8000")),
            debug=_bool(env.get("AGORA_DEBUG")),
            var_dir=var_dir,
            allowed_origins=origins,
            secure_cookies=_bool(env.get("AGORA_SECURE_COOKIES")),
            argon2_profile=env.get("AGORA_ARGON2_PROFILE", "interactive"),
            allow_unsafe_durability=_bool(env.get("AGORA_ALLOW_UNSAFE_DURABILITY")),
            auto_migrate=_bool(env.get("AGORA_AUTO_MIGRATE")),
            run_scheduler=_bool(env.get("AGORA_RUN_SCHEDULER"), default=True),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

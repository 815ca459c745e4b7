"""Start-up checks: one code path for `agora serve`, `agora migrate`, the app's lifespan and `/healthz`.

Each check that fails gives a `Failure`: a stable name (what `/healthz` lists), one line for the
operator that says what is wrong and how to fix it (in the CLI's language), and the exit code
`agora` ends with. The checks, in order:

    settings      a setting's value is malformed (AGORA_PORT=abc, an unknown database scheme)  exit 3
    database      the database cannot be reached (refused, unknown host, missing folder)        exit 4
                  the server refused our credentials                                            exit 5
                  the named database does not exist                                             exit 6
    migrations    migrations are pending                                                        exit 2
    durability    settings under which an acknowledged ballot could be lost                     exit 7
    files         templates or static files are missing (a broken install)                      exit 8
    port          another program listens on the port                                           exit 9
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sqlite3
from dataclasses import dataclass
from urllib.parse import urlparse

import asyncpg

from agora.i18n import _
from agora.resources import missing_files
from agora.storage import database
from agora.storage.database import StorageError, sqlite_path, tortoise_config

EXIT_NOT_MIGRATED = 2
EXIT_SETTINGS = 3
EXIT_UNREACHABLE = 4
EXIT_AUTH = 5
EXIT_NO_DATABASE = 6
EXIT_DURABILITY = 7
EXIT_FILES = 8
EXIT_PORT = 9
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Failure:
    name: str
    message: str
    exit_code: int

    def line(self) -> str:
        return f"agora: {self.message}"


class StartupError(RuntimeError):
    """A start-up check failed; `failures` says which (the message is their one-line texts)."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("; ".join(f.message for f in failures))
        self.failures = failures


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = f"{parsed.username}:***@{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
    return parsed._replace(netloc=netloc).geturl()


def check_files() -> list[Failure]:

    missing = missing_files()
    if not missing:
        return []
    return [
        Failure(
            "files",
            _(
                "Templates or static files are missing ({files}). Reinstall agora (`pip install` the wheel, "
                "or `make install` in a checkout).",
                files=", ".join(missing),
            ),
            EXIT_FILES,
        )
    ]


def free_port_near(host: str, port: int) -> int | None:
    for candidate in range(port + 1, port + 50):
        if candidate < 65536 and port_is_free(host, candidate):
            return candidate
    return None


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def check_port(host: str, port: int) -> list[Failure]:
    if port == 0:
        return []
    try:
        if port_is_free(host, port):
            return []
    except OSError as error:
        return [
            Failure(
                "port",
                _("Cannot listen on {host}:{port} ({error}). Check AGORA_HOST or --host.",
                  host=host, port=port, error=error.strerror or error),
                EXIT_PORT,
            )
        ]
    other = free_port_near(host, port)
    hint = _("for example `--port {port}`", port=other) if other else _("another port")
    return [
        Failure(
            "port",
            _(
                "Port {port} on {host} is already in use (is agora already running?). Stop the other "
                "program or choose another port with --port or AGORA_PORT: {hint}.",
                port=port, host=host, hint=hint,
            ),
            EXIT_PORT,
        )
    ]


def _sqlite_failure(url: str) -> list[Failure]:

    path = sqlite_path(url)
    if str(path) == ":memory:":
        return []
    if not path.parent.is_dir():
        return [
            Failure(
                "database",
                _(
                    "The folder {folder} for the SQLite database does not exist. Create it, or correct "
                    "AGORA_DATABASE_URL (sqlite://path/to/agora.sqlite3).",
                    folder=str(path.parent),
                ),
                EXIT_UNREACHABLE,
            )
        ]
    try:
        database.open_sqlite_file(path)
    except sqlite3.Error as error:
        return [
            Failure(
                "database",
                _(
                    "Cannot open the SQLite database {path}: {error}. Check the file's permissions "
                    "and AGORA_DATABASE_URL.",
                    path=str(path), error=str(error),
                ),
                EXIT_UNREACHABLE,
            )
        ]
    return []


async def _postgres_failure(url: str) -> list[Failure]:

    credentials = tortoise_config(url)["connections"]["default"]["credentials"]
    where = f"{credentials['host']}:{credentials['port']}"
    try:
        connection = await asyncpg.connect(
            host=credentials["host"],
            port=credentials["port"],
            user=credentials["user"],
            password=credentials["password"] or None,
            database=credentials["database"],
            timeout=CONNECT_TIMEOUT_SECONDS,
        )
    except asyncpg.InvalidCatalogNameError:
        return [
            Failure(
                "database",
                _(
                    "The PostgreSQL database {name} does not exist on {where}. Create it "
                    "(`createdb {name}`), then run `agora migrate`.",
                    name=credentials["database"], where=where,
                ),
                EXIT_NO_DATABASE,
            )
        ]
    except asyncpg.InvalidAuthorizationSpecificationError as error:
        return [
            Failure(
                "database",
                _(
                    "PostgreSQL on {where} refused the login ({error}). Correct the user and password "
                    "in AGORA_DATABASE_URL.",
                    where=where, error=str(error),
                ),
                EXIT_AUTH,
            )
        ]
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return [
            Failure(
                "database",
                _(
                    "Cannot reach PostgreSQL at {where} ({error}). Start it, or correct the host and port "
                    "in AGORA_DATABASE_URL.",
                    where=where, error=str(error) or type(error).__name__,
                ),
                EXIT_UNREACHABLE,
            )
        ]
    await connection.close()
    return []


async def check_database_reachable(url: str) -> list[Failure]:
    """Can we open the database with these settings? Distinguishes unreachable, refused login, absent."""

    try:
        tortoise_config(url)
    except StorageError:
        return [
            Failure(
                "settings",
                _(
                    "AGORA_DATABASE_URL uses an unsupported scheme ({scheme}): use "
                    "sqlite://path/to/agora.sqlite3 "
                    "or postgres://user:password@host:5432/name.",
                    scheme=url.split("://", 1)[0],
                ),
                EXIT_SETTINGS,
            )
        ]
    except ValueError as error:
        return [
            Failure(
                "settings",
                _("AGORA_DATABASE_URL is malformed ({error}): {url}", error=str(error), url=_safe_url(url)),
                EXIT_SETTINGS,
            )
        ]
    if url.startswith("sqlite"):
        return await asyncio.to_thread(_sqlite_failure, url)
    return await _postgres_failure(url)


async def check_connected_database(allow_unsafe_durability: bool) -> list[Failure]:
    """With Tortoise initialised: migrations applied, durability settings safe."""

    pending = await database.pending_migrations()
    if pending:
        return [
            Failure(
                "migrations",
                _(
                    "The database is not migrated ({n} pending). Run `agora migrate` first.",
                    n=len(pending),
                ),
                EXIT_NOT_MIGRATED,
            )
        ]
    try:
        await database.check_durability(allow_unsafe_durability)
    except database.StorageError as error:
        return [Failure("durability", str(error), EXIT_DURABILITY)]
    return []


async def check_all(
    database_url: str,
    *,
    allow_unsafe_durability: bool,
    listen: tuple[str, int] | None = None,
    migrate_first: bool = False,
) -> list[Failure]:
    """Every start-up check, stopping at the first database failure (the later ones would only echo it)."""

    failures = check_files()
    if listen is not None:
        failures += check_port(*listen)
    unreachable = await check_database_reachable(database_url)
    if unreachable:
        return unreachable + failures
    if migrate_first:
        await database.migrate(database_url)
    await database.init(database_url)
    try:
        failures = await check_connected_database(allow_unsafe_durability) + failures
    finally:
        await database.close()
    return failures


async def health_failures() -> list[Failure]:
    """What `/healthz` checks on a running server: the database answers, the files are there."""

    failures = check_files()
    try:
        await asyncio.wait_for(database.ping(), timeout=CONNECT_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 — any failure to answer means "not healthy"
        failures.insert(
            0,
            Failure(
                "database",
                _("The database does not answer ({error}).", error=str(error) or type(error).__name__),
                EXIT_UNREACHABLE,
            ),
        )
    return failures


"""The `agora` command: demo, serve, migrate, admin, verify, backup.

One language at a time: messages and help follow `AGORA_LANG`, else the locale (`LC_ALL`,
`LC_MESSAGES`, `LANG`), else Chinese. Every configuration mistake ends in one line saying what to fix
and a distinct exit code (see `agora.startup`), never in a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from agora import __version__, i18n
from agora.i18n import _
from agora.settings import Settings, SettingsError
from agora.startup import EXIT_SETTINGS, Failure, check_all, check_database_reachable, check_port


def _report(failures: list[Failure]) -> int:
    for failure in failures:
        print(failure.line(), file=sys.stderr)
    return failures[0].exit_code if failures else 0


def _preflight(settings: Settings, host: str, port: int, *, migrate_first: bool) -> int:
    failures = asyncio.run(
        check_all(
            settings.database_url,
            allow_unsafe_durability=settings.allow_unsafe_durability,
            listen=(host, port),
            migrate_first=migrate_first,
        )
    )
    return _report(failures)


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    # Each command loads what it needs when it runs (here and below): `agora verify` and
    # `agora --help` start without the database, the server or the templates.
    import uvicorn

    from agora.web import serving  # loaded by this command only (see the comment above)

    uvicorn.run(
        "agora.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        **serving.uvicorn_options(),  # timeouts, connection caps, RLIMIT_NOFILE (docs/security.md)
    )
    return 0


def _database_ready(settings: Settings, *, migrated: bool) -> int:
    """0 when the database can be used (and, if `migrated`, has every migration); else the exit code."""
    if migrated:
        return _report(
            asyncio.run(check_all(settings.database_url, allow_unsafe_durability=True))
        )
    return _report(asyncio.run(check_database_reachable(settings.database_url)))


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.storage import database

    code = _database_ready(settings, migrated=False)
    if code:
        return code
    asyncio.run(database.migrate(settings.database_url))
    print(_("agora: database migrated"))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    code = _preflight(settings, host, port, migrate_first=args.migrate or settings.auto_migrate)
    if code:
        return code
    return _serve(settings, host, port, args.workers)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.demo import seed_demo
    from agora.storage import database

    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    code = _database_ready(settings, migrated=False)
    if code:
        return code

    async def prepare() -> list[str]:
        await database.migrate(settings.database_url)
        await database.init(settings.database_url)
        try:
            return await seed_demo(settings)
        finally:
            await database.close()

    print("\n".join(asyncio.run(prepare())))
    if args.no_serve:
        return 0
    code = _report(check_port(host, port))
    if code:
        return code
    code = _preflight(settings, host, port, migrate_first=False)
    if code:
        return code
    print("\n" + _("agora demo: open http://{host}:{port}/ in a browser", host=host, port=port) + "\n")
    return _serve(settings, host, port, 1)


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.accounts.passwords import Passwords
    from agora.accounts.services import create_user
    from agora.audit.services import record
    from agora.errors import DomainError
    from agora.storage import database

    code = _database_ready(settings, migrated=True)
    if code:
        return code
    if sys.stdin.isatty():
        password = getpass.getpass(_("Password: "))
    else:
        password = sys.stdin.readline().rstrip("\n")

    async def run() -> int:
        await database.init(settings.database_url)
        try:
            passwords = Passwords(settings.argon2_profile, 1)
            user = await create_user(passwords, args.login, password, args.name or args.login, is_admin=True)
            await record("admin.created", object_type="user", object_id=user.id, via="cli")
            print(_("agora: administrator {login} created", login=user.login))
            return 0
        except DomainError as error:
            print(f"agora: {error.message}", file=sys.stderr)
            return 1
        finally:
            await database.close()

    return asyncio.run(run())


def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.ballots.verify_cli import run_prefix, run_verify

    if args.prefix:
        return run_prefix(args.prefix, args.source)
    return run_verify(
        args.source, expected_head=args.head, expected_roll=args.roll, expected_rules=args.rules
    )


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.storage.backup import backup

    return asyncio.run(backup(settings, Path(args.path)))


def _translate_argparse() -> None:
    """argparse's own words ("usage:", "options", its errors) in the CLI's language."""

    def gettext(message: str) -> str:
        if i18n.get_locale() == "en":
            return message
        return i18n._catalog(i18n.get_locale()).get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    argparse._ = gettext  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    """The parser, its help in the current language."""
    _translate_argparse()
    parser = argparse.ArgumentParser(
        prog="agora",
        description=_("Online deliberation halls and owners' votes (Civil Code art. 278)."),
        epilog=_(
            "Settings come from the environment (AGORA_DATABASE_URL, AGORA_REDIS_URL, "
            "AGORA_SECRET_KEY, ...); the README lists them all. "
            "AGORA_LANG=en or zh-CN chooses the language of these messages."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"agora {__version__}",
        help=_("print agora's version and exit"),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar=_("COMMAND"), title=_("commands"))

    def listen_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--host", help=_("address to listen on (default: AGORA_HOST or 127.0.0.1)"))
        command.add_argument(
            "--port", type=int, help=_("port to listen on (default: AGORA_PORT or 8000; 0 picks a free one)")
        )

    demo = sub.add_parser(
        "demo",
        help=_("seed a demo community and serve it"),
        description=_(
            "Migrate the database, seed a demo community (once), print the demo accounts and serve it."
        ),
    )
    listen_options(demo)
    demo.add_argument("--no-serve", action="store_true", help=_("seed and print the accounts, do not serve"))
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve",
        help=_("serve agora"),
        description=_(
            "Check the database, migrations, files and port, then serve agora over HTTP and websockets."
        ),
    )
    listen_options(serve)
    serve.add_argument(
        "--workers", type=int, default=1, help=_("worker processes (several need AGORA_REDIS_URL; default 1)")
    )
    serve.add_argument("--migrate", action="store_true", help=_("apply pending migrations first"))
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser(
        "migrate",
        help=_("apply database migrations"),
        description=_("Apply every pending migration to the database in AGORA_DATABASE_URL."),
    )
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser(
        "admin", help=_("manage administrators"), description=_("Manage administrator accounts.")
    )
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar=_("COMMAND"),
                                     title=_("commands"))
    create = admin_sub.add_parser(
        "create",
        help=_("create an administrator (password on standard input)"),
        description=_(
            "Create an administrator account. The password is read from standard input "
            "(asked for when standard input is a terminal)."
        ),
    )
    create.add_argument("login", help=_("the new administrator's login"))
    create.add_argument("--name", help=_("display name (default: the login)"))
    create.set_defaults(func=cmd_admin_create)

    verify = sub.add_parser(
        "verify",
        help=_("re-count a resolution record and check its hash chain"),
        description=_(
            "Re-count a resolution record from its ledger and roll and check the hash chain. SOURCE is a "
            "downloaded record (JSON from /api/v1/proposals/ID/resolution), - for standard input, or that "
            "URL; a URL is fetched with the API token in AGORA_TOKEN. Exit 0 when the record holds, 1 when "
            "it does not, 2 when it cannot be read."
        ),
    )
    verify.add_argument("source", metavar="SOURCE", help=_("a resolution record file, - or a URL"))
    verify.add_argument("--head", help=_("the head hash printed on the record or a receipt"))
    verify.add_argument(
        "--roll", metavar="FINGERPRINT", help=_("the roll fingerprint published when voting opened")
    )
    verify.add_argument(
        "--rules",
        metavar="FINGERPRINT",
        help=_("the fingerprint of the rules of procedure published with the notice"),
    )
    verify.add_argument(
        "--prefix", metavar="OLD", help=_("check that the earlier export OLD is an exact prefix of SOURCE")
    )
    verify.set_defaults(func=cmd_verify)

    backup = sub.add_parser(
        "backup",
        help=_("take a consistent online backup"),
        description=_(
            "Write a consistent copy of the database to PATH while agora keeps running: SQLite's "
            "online backup, or pg_dump for PostgreSQL. PATH appears only when the copy is complete."
        ),
    )
    backup.add_argument("path", metavar="PATH", help=_("where to write the backup"))
    backup.set_defaults(func=cmd_backup)
    return parser


def cli_locale(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for name in ("AGORA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        locale = i18n.normalize(env.get(name))
        if locale:
            return locale
    return i18n.DEFAULT_LOCALE


def main(argv: list[str] | None = None) -> int:
    with i18n.use_locale(cli_locale()):
        args = build_parser().parse_args(argv)
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            print(f"agora: {error}", file=sys.stderr)
            return EXIT_SETTINGS
        try:
            return int(args.func(settings, args) or 0)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    raise SystemExit(main())

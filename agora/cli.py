"""The `agora` command: demo, serve, migrate, admin, verify, backup."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path

from agora import i18n
from agora.settings import Settings


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    # Each command loads what it needs when it runs (here and below): `agora verify` and
    # `agora --help` start without the database, the server or the templates.
    import uvicorn

    from agora.storage import database

    async def preflight() -> str | None:
        if settings.auto_migrate:
            await database.migrate(settings.database_url)
        await database.init(settings.database_url)
        try:
            pending = await database.pending_migrations()
            if pending:
                return f"The database is not migrated ({len(pending)} pending). Run `agora migrate` first."
            await database.check_durability(settings.allow_unsafe_durability)
        except database.StorageError as error:
            return str(error)
        finally:
            await database.close()
        return None

    problem = asyncio.run(preflight())
    if problem:
        print(f"agora: {problem}", file=sys.stderr)
        return 2
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


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.storage import database

    asyncio.run(database.migrate(settings.database_url))
    print("agora: database migrated")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.migrate:
        settings = settings.with_(auto_migrate=True)
    return _serve(settings, args.host or settings.host, args.port or settings.port, args.workers)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.demo import seed_demo
    from agora.storage import database

    async def prepare() -> list[str]:
        await database.migrate(settings.database_url)
        await database.init(settings.database_url)
        try:
            return await seed_demo(settings)
        finally:
            await database.close()

    lines = asyncio.run(prepare())
    print("\n".join(lines))
    if args.no_serve:
        return 0
    host, port = args.host or settings.host, args.port or settings.port
    print(f"\nagora demo: open http://{host}:{port}/ in a browser\n")
    return _serve(settings, host, port, 1)


def cmd_admin_create(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.accounts.passwords import Passwords
    from agora.accounts.services import create_user
    from agora.audit.services import record
    from agora.errors import DomainError
    from agora.storage import database

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")

    async def run() -> int:
        await database.init(settings.database_url)
        try:
            passwords = Passwords(settings.argon2_profile, 1)
            user = await create_user(passwords, args.login, password, args.name or args.login, is_admin=True)
            await record("admin.created", object_type="user", object_id=user.id, via="cli")
            print(f"agora: administrator {user.login} created")
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
    return run_verify(args.source, expected_head=args.head, expected_roll=args.roll)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    # Loaded by this command only (see _serve).
    from agora.storage.backup import backup

    return asyncio.run(backup(settings, Path(args.path)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Deliberation halls and owners' votes.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="seed a demo community and serve it")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--no-serve", action="store_true", help="seed only")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve agora")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser("admin", help="administrators")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create an administrator (password on standard input)")
    create.add_argument("login")
    create.add_argument("--name")
    create.set_defaults(func=cmd_admin_create)

    verify = sub.add_parser("verify", help="re-count a resolution record and check its hash chain")
    verify.add_argument("source", help="a resolution JSON file or URL")
    verify.add_argument("--head", help="the head hash printed on the record or a receipt")
    verify.add_argument(
        "--roll", metavar="FINGERPRINT", help="the roll fingerprint published when voting opened"
    )
    verify.add_argument(
        "--prefix", metavar="OLD", help="check that the earlier export OLD is an exact prefix of SOURCE"
    )
    verify.set_defaults(func=cmd_verify)

    backup = sub.add_parser("backup", help="take a consistent online backup")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    locale = i18n.normalize(os.environ.get("AGORA_LANG")) or i18n.normalize(os.environ.get("LANG"))
    with i18n.use_locale(locale or i18n.DEFAULT_LOCALE):
        return int(args.func(settings, args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "json"]

"""A seeded agora under test: a fresh database, `agora migrate`, `agora serve`, an administrator, a compound.

Users, tokens, sessions and memberships are written through agora's own models and services in this
(the orchestrating) process, in bulk: creating thousands of accounts through the API would spend minutes
in argon2 for nothing we measure. Halls, rolls, proposals, comments and ballots go through the public
API wherever it exists, since that is what is measured.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from bench.harness import Context, Pending
from bench.servers import Server, agora_env, migrate, start_agora

T = TypeVar("T")


def with_database(url: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with Tortoise connected to `url`, in a fresh event loop."""

    async def run() -> T:
        from tortoise.backends.base import executor

        from agora.storage import database

        # Tortoise caches each model's INSERT statement per connection name, not per dialect: after a
        # SQLite database, a PostgreSQL one in the same process would get SQLite's statements.
        executor.EXECUTOR_CACHE.clear()
        await database.init(url)
        try:
            return await work()
        finally:
            await database.close()

    return asyncio.run(run())


def create_pg_database(base_url: str, name: str) -> str:
    """A fresh, empty PostgreSQL database `name` next to `base_url`'s; returns its URL."""
    import asyncpg

    root = base_url.rsplit("/", 1)[0]

    async def run() -> None:
        conn = await asyncpg.connect(root.replace("postgres://", "postgresql://", 1) + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return f"{root}/{name}"


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class World:
    ctx: Context
    name: str
    database_url: str
    server: Server
    admin_headers: dict[str, str]
    notes: list[str] = field(default_factory=list)
    compounds: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        self.server.stop()

    # --- the public API, synchronously (setup only; load goes through bench.load) ----------------
    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float = 600,
    ) -> Response:
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 — always http://127.0.0.1
            f"{self.server.url}{path}", data=data, method=method, headers={**(headers or self.admin_headers)}
        )
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return Response(response.status, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read())

    def require(self, response: Response, feature: str, *ok: int) -> Response:
        """The response, if its status is expected; Pending if the route does not exist yet."""
        if response.status in ok:
            return response
        if response.status in (404, 405) and b'"code"' not in response.body:
            raise Pending(f"{feature} has not landed (HTTP {response.status})")
        if response.status == 404 and b"not_found" in response.body and feature.endswith("route"):
            raise Pending(f"{feature} has not landed (HTTP 404)")
        raise RuntimeError(
            f"{feature}: HTTP {response.status}: {response.body[:500].decode(errors='replace')}"
        )

    def db(self, work: Callable[[], Awaitable[T]]) -> T:
        return with_database(self.database_url, work)


LARGE = "bench-large"


def shared_world(
    ctx: Context, database: str = "sqlite", workers: int = 1, purpose: str = "requests"
) -> World:
    """The run's agora for this database, worker count and purpose, started once (a failure is kept).

    The "requests" world (ballots, pages, live) first gets a large compound through the roll API (as many
    units as the roll import benchmark, one building hall per 100 units), so that every request benchmark
    sees the same database whatever ran before it: access checks, for one, read every hall. The "data"
    world (roll import, tally, PDF) is separate, so its many imports do not change what the others see.
    """
    key = f"world:{database}:{workers}:{purpose}"
    if key not in ctx.shared:
        try:
            world = start_world(ctx, f"{purpose}-{database}{workers}", database=database, workers=workers)
            ctx.shared[key] = world
            if purpose == "requests":
                ensure_compound(world, LARGE)
                response = world.call(
                    "PUT",
                    f"/api/v1/halls/{LARGE}/roll",
                    roll_csv(ctx.sizes.roll_units, prefix="lg").encode(),
                    content_type="text/csv; charset=utf-8",
                )
                if response.status == 200:
                    world.notes.append(
                        f"the database holds a {ctx.sizes.roll_units:,}-unit compound (roll API)"
                    )
        except Exception as error:  # noqa: BLE001 — re-raised for every benchmark that needs it
            ctx.shared[key] = error
    found = ctx.shared[key]
    if isinstance(found, Exception):
        raise found
    return found


def start_world(
    ctx: Context, name: str, *, database: str = "sqlite", workers: int = 1, redis_url: str | None = None
) -> World:
    """A fresh database, migrated, with an administrator; agora serving it."""
    attempt = sum(1 for _ in ctx.work.glob(f"{name}*"))  # a retry after a failure starts afresh
    work = ctx.work / (name if not attempt else f"{name}-{attempt}")
    work.mkdir(parents=True)
    if database == "pg":
        if not ctx.pg_url:
            raise RuntimeError("no PostgreSQL URL")
        database_url = create_pg_database(ctx.pg_url, f"agora_bench_{name}")
    else:
        database_url = f"sqlite://{work / 'agora.sqlite3'}"
    env = agora_env(database_url, work / "var", redis_url)
    migrate(env, work / "migrate.log")
    token = with_database(database_url, _create_admin)
    server = start_agora(env, work, workers=workers, name=name)
    ctx.cleanups.append(server.stop)
    return World(ctx, name, database_url, server, {"Authorization": f"Bearer {token}"})


async def _create_admin() -> str:
    from agora.accounts.passwords import Passwords
    from agora.accounts.services import create_user, issue_token

    admin = await create_user(
        Passwords("test", 1), "bench-admin", secrets.token_urlsafe(16), "Bench admin", is_admin=True
    )
    token, _expires = await issue_token(admin, timedelta(days=2))
    return token


async def create_users(prefix: str, count: int, *, sessions: bool = False) -> list[dict[str, Any]]:
    """`count` users with API tokens (and sessions), written in bulk; [{id, login, token, session}]."""
    from agora import clock
    from agora.accounts.models import ApiToken, Session, User
    from agora.accounts.passwords import Passwords
    from agora.accounts.services import digest

    password_hash = Passwords("test", 1).hasher.hash(secrets.token_urlsafe(16))
    await User.bulk_create(
        [
            User(login=f"{prefix}{i:06d}", password_hash=password_hash, display_name=f"业主 {prefix}{i}")
            for i in range(count)
        ],
        batch_size=1000,
    )
    rows = await User.filter(login__startswith=prefix).order_by("login").values("id", "login")
    now = clock.now()
    users = [
        {"id": row["id"], "login": row["login"], "token": "agt_" + secrets.token_urlsafe(32)} for row in rows
    ]
    await ApiToken.bulk_create(
        [
            ApiToken(
                token_hash=digest(u["token"]),
                user_id=u["id"],
                created_at=now,
                expires_at=now + timedelta(days=2),
            )
            for u in users
        ],
        batch_size=1000,
    )
    if sessions:
        for u in users:
            u["session"] = secrets.token_urlsafe(32)
        await Session.bulk_create(
            [
                Session(
                    id_hash=digest(u["session"]),
                    user_id=u["id"],
                    created_at=now,
                    last_seen_at=now,
                    ip="127.0.0.1",
                )
                for u in users
            ],
            batch_size=1000,
        )
    return users


async def add_members(hall_slug: str, user_ids: list[int], role: str = "member") -> None:
    from agora.rooms.models import Hall, MemberRole

    hall = await Hall.get(slug=hall_slug)
    await MemberRole.bulk_create(
        [MemberRole(user_id=uid, hall_id=hall.id, role=role) for uid in user_ids], batch_size=1000
    )


def ensure_compound(world: World, slug: str) -> str:
    """A compound hall, through `POST /api/v1/halls`; through the model if the rooms API is not there yet."""
    if slug in world.compounds:
        return slug
    response = world.call(
        "POST",
        "/api/v1/halls",
        {"kind": "compound", "slug": slug, "name": f"Compound {slug}", "parent": None},
    )
    if response.status == 201:
        world.compounds[slug] = response.json()
        return slug
    if response.status not in (404, 405):
        raise RuntimeError(f"creating hall {slug}: HTTP {response.status} {response.body[:300]!r}")

    async def create() -> None:
        from agora.rooms.models import Hall

        hall = await Hall.create(kind="compound", slug=slug, name=f"Compound {slug}")
        hall.compound_id = hall.id
        await hall.save(update_fields=["compound_id"])

    world.db(create)
    world.notes.append("halls created through the model: POST /api/v1/halls had not landed")
    world.compounds[slug] = {"slug": slug}
    return slug


def roll_csv(units: int, *, buildings: int | None = None, prefix: str = "o") -> str:
    """A roll of `units` homes, one owner each (so `units` persons), spread over buildings and entrances."""
    buildings = buildings or max(1, min(200, units // 100))
    lines = ["building,unit,area,owner_ref,owner_name,entrance"]
    for i in range(units):
        building = i % buildings + 1
        floor, door = divmod(i // buildings, 4)
        area = 60 + (i * 37) % 90
        unit = f"{floor + 1:03d}{door + 1:02d}"
        lines.append(f"{building}栋,{unit},{area}.{i % 100:02d},{prefix}{i:06d},业主{i},{i % 3 + 1}")
    return "\n".join(lines) + "\n"


def work_dir(ctx: Context, name: str) -> Path:
    path = ctx.work / name
    path.mkdir(parents=True, exist_ok=True)
    return path

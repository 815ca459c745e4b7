"""Test fixtures: a fresh database per test and a real server (uvicorn) on a free port.

The database is SQLite by default (migrated once per session into a template file that each test
copies) or PostgreSQL when `AGORA_TEST_DATABASE_URL` is set (migrated once, truncated per test).
`AGORA_TEST_REDIS_URL` makes the live hub use Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from tortoise import Tortoise

from agora import clock
from agora.app import create_app
from agora.settings import Settings
from agora.storage import database
from agora.web import serving
from tests.support import TEST_PASSWORDS, check_response

PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL") or None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database made once per session: a SQLite file, or the PostgreSQL test database."""
    if PG_URL:

        async def reset_pg() -> None:
            import asyncpg

            conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
            try:
                await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            finally:
                await conn.close()
            await database.migrate(PG_URL)

        asyncio.run(reset_pg())
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(database.migrate(f"sqlite://{path}"))
    return str(path)


@pytest.fixture
def db_url(template_db: str, tmp_path: Path) -> str:
    if PG_URL:

        async def truncate() -> None:
            import asyncpg

            conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
            try:
                tables = await conn.fetch(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname='public' AND tablename NOT LIKE 'tortoise%'"
                )
                names = ", ".join(f'"{t["tablename"]}"' for t in tables)
                if names:
                    await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            finally:
                await conn.close()

        asyncio.run(truncate())
        return PG_URL
    target = tmp_path / "agora.sqlite3"
    shutil.copyfile(template_db, target)
    return f"sqlite://{target}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key="test-secret-key-not-for-production",
        redis_url=REDIS_URL,
        var_dir=tmp_path / "var",
        argon2_profile="test",
        max_concurrent_hashes=4,
        run_scheduler=False,
    )


@pytest.fixture
async def connected_db(db_url: str) -> AsyncIterator[None]:
    """Tortoise connected to this test's database, without a server (for reads tested on their own)."""
    await database.init(db_url)
    try:
        yield
    finally:
        await database.close()


@dataclass
class LiveServer:
    url: str
    port: int
    app: Any
    settings: Settings

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")


TEST_SERVER = os.environ.get("AGORA_TEST_SERVER", "uvicorn")
"""The server the `server` fixture runs agora in: uvicorn with `agora serve`'s protocols, or granian
(`AGORA_TEST_SERVER=granian`, embedded in the test's loop) to ask again whether granian passes the
whole suite, the condition for it to become `agora serve`'s default (docs/bench.md, "Which server")."""


@contextlib.asynccontextmanager
async def _uvicorn(app: Any) -> AsyncIterator[int]:
    options = serving.uvicorn_options()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws_per_message_deflate=False,
        lifespan="on",
        ws_max_size=64 * 1024,
        http=options["http"],  # `agora serve`'s protocols: every test goes through them
        ws=options["ws"],
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.01)
    try:
        yield uv.servers[0].sockets[0].getsockname()[1]
    finally:
        uv.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@contextlib.asynccontextmanager
async def _granian(app: Any) -> AsyncIterator[int]:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    port = free_port()
    embedded = Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI, log_enabled=False)
    task = asyncio.create_task(embedded.serve())
    for _ in range(1000):  # the socket listens before the app's start-up is over: wait for an answer
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n")
            answer = await asyncio.wait_for(reader.read(12), 5)
            writer.close()
            if answer.endswith(b"200"):
                break
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        embedded.stop()
        await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    """agora served on a free port, in this test's event loop (by uvicorn unless `TEST_SERVER`)."""
    clock.reset()
    app = create_app(settings)
    serve = _granian if TEST_SERVER == "granian" else _uvicorn
    try:
        async with serve(app) as port:
            app.state.passwords = TEST_PASSWORDS
            yield LiveServer(url=f"http://127.0.0.1:{port}", port=port, app=app, settings=settings)
    finally:
        clock.reset()
        if Tortoise._inited:
            await Tortoise.close_connections()


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=server.url,
        follow_redirects=False,
        timeout=30,
        event_hooks={"response": [check_response]},
        # The server closes a connection idle for 5 s (agora.web.serving.Limits.keep_alive); a client
        # that keeps idle connections as long (httpx's default) may send on one as the server closes it
        # and get "Server disconnected without sending a response" (seen under load on PostgreSQL).
        # Browsers retry such a request; httpx does not, so it gives idle connections up sooner.
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0),
    ) as http:
        yield http

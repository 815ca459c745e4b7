"""Live events across processes: two `agora serve` processes sharing one database and one Redis.

A client on one process hears what is published through the other (a revocation made through a
request to process 1 closes a socket on process 2), presence counts both, and an event emitted by a
third agora process (this test, with agora's own `atomic`/`emit` and a Redis-backed hub) reaches
every client once, with the same `seq`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from agora.live.events import atomic, emit
from agora.live.hub import start_hub, stop_hub
from agora.settings import Settings
from agora.storage import database
from tests.conftest import LiveServer, free_port
from tests.live.factories import collect, compound, member, open_socket, presence_reaches

REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
SECRET = "test-secret-key-not-for-production"


async def redis_reachable() -> bool:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:  # noqa: BLE001 — any failure means unreachable
        return False
    finally:
        await client.aclose()


@pytest.fixture
def serve(db_url: str, tmp_path: Path) -> Iterator[list[LiveServer]]:
    """Two `agora serve` processes on two ports, same database, same Redis."""
    env = {
        **os.environ,
        "AGORA_DATABASE_URL": db_url,
        "AGORA_REDIS_URL": REDIS_URL,
        "AGORA_SECRET_KEY": SECRET,
        "AGORA_VAR_DIR": str(tmp_path / "var"),
        "AGORA_ARGON2_PROFILE": "test",
        "AGORA_RUN_SCHEDULER": "0",
    }
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[IO[bytes]] = []
    servers: list[LiveServer] = []
    try:
        for _ in range(2):
            port = free_port()
            logs.append(open(tmp_path / f"serve-{port}.log", "wb"))  # noqa: SIM115 — closed below
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agora.cli", "serve", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=logs[-1],
                )
            )
            servers.append(LiveServer(url=f"http://127.0.0.1:{port}", port=port, app=None, settings=None))  # type: ignore[arg-type]
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


async def wait_until_up(servers: list[LiveServer], tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for server in servers:
            for _ in range(150):
                try:
                    if (await http.get(f"{server.url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                logs = "\n".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
                pytest.fail(f"agora serve did not come up on {server.url}:\n{logs}")


@pytest.fixture
async def third_process(db_url: str, tmp_path: Path) -> AsyncIterator[None]:
    """This test as a third agora process: the database and a Redis-backed hub, no web server."""
    if not await redis_reachable():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: cross-process delivery cannot be shown")
    await database.init(db_url)
    settings = Settings(database_url=db_url, secret_key=SECRET, redis_url=REDIS_URL, var_dir=tmp_path / "var")
    await start_hub(None, settings)
    try:
        yield
    finally:
        await stop_hub()
        await database.close()


async def test_two_processes_share_events_presence_and_revocations(
    third_process: None, serve: list[LiveServer], tmp_path: Path
) -> None:
    hall = await compound("sunny")
    first_headers = await member("wang", hall)
    second_headers = await member("zhao", hall)
    await wait_until_up(serve, tmp_path)
    one, two = serve
    async with open_socket(one, "sunny", first_headers) as on_one:
        async with open_socket(two, "sunny", second_headers) as on_two:
            # Presence counts the clients of both processes.
            await presence_reaches(on_one, 2)
            await presence_reaches(on_two, 2)

            # An event from a third process reaches both, once, with the same seq.
            async with atomic():
                event = await emit(hall.id, "comment.created", {"comment": 1, "body": "你好"})
            for ws in (on_one, on_two):
                assert await collect(ws, "comment.created") == [
                    {
                        "type": "comment.created",
                        "seq": event.seq,
                        "hall": hall.id,
                        "comment": 1,
                        "body": "你好",
                    }
                ]

            # Revoking zhao's token through process 1 closes zhao's socket on process 2.
            async with httpx.AsyncClient(base_url=one.url) as http:
                response = await http.delete("/api/v1/auth/token", headers=second_headers)
                assert response.status_code in (200, 204), response.text
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(on_two.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        await presence_reaches(on_one, 1)

        # Missed events are replayed by the other process from the shared database.
        async with atomic():
            missed = [(await emit(hall.id, "comment.created", {"comment": n})).seq for n in (2, 3)]
        assert [m["seq"] for m in await collect(on_one, "comment.created")] == missed
    third = await member("sun", hall)
    async with open_socket(two, "sunny", third, since=event.seq) as again:
        assert [m["seq"] for m in await collect(again, "comment.created")] == missed

"""Slow clients cannot exhaust the server (issue 16, item 4).

uvicorn never timed out a request's head: some 20,000 held connections used up the file descriptors
and even /healthz stopped answering. The server here is configured as `agora serve` configures it
(`agora.web.serving.uvicorn_options`), with shorter timeouts so the test stays bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from tortoise import Tortoise

from agora import clock
from agora.app import create_app
from agora.settings import Settings
from agora.web import serving
from tests.conftest import LiveServer
from tests.support import TEST_PASSWORDS

LIMITS = serving.Limits(
    header_timeout=3.0, busy_header_timeout=1.0, per_client=100, requests_per_connection=5
)
SLOW = 2000
HEAD = b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: "


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[LiveServer]:
    clock.reset()
    app = create_app(settings)
    options: dict[str, Any] = serving.uvicorn_options(LIMITS)
    options.pop("log_config")  # keep pytest's log capture
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", **options)
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    app.state.passwords = TEST_PASSWORDS
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", port=port, app=app, settings=settings)
    finally:
        uv.should_exit = True
        await asyncio.wait_for(task, timeout=20)
        if Tortoise._inited:
            await Tortoise.close_connections()


async def _slow(port: int, address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    writer.write(HEAD)  # an unfinished head, then nothing
    await writer.drain()
    return reader, writer


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1024), within) == b""
    except (TimeoutError, ConnectionError):
        return False


async def test_two_thousand_slow_connections_leave_the_site_answering(guarded: LiveServer) -> None:
    addresses = [f"127.0.0.{30 + n}" for n in range(SLOW // LIMITS.per_client)]
    held = await asyncio.gather(*(_slow(guarded.port, addresses[n % len(addresses)]) for n in range(SLOW)))
    try:
        async with httpx.AsyncClient(base_url=guarded.url, timeout=5) as probe:
            for path in ("/healthz", "/login", "/healthz"):
                started = time.perf_counter()
                response = await probe.get(path)
                assert response.status_code == 200, (path, response.status_code)
                assert time.perf_counter() - started < 2.0, path
        # Every unfinished head is cut off after the header timeout (the slow clients lose, not us).
        closed = await asyncio.gather(
            *(_closed_by_server(reader, LIMITS.header_timeout + 5) for reader, _w in held)
        )
        assert all(closed), closed.count(False)
    finally:
        for _reader, writer in held:
            writer.close()


async def test_one_address_gets_at_most_its_share_of_connections(guarded: LiveServer) -> None:
    mine = [await _slow(guarded.port, "127.0.0.90") for _ in range(LIMITS.per_client)]
    try:
        extra_reader, extra_writer = await _slow(guarded.port, "127.0.0.90")
        assert await _closed_by_server(extra_reader, 1.0)  # over the cap: closed at once
        extra_writer.close()
        # Someone else is served meanwhile.
        async with httpx.AsyncClient(base_url=guarded.url, timeout=5) as other:
            assert (await other.get("/healthz")).status_code == 200
    finally:
        for _reader, writer in mine:
            writer.close()


async def test_an_address_whose_websockets_closed_is_served_again(guarded: LiveServer) -> None:
    """A websocket leaves uvicorn's HTTP protocol at the upgrade; its end must still free its place
    under the per-address cap, or an address (a carrier's NAT) that opened `per_client` websockets
    over a day would be refused for good."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    address = "127.0.0.92"
    for _ in range(LIMITS.per_client + 10):  # one after another: never more than one open at a time
        try:
            async with connect(f"ws://127.0.0.1:{guarded.port}/ws/halls/none", local_addr=(address, 0)):
                pass
        except InvalidStatus:
            pass  # refused by the app after the upgrade (no credentials): the place is freed all the same
    await asyncio.sleep(0.2)
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=guarded.url, timeout=5, transport=transport) as same_address:
        assert (await same_address.get("/healthz")).status_code == 200


async def test_a_body_sent_too_slowly_is_408(guarded: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "BODY_IDLE_TIMEOUT", 1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
    writer.write(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: agora\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"login": '
    )
    await writer.drain()
    started = time.perf_counter()
    answer = await asyncio.wait_for(reader.read(4096), 10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.perf_counter() - started < 5


async def test_a_kept_alive_connection_serves_a_bounded_number_of_requests(guarded: LiveServer) -> None:
    """The cap on requests per kept-alive connection (`Limits.requests_per_connection`): the last
    allowed answer says `Connection: close` and the server closes the socket; a new connection works."""
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
    answers: list[bytes] = []
    try:
        for _n in range(LIMITS.requests_per_connection):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: agora\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = int(
                next(
                    line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
                ).split(b":")[1]
            )
            await asyncio.wait_for(reader.readexactly(length), 5)
            answers.append(head.lower())
        assert all(b" 200 " in head for head in answers), answers
        assert all(b"connection: close" not in head for head in answers[:-1]), answers
        assert b"connection: close" in answers[-1], answers[-1]
        assert await _closed_by_server(reader, within=5)
    finally:
        writer.close()
    async with httpx.AsyncClient(base_url=guarded.url, timeout=5) as again:
        assert (await again.get("/healthz")).status_code == 200

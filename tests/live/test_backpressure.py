"""A slow or hostile client costs only itself: bounded queues, coalesced turnout, policed input."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import pytest
from websockets.exceptions import ConnectionClosed

from agora.live import connection
from agora.live.connection import CLOSE_RESYNC
from agora.live.events import atomic, emit
from agora.live.hub import current_hub
from tests.live.factories import collect, compound, member, next_of, open_socket, presence_reaches, receive


class RawSocket:
    """A websocket client by hand, so the test decides when (and whether) it reads."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    @classmethod
    async def open(cls, port: int, path: str, headers: dict[str, str]) -> RawSocket:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: stalls quickly
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
        raw = cls(sock)
        while b"\r\n\r\n" not in raw.buffer:
            raw.buffer += await loop.sock_recv(sock, 4096)
        head, raw.buffer = raw.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        return raw

    async def frames(self, timeout: float = 10.0):  # type: ignore[no-untyped-def]
        """Read frames (opcode, payload) until the close frame or EOF."""
        loop = asyncio.get_running_loop()
        while True:
            frame = self._parse()
            if frame is not None:
                yield frame
                if frame[0] == 8:
                    return
                continue
            chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 1 << 16), timeout)
            if not chunk:
                return
            self.buffer += chunk

    def _parse(self) -> tuple[int, bytes] | None:
        data = self.buffer
        if len(data) < 2:
            return None
        opcode, length, offset = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None
            length, offset = struct.unpack("!H", data[2:4])[0], 4
        elif length == 127:
            if len(data) < 10:
                return None
            length, offset = struct.unpack("!Q", data[2:10])[0], 10
        if len(data) < offset + length:
            return None
        self.buffer = data[offset + length :]
        return opcode, data[offset : offset + length]

    def close(self) -> None:
        self.sock.close()


async def test_a_stalled_client_is_dropped_and_the_others_get_every_event(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    stalled_headers = await member("stuck", hall)
    # The stalled client gets a smaller queue than production's: its stall only comes sooner (which
    # keeps the burst under Redis's pub/sub output limit when the hub runs on Redis). The reader
    # below has the production queue.
    monkeypatch.setattr(connection, "QUEUE_LIMIT", 64)
    stalled = await RawSocket.open(server.port, "/ws/halls/sunny?format=json", stalled_headers)
    monkeypatch.undo()
    hub = current_hub()
    assert hub is not None
    try:
        async with open_socket(server, "sunny", headers) as reader:
            await presence_reaches(reader, 2)
            body = "评论" * 1500  # ~4.5 KB of JSON per event
            received: list[int] = []
            presence: list[int] = []
            sent = 0

            async def read_all() -> None:
                while not sent or len(received) < sent:
                    try:
                        message = await receive(reader, 0.5)
                    except TimeoutError:
                        continue  # maybe the last one came before `sent` was known
                    if message["type"] == "comment.created":
                        received.append(message["n"])
                    elif message["type"] == "presence":
                        presence.append(message["count"])

            consumer = asyncio.create_task(read_all())
            loop = asyncio.get_running_loop()
            started, dropped_at = loop.time(), None
            for n in range(3000):
                await emit(hall.id, "comment.created", {"n": n, "body": body}, durable=False)
                await asyncio.sleep(0.0005)  # a busy hall, not an infinitely fast one
                if dropped_at is None and hub.local_count(hall.id) == 1:
                    dropped_at = n  # the stalled one is detached...
                if dropped_at is not None and n >= dropped_at + 100:
                    break  # ...and the hall goes on without it
            sent = n + 1
            await asyncio.wait_for(consumer, 30)
            assert dropped_at is not None, "the stalled client was never dropped"
            assert received == list(range(sent))  # every event, in order, to the client that reads
            assert loop.time() - started < 20
            await asyncio.sleep(0.5)
            assert presence[-1:] == [1]  # and the others were told it left
        # Now the stalled client reads again: what was already on its way, then close code 4000.
        frames = [frame async for frame in stalled.frames()]
        assert frames[-1][0] == 8, "no close frame"
        assert struct.unpack("!H", frames[-1][1][:2])[0] == CLOSE_RESYNC
        assert len(frames) < sent
    finally:
        stalled.close()


async def test_a_client_that_never_reads_again_is_abandoned_after_a_grace(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(connection, "STALL_GRACE", 0.5)
    monkeypatch.setattr(connection, "QUEUE_LIMIT", 64)
    hall = await compound("sunny")
    stalled_headers = await member("stuck", hall)
    stalled = await RawSocket.open(server.port, "/ws/halls/sunny?format=json", stalled_headers)
    hub = current_hub()
    assert hub is not None
    try:
        body = "x" * 4000
        for n in range(3000):
            await emit(hall.id, "comment.created", {"n": n, "body": body}, durable=False)
            if hub.local_count(hall.id) == 0:
                break
            await asyncio.sleep(0.0005)
        assert hub.local_count(hall.id) == 0, "never dropped"
        await asyncio.sleep(1.5)
        assert hub.sockets_by_user == {}  # its handler has finished: nothing is held for it
    finally:
        stalled.close()


async def test_a_burst_of_turnout_updates_is_coalesced_to_the_latest(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        for n in range(1, 101):
            async with atomic():
                await emit(hall.id, "ballot.turnout", {"ballot": 1, "voted": n, "of": 100}, durable=False)
        updates = await collect(ws, "ballot.turnout", quiet=1.0)
    assert 1 <= len(updates) <= 5, len(updates)
    assert updates[-1] == {
        "type": "ballot.turnout",
        "seq": None,
        "hall": hall.id,
        "ballot": 1,
        "voted": 100,
        "of": 100,
    }


async def test_coalescing_keeps_the_latest_turnout_of_each_open_vote(server) -> None:  # type: ignore[no-untyped-def]
    """Two votes open in one hall: a burst on one must not swallow the other's last figure."""
    hall = await compound("sunny")
    headers = await member("lizhen", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        for n in range(1, 21):
            async with atomic():
                await emit(hall.id, "ballot.turnout", {"proposal": 1, "voted": n}, durable=False)
                if n == 10:
                    await emit(hall.id, "ballot.turnout", {"proposal": 2, "voted": 7}, durable=False)
        updates = await collect(ws, "ballot.turnout", quiet=1.0)
    latest = {u["proposal"]: u["voted"] for u in updates}
    assert latest == {1: 20, 2: 7}


async def closed_code(ws) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd.code if closed.value.rcvd else -1


@pytest.mark.parametrize(
    ("attack", "code"),
    [
        ("huge", 1009),
        ("binary", 1003),
        ("not json", 1003),
        ("json list", 1003),
        ("flood", 1008),
    ],
)
async def test_garbage_huge_frames_and_floods_close_only_the_sender(server, attack: str, code: int) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    bad = await member("bad", hall)
    good = await member("good", hall)
    async with open_socket(server, "sunny", good) as bystander, open_socket(server, "sunny", bad) as ws:
        await next_of(ws, "presence")
        if attack == "huge":
            await ws.send("x" * (64 * 1024 + 1))
        elif attack == "binary":
            await ws.send(b"\x00\x01\x02")
        elif attack == "not json":
            await ws.send("<html>")
        elif attack == "json list":
            await ws.send("[1, 2, 3]")
        else:
            for _ in range(200):
                await ws.send('{"type": "ping"}')
        assert await closed_code(ws) == code
        async with atomic():
            event = await emit(hall.id, "comment.created", {"n": 1})
        assert (await next_of(bystander, "comment.created"))["seq"] == event.seq


async def test_when_the_broker_loses_messages_every_client_resyncs(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    hub = current_hub()
    assert hub is not None
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        await hub.deliver({"kind": "resync"})  # what the Redis listener says after losing its subscription
        assert await closed_code(ws) == CLOSE_RESYNC


async def test_the_redis_listener_reports_a_broken_subscription() -> None:
    from agora.live.broker import RedisBroker

    heard: list[dict] = []  # type: ignore[type-arg]

    class BrokenPubSub:
        calls = 0

        async def get_message(self, timeout: float):  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("Connection closed by server.")
            raise asyncio.CancelledError

        async def aclose(self) -> None:
            pass

    async def deliver(envelope):  # type: ignore[no-untyped-def]
        heard.append(envelope)

    with pytest.raises(asyncio.CancelledError):
        await RedisBroker("redis://unused", "agora:live:test", "test-secret")._listen(BrokenPubSub(), deliver)
    assert heard == [{"kind": "resync"}]

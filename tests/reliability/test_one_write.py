"""A response leaves the server in one write: the status line and headers with the body.

uvicorn wrote the head and the body separately: two sends and two TCP segments for every answer, and
two wake-ups of the phone (or of the benchmark's client, on the same two cores). `agora serve`'s
protocol (`agora.web.serving.GuardedHttpProtocol`) joins them; these tests drive that protocol as
uvicorn does, through a transport that records every write, with small ASGI apps answering the way
Starlette answers (head, then body) and the ways that must not be held back (`100 Continue`, a head
whose body is slow to come).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from agora.web import serving


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.writes.append(b"".join(bytes(d) for d in list_of_data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _connect(app: Any, transport: RecordingTransport) -> serving.GuardedHttpProtocol:
    """agora serve's protocol serving `app`, connected to `transport` as uvicorn connects it."""
    config = uvicorn.Config(app, lifespan="off", log_level="warning", **_protocol_only())
    config.load()
    protocol = serving.GuardedHttpProtocol(config, ServerState(), {})
    protocol.connection_made(transport)
    return protocol


async def _serve(app: Any, request: bytes, settle: float = 0.05) -> RecordingTransport:
    transport = RecordingTransport()
    protocol = _connect(app, transport)
    protocol.data_received(request)
    await asyncio.sleep(settle)
    protocol.connection_lost(None)
    return transport


def _protocol_only() -> dict[str, Any]:
    options = serving.uvicorn_options()
    return {"http": options["http"], "timeout_keep_alive": options["timeout_keep_alive"]}


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"18")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"receipt":"K7Q2"}'})


GET = b"GET /x HTTP/1.1\r\nHost: agora\r\n\r\n"


async def test_the_head_and_the_body_go_out_in_one_write() -> None:
    transport = await _serve(_answer, GET)
    assert len(transport.writes) == 1, transport.writes
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 Created\r\n")
    assert b"content-length: 18" in head.lower()
    assert body == b'{"receipt":"K7Q2"}'


async def test_two_requests_on_one_connection_are_two_writes_in_order() -> None:
    transport = await _serve(_answer, GET + GET)
    assert len(transport.writes) == 2, transport.writes
    assert all(w.startswith(b"HTTP/1.1 201") and w.endswith(b"K7Q2\"}") for w in transport.writes)


async def test_a_large_body_follows_its_head_in_the_same_write() -> None:
    body = b"%PDF-" + b"x" * 200_000

    async def pdf(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    transport = await _serve(pdf, GET)
    assert len(transport.writes) == 1
    assert transport.writes[0].endswith(body) and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")


async def test_a_head_whose_body_is_slow_to_come_is_not_held_back() -> None:
    sent_head = asyncio.Event()
    seen_before_body: list[list[bytes]] = []
    transport = RecordingTransport()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        headers = [(b"transfer-encoding", b"chunked")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        sent_head.set()
        await asyncio.sleep(0.05)  # the body is still being made
        seen_before_body.append(list(transport.writes))
        await send({"type": "http.response.body", "body": b"late", "more_body": False})

    protocol = _connect(slow, transport)
    protocol.data_received(GET)
    await asyncio.sleep(0.2)
    protocol.connection_lost(None)
    assert sent_head.is_set()
    assert len(seen_before_body[0]) == 1 and seen_before_body[0][0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[1:] == [b"4\r\nlate\r\n0\r\n\r\n"]


async def test_100_continue_is_sent_at_once_and_the_answer_after_it() -> None:
    request = (
        b"POST /x HTTP/1.1\r\nHost: agora\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
        b"Content-Type: application/json\r\n\r\n"
    )
    got_continue: list[list[bytes]] = []
    transport = RecordingTransport()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        task = asyncio.ensure_future(receive())
        await asyncio.sleep(0.01)
        got_continue.append(list(transport.writes))
        await task
        await _answer(scope, _nothing, send)

    protocol = _connect(app, transport)
    protocol.data_received(request)
    await asyncio.sleep(0.02)
    protocol.data_received(b"{}")  # the client sends its body once it has the 100
    await asyncio.sleep(0.05)
    protocol.connection_lost(None)
    assert got_continue[0] == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert len(transport.writes) == 2 and transport.writes[1].startswith(b"HTTP/1.1 201 Created")


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}

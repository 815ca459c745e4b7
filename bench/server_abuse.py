"""What a server does with abusive clients: the checks behind `agora serve`'s choice of server.

Issue 22 asks to keep whichever server is faster as `agora serve`'s default if it passes the whole
suite. Speed is measured by `bench_servers`; these checks are the part of the suite a server, not
agora's app, answers for (the limits of docs/security.md, `tests/reliability/test_slow_clients.py`,
`tests/reliability/test_descriptors.py`), put to agora's app as each server serves it, with the same
numbers the tests use. Each check is a plain yes or no: did the server hold the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time

import websockets

HOST = "127.0.0.1"
HEAD = b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: "  # an unfinished request head, then nothing
NOFILE = (300, 600)  # the (soft, hard) RLIMIT_NOFILE the server starts with, as in test_descriptors
FLOOD = 900  # unfinished heads: more connections than the server has descriptors
FLOOD_ADDRESSES = ("127.0.3.1", "127.0.3.2")  # under the per-address cap (500) each
ONE_ADDRESS = 520  # connections from one address: past the per-address cap (500)
HEADER_TIMEOUT = 10.0  # seconds a request's head may take (agora.web.serving.Limits.header_timeout)
WS_MAX_SIZE = 64 * 1024  # the largest websocket message agora takes (serving.uvicorn_options)

CHECKS = {
    "healthz_under_flood": f"/healthz answers within {HEADER_TIMEOUT + 3:.0f} s while {FLOOD} unfinished "
    f"heads are held (soft/hard RLIMIT_NOFILE {NOFILE[0]}/{NOFILE[1]})",
    "no_emfile": "the server never logs EMFILE (Too many open files)",
    "heads_cut": f"every unfinished head is closed within {HEADER_TIMEOUT + 3:.0f} s",
    "per_address_cap": f"{ONE_ADDRESS} connections from one address: those past 500 are closed",
    "ws_max_size": "a websocket message over 64 KiB is refused (close 1009)",
}


Held = list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]


async def _hold(port: int, address: str, count: int) -> Held:
    held: Held = []

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, port, local_addr=(address, 0))
        except OSError:
            return
        with contextlib.suppress(ConnectionError):
            writer.write(HEAD)
        held.append((reader, writer))

    for start in range(0, count, 100):  # in batches: the client's own descriptors and backlog
        await asyncio.gather(*(one() for _ in range(min(100, count - start))))
    return held


async def _closed(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1024), within) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def _healthz(port: int) -> bool:
    try:
        async with asyncio.timeout(3.0):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: agora\r\nConnection: close\r\n\r\n")
            answer = await reader.read(64)
        writer.close()
        return answer.startswith(b"HTTP/1.1 200")
    except (OSError, TimeoutError):
        return False


def _release(held: Held) -> None:
    for _reader, writer in held:
        writer.close()


async def _answers_within(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await _healthz(port):
            return True
        await asyncio.sleep(0.25)
    return False


async def _flood(port: int) -> dict[str, bool]:
    """`FLOOD` unfinished heads, kept open from this side: within the head deadline (and the seconds
    after it) `/healthz` must answer again, and every head must have been cut by the server."""
    held: Held = []
    for address in FLOOD_ADDRESSES:
        held += await _hold(port, address, FLOOD // len(FLOOD_ADDRESSES))
    within = HEADER_TIMEOUT + 3
    deadline = time.monotonic() + within
    healthy = await _answers_within(port, within)
    cut = await asyncio.gather(*(_closed(r, max(0.1, deadline - time.monotonic())) for r, _w in held))
    _release(held)
    # a connection the kernel queued and the server never accepted is never cut: it counts against it
    return {"healthz_under_flood": healthy, "heads_cut": len(held) == FLOOD and all(cut)}


async def _one_address(port: int) -> bool:
    held = await _hold(port, "127.0.4.1", ONE_ADDRESS)
    cut = await asyncio.gather(*(_closed(r, 1.0) for r, _w in held))
    _release(held)
    return len(held) == ONE_ADDRESS and sum(cut) >= ONE_ADDRESS - 500


async def _ws_max_size(port: int, path: str, headers: dict[str, str]) -> bool:
    """A member's hall socket (`path`, `headers`: a session cookie) sends one message a kilobyte over the
    limit: the server ends the connection with 1009 instead of reading it into memory. The hall's first
    messages (presence) may arrive before the close, so every message is read until the socket closes.
    The message is barely over the limit, as in tests/live/test_backpressure.py: one far larger may
    still be on its way when the server closes, and the reset that follows can swallow the close frame."""
    url = f"ws://{HOST}:{port}{path}"
    try:
        async with websockets.connect(url, additional_headers=headers, max_size=None, open_timeout=5) as ws:
            await ws.send("x" * (WS_MAX_SIZE + 1024))
            deadline = time.monotonic() + 5
            while True:
                await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
    except websockets.ConnectionClosed as closed:
        return closed.rcvd is not None and closed.rcvd.code == 1009
    except (OSError, TimeoutError, websockets.InvalidStatus):
        return False


def raise_own_nofile() -> None:
    """The checking process holds a thousand sockets at once."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def check(port: int, ws_path: str, ws_headers: dict[str, str]) -> dict[str, bool]:
    """Every check, against a server started with RLIMIT_NOFILE `NOFILE` (one at a time: the flood
    must be over before the next check counts its connections); `ws_path` and `ws_headers` open a
    member's hall socket."""
    found = await _flood(port)
    await asyncio.sleep(1)
    found["per_address_cap"] = await _one_address(port)
    await asyncio.sleep(1)
    found["ws_max_size"] = await _ws_max_size(port, ws_path, ws_headers)
    return found


def no_emfile(log: str) -> bool:
    return "Too many open files" not in log and "EMFILE" not in log

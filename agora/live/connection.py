"""One live connection: a bounded outgoing queue, a sender, a reader that polices the client.

The hub never waits for a client: it `offer`s the same pre-serialized text to every queue and moves
on. A client whose queue fills up (a stalled phone, a peer that stopped reading) is stopped with
`CLOSE_RESYNC` and detached from the hub at once; its close frame follows whatever it was still
being sent, and if even that cannot be written within `STALL_GRACE` the connection is abandoned.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("agora.live")

QUEUE_LIMIT = 512  # above the catch-up limit, so a full catch-up never overflows a fresh queue
STALL_GRACE = 10.0  # seconds a stopped client has to take its close frame
FLOOD_BURST = 20  # client messages allowed at once...
FLOOD_RATE = 1.0  # ...then this many per second
REVALIDATE_SECONDS = 300.0  # re-check the session and membership of long-lived connections

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003  # binary frames, text that is not a JSON object
CLOSE_POLICY = 1008  # flooding
CLOSE_TRY_LATER = 1013  # too many sockets for this account
CLOSE_RESYNC = 4000  # fell behind: reconnect with ?since=
CLOSE_REVOKED = 4403  # session revoked, or no longer a member of the hall

PONG = '{"type":"pong","seq":null}'


@dataclass(eq=False)
class Client:
    websocket: WebSocket
    user_id: int
    hall_id: int
    fmt: str  # "json" | "html"
    locale: str
    credential: str = ""  # digest of the session or token that opened it (for revocation)
    queue: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    held: list[tuple[int | None, str]] | None = None  # live messages that arrive during catch-up
    replayed: set[int] = field(default_factory=set)  # seqs sent by catch-up: not sent again live
    dropped: bool = False
    close_code: int = CLOSE_NORMAL
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    on_stop: Callable[[Client], None] | None = None

    def offer(self, text: str, seq: int | None = None) -> None:
        """Queue a message without ever waiting; a client that cannot keep up is dropped."""
        if self.dropped or (seq is not None and seq in self.replayed):
            return
        if self.held is not None:
            self.held.append((seq, text))
            if len(self.held) > QUEUE_LIMIT:
                self.stop(CLOSE_RESYNC)
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.stop(CLOSE_RESYNC)

    def hold(self) -> None:
        """Keep live messages aside while stored ones are replayed (so nothing is sent twice)."""
        self.held = []

    def release(self, replayed: set[int]) -> None:
        """End catch-up. A replayed event may still arrive live later (through Redis, it was
        committed before the replay read it but is delivered after): it is skipped then too."""
        held, self.held = self.held or [], None
        self.replayed = replayed
        for seq, text in held:
            self.offer(text, seq)

    def stop(self, code: int) -> None:
        """Close with `code` after the message being sent now; detach from the hub immediately."""
        if self.dropped:
            return
        self.dropped, self.close_code, self.held = True, code, None
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        self.stopped.set()
        if self.on_stop is not None:
            self.on_stop(self)


class _Bucket:
    def __init__(self, burst: int, rate: float) -> None:
        self.tokens, self.burst, self.rate = float(burst), burst, rate
        self.at = asyncio.get_running_loop().time()

    def take(self) -> bool:
        now = asyncio.get_running_loop().time()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def run(client: Client, still_allowed: Callable[[], Awaitable[bool]]) -> None:
    """Serve the connection until it ends; `still_allowed` re-checks session and membership."""
    sender = asyncio.create_task(_send(client))
    reader = asyncio.create_task(_read(client))
    checker = asyncio.create_task(_revalidate(client, still_allowed))
    stopped = asyncio.create_task(client.stopped.wait())
    try:
        done, _ = await asyncio.wait({sender, reader, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and reader.result() == "gone":
            return  # the peer closed or vanished: nothing more to send
        client.stop(client.close_code if client.dropped else CLOSE_NORMAL)
        try:
            await asyncio.wait_for(asyncio.shield(sender), timeout=STALL_GRACE)
        except TimeoutError:
            log.info("live client of user %s abandoned: it never took its close frame", client.user_id)
    finally:
        for task in (sender, reader, checker, stopped):
            task.cancel()
        await asyncio.gather(sender, reader, checker, stopped, return_exceptions=True)


async def _send(client: Client) -> None:
    websocket = client.websocket
    try:
        while True:
            text = await client.queue.get()
            if text is None:
                await websocket.close(code=client.close_code)
                return
            await websocket.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        client.stop(CLOSE_GOING_AWAY)


async def _read(client: Client) -> str:
    """Read what the client sends: only small JSON objects, slowly. Returns why it stopped."""
    bucket = _Bucket(FLOOD_BURST, FLOOD_RATE)
    while True:
        try:
            message: dict[str, Any] = await client.websocket.receive()
        except (RuntimeError, OSError):
            return "gone"
        if message["type"] == "websocket.disconnect":
            return "gone"
        if not bucket.take():
            client.stop(CLOSE_POLICY)
            return "flood"
        text = message.get("text")
        if text is None:
            client.stop(CLOSE_UNSUPPORTED)
            return "binary"
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            client.stop(CLOSE_UNSUPPORTED)
            return "garbage"
        if data.get("type") == "ping" and client.fmt == "json":
            client.offer(PONG)


async def _revalidate(client: Client, still_allowed: Callable[[], Awaitable[bool]]) -> None:
    while not client.dropped:
        await asyncio.sleep(REVALIDATE_SECONDS)
        try:
            allowed = await still_allowed()
        except Exception:  # noqa: BLE001 — a database hiccup is not a reason to cut members off
            log.exception("re-checking a live connection failed")
            continue
        if not allowed:
            client.stop(CLOSE_REVOKED)

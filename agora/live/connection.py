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


class Client:
    """One hall connection. Slotted, and without an `asyncio.Queue` or helper tasks of its own: a hall
    may hold thousands of these, so each costs only what it must (its pending texts, one future)."""

    __slots__ = (
        "websocket",
        "user_id",
        "hall_id",
        "fmt",
        "locale",
        "credential",
        "limit",
        "pending",
        "waiter",
        "held",
        "replayed",
        "dropped",
        "close_code",
        "stopped",
        "on_stop",
    )

    def __init__(
        self,
        websocket: WebSocket,
        user_id: int,
        hall_id: int,
        fmt: str,  # "json" | "html"
        locale: str,
        credential: str = "",  # digest of the session or token that opened it (for revocation)
    ) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.hall_id = hall_id
        self.fmt = fmt
        self.locale = locale
        self.credential = credential
        self.limit = QUEUE_LIMIT  # read now: tests shrink it for one client
        self.pending: list[str] = []  # texts not yet handed to the socket, oldest first
        self.waiter: asyncio.Future[None] | None = None  # the sender, idle, waits on this
        self.held: list[tuple[int | None, str]] | None = None  # live messages that arrive during catch-up
        self.replayed: set[int] | None = None  # seqs sent by catch-up: not sent again live
        self.dropped = False
        self.close_code = CLOSE_NORMAL
        self.stopped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_stop: Callable[[Client], None] | None = None

    def offer(self, text: str, seq: int | None = None) -> None:
        """Queue a message without ever waiting; a client that cannot keep up is dropped."""
        if self.dropped or (seq is not None and self.replayed and seq in self.replayed):
            return
        if self.held is not None:
            self.held.append((seq, text))
            if len(self.held) > QUEUE_LIMIT:
                self.stop(CLOSE_RESYNC)
            return
        if len(self.pending) >= self.limit:
            self.stop(CLOSE_RESYNC)
            return
        self.pending.append(text)
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def hold(self) -> None:
        """Keep live messages aside while stored ones are replayed (so nothing is sent twice)."""
        self.held = []

    def release(self, replayed: set[int]) -> None:
        """End catch-up. A replayed event may still arrive live later (through Redis, it was
        committed before the replay read it but is delivered after): it is skipped then too."""
        held, self.held = self.held or [], None
        self.replayed = replayed or None
        for seq, text in held:
            self.offer(text, seq)

    def stop(self, code: int) -> None:
        """Close with `code` after the message being sent now; detach from the hub immediately."""
        if self.dropped:
            return
        self.dropped, self.close_code, self.held = True, code, None
        self.pending.clear()
        self._wake()
        if not self.stopped.done():
            self.stopped.set_result(None)
        if self.on_stop is not None:
            self.on_stop(self)


class _Bucket:
    __slots__ = ("tokens", "burst", "rate", "at")

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
    checks = _Revalidation(client, still_allowed)
    try:
        waiting: set[asyncio.Future[Any]] = {sender, reader, client.stopped}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and reader.result() == "gone":
            return  # the peer closed or vanished: nothing more to send
        client.stop(client.close_code if client.dropped else CLOSE_NORMAL)
        try:
            await asyncio.wait_for(asyncio.shield(sender), timeout=STALL_GRACE)
        except TimeoutError:
            log.info("live client of user %s abandoned: it never took its close frame", client.user_id)
    finally:
        checks.cancel()
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
        if not client.stopped.done():
            client.stopped.cancel()


async def _send(client: Client) -> None:
    websocket = client.websocket
    loop = asyncio.get_running_loop()
    try:
        while not client.dropped:
            if not client.pending:
                client.waiter = loop.create_future()
                try:
                    await client.waiter
                finally:
                    client.waiter = None
                continue
            await websocket.send_text(client.pending.pop(0))
        await websocket.close(code=client.close_code)
    except (WebSocketDisconnect, RuntimeError, OSError):
        client.stop(CLOSE_GOING_AWAY)


async def _read(client: Client) -> str:
    """Read what the client sends: only small JSON objects, slowly. Returns why it stopped."""
    bucket = _Bucket(FLOOD_BURST, FLOOD_RATE)
    while True:
        try:
            message = await client.websocket.receive()
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


class _Revalidation:
    """Re-check a long-lived connection every `REVALIDATE_SECONDS`: a timer, and a task only while
    a check runs (an idle connection holds no task for it)."""

    __slots__ = ("client", "still_allowed", "timer", "task")

    def __init__(self, client: Client, still_allowed: Callable[[], Awaitable[bool]]) -> None:
        self.client, self.still_allowed = client, still_allowed
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self.timer = asyncio.get_running_loop().call_later(REVALIDATE_SECONDS, self._due)

    def _due(self) -> None:
        self.timer = None
        if not self.client.dropped:
            self.task = asyncio.get_running_loop().create_task(self._check())

    async def _check(self) -> None:
        try:
            allowed = await self.still_allowed()
        except Exception:  # noqa: BLE001 — a database hiccup is not a reason to cut members off
            log.exception("re-checking a live connection failed")
            allowed = True
        self.task = None
        if not allowed:
            self.client.stop(CLOSE_REVOKED)
        elif not self.client.dropped:
            self._arm()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.task is not None:
            self.task.cancel()
            self.task = None

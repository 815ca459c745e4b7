"""The live hub: hall connections in this process, fed by a broker (in-process or Redis).

Every envelope reaches every process's hub (`deliver`), which fans it out to its own clients.
Each event is serialized once per format (JSON, and HTML per language) and the same text goes to
every client of that format; no client can slow the others (see `agora.live.connection`).
Turnout updates and presence counts are coalesced: each `TICK` sends only the latest per hall.
A presence update goes to every member of the hall, so a big hall gets them less often (one per
`presence_interval`: at most about `PRESENCE_SENDS_PER_SECOND` presence messages a second per hall,
and at least one every `PRESENCE_MAX_INTERVAL` while the count changes): a burst of joins costs
O(members) per interval, not O(members) per join. Each joining client is told the count at once.
At 1,000 a second, the presence updates of a morning when 5,000 phones connect cost a third of the
worker's CPU (docs/bench.md); at 200, a hall of 1,000 members or more hears its count every five seconds.

Presence across processes: each process announces its own count for a hall when it changes (and
every `PRESENCE_HEARTBEAT`); a process whose first client joins a hall asks the others to announce.
Counts from a process not heard from for three heartbeats are forgotten.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from agora import i18n
from agora.live import events
from agora.live.broker import Broker, InProcessBroker, RedisBroker, channel_for
from agora.live.connection import CLOSE_GOING_AWAY, CLOSE_RESYNC, CLOSE_REVOKED, Client
from agora.live.events import Event
from agora.live.services import visible_hall_ids

log = logging.getLogger("agora.live")

TICK = 0.25
PRESENCE_HEARTBEAT = 10.0
PRESENCE_SENDS_PER_SECOND = 200  # per hall: a hall of n members hears a new count every n/200 s...
PRESENCE_MAX_INTERVAL = 5.0  # ...but never less often than this (and never more often than TICK)
COALESCED = frozenset({"ballot.turnout"})

# type -> renderer(templates, message) -> HTML with hx-swap-oob elements (or None), registered by features.
HtmlRenderer = Callable[[Any, dict[str, Any]], str | None]
_renderers: dict[str, HtmlRenderer] = {}
JsonShaper = Callable[[dict[str, Any]], dict[str, Any]]
_json_shapers: dict[str, JsonShaper] = {}


def register_renderer(event_type: str, renderer: HtmlRenderer) -> None:
    _renderers[event_type] = renderer


def register_json_shaper(event_type: str, shaper: JsonShaper) -> None:
    """How JSON clients get an event type whose message carries `*_html` fields (sanitized again)."""
    _json_shapers[event_type] = shaper


def json_text(message: dict[str, Any]) -> str:
    """The text JSON clients get: never a fragment. A type with a registered shaper keeps the
    fields it vouches for (re-sanitized); any other `*html` field is dropped."""
    shaper = _json_shapers.get(str(message.get("type", "")))
    if shaper is not None:
        message = shaper(message)
    else:
        message = {k: v for k, v in message.items() if not str(k).endswith("html")}
    return dumps(message)


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def presence_interval(members: int) -> float:
    """Seconds between two presence updates to a hall with this many local members."""
    return min(PRESENCE_MAX_INTERVAL, max(TICK, members / PRESENCE_SENDS_PER_SECOND))


class Hub:
    def __init__(self, app: Any, broker: Broker) -> None:
        self.app = app  # None in a publisher-only process (no clients, nothing to render)
        self.broker = broker
        self.process_id = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.halls: dict[int, set[Client]] = {}
        self.sockets_by_user: dict[int, int] = {}
        self.remote: dict[int, dict[str, tuple[int, float]]] = {}  # hall -> process -> (count, heard)
        self._announce: dict[int, bool] = {}  # hall -> ask the others too
        self._presence_changed: set[int] = set()
        self._presence_sent: dict[int, int] = {}
        self._presence_due: dict[int, float] = {}  # hall -> earliest time of its next presence update
        # Latest turnout per (hall, proposal): two open votes in one hall must not hide each other.
        self._turnout: dict[tuple[int, Any], dict[str, Any]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self.broker.start(self.deliver)
        self._ticker = asyncio.create_task(self._tick_forever())

    async def stop(self) -> None:
        for clients in list(self.halls.values()):
            for client in list(clients):
                client.stop(CLOSE_GOING_AWAY)
        # Let our own tasks end before the broker closes its connections under them (bounded: a
        # library that swallows a cancellation must not hold up the shutdown).
        self._stopping = True
        tasks = [*self._tasks, *([self._ticker] if self._ticker else [])]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)
        await self.broker.stop()

    # --- connections -------------------------------------------------------------------------
    def reserve(self, user_id: int, limit: int) -> bool:
        """Count a socket against its user's cap, synchronously (no race between check and count)."""
        if self.sockets_by_user.get(user_id, 0) >= limit:
            return False
        self.sockets_by_user[user_id] = self.sockets_by_user.get(user_id, 0) + 1
        return True

    def release(self, user_id: int) -> None:
        left = self.sockets_by_user.get(user_id, 0) - 1
        if left > 0:
            self.sockets_by_user[user_id] = left
        else:
            self.sockets_by_user.pop(user_id, None)

    def join(self, client: Client) -> None:
        clients = self.halls.setdefault(client.hall_id, set())
        first = not clients
        clients.add(client)
        client.on_stop = self.leave
        self._announce[client.hall_id] = self._announce.get(client.hall_id, False) or first
        self._presence_changed.add(client.hall_id)
        message = self._presence_message(client.hall_id)
        text = self.serialize(message, client.fmt, client.locale)
        if text:
            client.offer(text)
        self._presence_sent.pop(client.hall_id, None)  # the others learn the new count at the next tick

    def leave(self, client: Client) -> None:
        clients = self.halls.get(client.hall_id)
        if clients is None or client not in clients:
            return
        clients.discard(client)
        if not clients:
            self.halls.pop(client.hall_id, None)
        self._announce.setdefault(client.hall_id, False)
        self._presence_changed.add(client.hall_id)

    def local_count(self, hall_id: int) -> int:
        return len(self.halls.get(hall_id, ()))

    def present(self, hall_id: int) -> int:
        remote = self.remote.get(hall_id, {})
        return self.local_count(hall_id) + sum(count for count, _heard in remote.values())

    def _presence_message(self, hall_id: int) -> dict[str, Any]:
        return {"type": "presence", "seq": None, "hall": hall_id, "count": self.present(hall_id)}

    # --- publishing --------------------------------------------------------------------------
    async def publish(self, event: Event) -> None:
        await self.broker.publish({"kind": "event", "hall": event.hall_id, "message": event.message()})

    async def disconnect(
        self, *, user_id: int | None = None, hall_id: int | None = None, credential: str | None = None
    ) -> None:
        await self.broker.publish(
            {"kind": "disconnect", "user": user_id, "hall": hall_id, "credential": credential}
        )

    async def deliver(self, envelope: dict[str, Any]) -> None:
        """Called by the broker for every envelope, in every process."""
        kind = envelope.get("kind")
        if kind == "event":
            hall_id, message = int(envelope["hall"]), envelope["message"]
            if message.get("type") in COALESCED:
                self._turnout[(hall_id, message.get("proposal"))] = message
            else:
                self.fan_out(hall_id, message)
        elif kind == "presence":
            self._heard_presence(envelope)
        elif kind == "disconnect":
            self._disconnect(envelope)
        elif kind == "resync":  # the broker lost messages: every client catches up from the database
            for clients in list(self.halls.values()):
                for client in list(clients):
                    client.stop(CLOSE_RESYNC)
            self.remote.clear()

    def _heard_presence(self, envelope: dict[str, Any]) -> None:
        if envelope.get("process") == self.process_id:
            return
        hall_id, count = int(envelope["hall"]), int(envelope["count"])
        counts = self.remote.setdefault(hall_id, {})
        if count > 0:
            counts[envelope["process"]] = (count, asyncio.get_running_loop().time())
        else:
            counts.pop(envelope["process"], None)
        if not counts:
            self.remote.pop(hall_id, None)
        self._presence_changed.add(hall_id)
        if envelope.get("ask") and self.local_count(hall_id):
            self._announce.setdefault(hall_id, False)

    def _disconnect(self, envelope: dict[str, Any]) -> None:
        user_id, hall_id, credential = envelope.get("user"), envelope.get("hall"), envelope.get("credential")
        recheck = False
        for clients in list(self.halls.values()):
            for client in list(clients):
                if credential is not None:
                    if client.credential == credential:
                        client.stop(CLOSE_REVOKED)
                elif client.user_id == user_id:
                    if hall_id is None or client.hall_id == hall_id:
                        client.stop(CLOSE_REVOKED)
                    else:
                        recheck = True  # roles are derived: losing a compound role loses its buildings
        if recheck and user_id is not None:
            self._spawn(self._recheck(int(user_id)))

    async def _recheck(self, user_id: int) -> None:
        visible = await visible_hall_ids(user_id)
        for clients in list(self.halls.values()):
            for client in list(clients):
                if client.user_id == user_id and client.hall_id not in visible:
                    client.stop(CLOSE_REVOKED)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- fan-out -----------------------------------------------------------------------------
    def fan_out(self, hall_id: int, message: dict[str, Any]) -> None:
        clients = self.halls.get(hall_id)
        if not clients:
            return
        seq = message.get("seq")
        texts: dict[tuple[str, str], str | None] = {}
        for client in list(clients):
            key = (client.fmt, "" if client.fmt == "json" else client.locale)
            if key not in texts:
                texts[key] = self.serialize(message, client.fmt, client.locale)
            text = texts[key]
            if text:
                client.offer(text, seq)

    def serialize(self, message: dict[str, Any], fmt: str, locale: str) -> str | None:
        return json_text(message) if fmt == "json" else self.render_html(message, locale)

    def render_html(self, message: dict[str, Any], locale: str) -> str | None:
        if self.app is None:
            return None
        templates = self.app.state.templates
        kind = message.get("type", "")
        html: str | None = None
        with i18n.use_locale(locale):
            try:
                if kind in _renderers:
                    html = _renderers[kind](templates, message)
                elif kind == "presence":
                    html = templates.get_template("live/_presence.html").render(message=message)
                elif kind == "reload":
                    html = templates.get_template("live/_reload.html").render(message=message)
            except Exception:  # noqa: BLE001 — one bad fragment must not break the hall
                log.exception("rendering %s failed", kind)
                return None
        if html and message.get("seq") is not None:
            html += templates.get_template("live/_seq.html").render(seq=int(message["seq"]))
        return html

    # --- the tick: coalesced turnout and presence, heartbeats --------------------------------
    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + PRESENCE_HEARTBEAT
        while not self._stopping:
            await asyncio.sleep(TICK)
            try:
                if loop.time() >= next_heartbeat:
                    next_heartbeat = loop.time() + PRESENCE_HEARTBEAT
                    self._heartbeat(loop.time())
                await self._tick()
            except Exception:  # noqa: BLE001 — the tick must survive a broker hiccup
                log.exception("live tick failed")

    def _heartbeat(self, now: float) -> None:
        for hall_id in self.halls:
            self._announce.setdefault(hall_id, False)
        for hall_id, counts in list(self.remote.items()):
            for process, (_count, heard) in list(counts.items()):
                if now - heard > 3 * PRESENCE_HEARTBEAT:
                    counts.pop(process)
                    self._presence_changed.add(hall_id)
            if not counts:
                self.remote.pop(hall_id)

    async def _tick(self) -> None:
        announce, self._announce = self._announce, {}
        for hall_id, ask in announce.items():
            envelope = {"kind": "presence", "hall": hall_id, "process": self.process_id}
            await self.broker.publish({**envelope, "count": self.local_count(hall_id), "ask": ask})
        turnout, self._turnout = self._turnout, {}
        for (hall_id, _proposal), message in turnout.items():
            self.fan_out(hall_id, message)
        changed, self._presence_changed = self._presence_changed, set()
        now = asyncio.get_running_loop().time()
        for hall_id in changed:
            if hall_id not in self.halls:
                self._presence_sent.pop(hall_id, None)
                self._presence_due.pop(hall_id, None)
                continue
            if now < self._presence_due.get(hall_id, 0.0):
                self._presence_changed.add(hall_id)  # sent recently: the next update says it
                continue
            message = self._presence_message(hall_id)
            if self._presence_sent.get(hall_id) != message["count"]:
                self._presence_sent[hall_id] = message["count"]
                # Half a tick early, so that the tick the interval ends on is not missed by a hair.
                self._presence_due[hall_id] = now + presence_interval(self.local_count(hall_id)) - TICK / 2
                self.fan_out(hall_id, message)


def current_hub() -> Hub | None:
    hub = events.plugged()
    return hub if isinstance(hub, Hub) else None


async def start_hub(app: Any, settings: Any) -> Hub:
    """The process's hub; `app` may be None for a process that only publishes (a job, a script)."""
    broker: Broker = (
        RedisBroker(settings.redis_url, channel_for(settings.database_url), settings.secret_key)
        if settings.redis_url
        else InProcessBroker()
    )
    hub = Hub(app, broker)
    await hub.start()
    if app is not None:
        app.state.hub = hub
    events.plug(hub)
    return hub


async def stop_hub(app: Any = None) -> None:
    hub = getattr(app.state, "hub", None) if app is not None else current_hub()
    if hub is not None:
        await hub.stop()
    if current_hub() is hub:
        events.plug(None)

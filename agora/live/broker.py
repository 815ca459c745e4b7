"""The broker behind the hub: one small interface, two implementations.

`InProcessBroker` hands envelopes straight back to this process's hub. `RedisBroker` publishes
them on one Redis pub/sub channel that every agora process (any number of workers or machines)
subscribes to, so each process fans out to its own clients.

When the subscription breaks (Redis restarted, or dropped this process for reading too slowly:
`client-output-buffer-limit pubsub`), the hub hears `{"kind": "resync"}` and closes its clients with
4000, so they reconnect with `?since=` and catch up from the database.

Every message on the channel is signed (HMAC-SHA256, with a key derived from `AGORA_SECRET_KEY`,
used for nothing else): whoever can publish on the Redis channel but does not hold the secret cannot
send forged "official" comments to every phone. Unsigned or badly signed messages are dropped and
counted (`RedisBroker.dropped`, logged at the first and every 100th).

Redis pub/sub channels ignore the database number in the Redis URL, so the channel is named after
the agora database (`channel_for`): processes sharing a database share events, and two agora sites
(or two test runs) sharing one Redis never hear each other.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger("agora.live")

Deliver = Callable[[dict[str, Any]], Awaitable[None]]
CHANNEL_PREFIX = "agora:live:"
PUBLISH_TIMEOUT = 2.0  # a request never waits longer than this for an unreachable Redis


def signing_key(secret: str) -> bytes:
    """The broker's own key, derived from the site's secret (never the secret itself)."""
    return hashlib.sha256(b"agora-live-broker\x00" + secret.encode()).digest()


def sign(key: bytes, text: str) -> str:
    """`<hex mac>.<json>`: what goes on the channel."""
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return f"{mac}.{text}"


def verify(key: bytes, wire: bytes | str) -> str | None:
    """The JSON text of a correctly signed message, else None."""
    if isinstance(wire, bytes):
        try:
            wire = wire.decode("utf-8")
        except UnicodeDecodeError:
            return None
    mac, dot, text = wire.partition(".")
    if not dot or len(mac) != 64:
        return None
    expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return text if hmac.compare_digest(mac, expected) else None


def channel_for(database_url: str) -> str:
    """A channel name derived from the database URL, without its password."""
    without_password = re.sub(r"://([^:/@]*):[^@]*@", r"://\1@", database_url)
    return CHANNEL_PREFIX + hashlib.sha256(without_password.encode()).hexdigest()[:16]


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None: ...
    async def publish(self, envelope: dict[str, Any]) -> None: ...
    async def stop(self) -> None: ...


class InProcessBroker:
    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, envelope: dict[str, Any]) -> None:
        if self._deliver is not None:
            await self._deliver(envelope)

    async def stop(self) -> None:
        self._deliver = None


class RedisBroker:
    def __init__(self, url: str, channel: str, secret: str) -> None:
        self.url = url
        self.channel = channel
        self._key = signing_key(secret)
        self.dropped = 0  # unsigned or forged messages heard on the channel
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver) -> None:
        import redis.asyncio as redis  # only a process given a Redis URL pays for loading the client

        self._redis = redis.from_url(self.url, socket_connect_timeout=PUBLISH_TIMEOUT)
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)  # subscribed before start() returns: nothing is missed
        self._task = asyncio.create_task(self._listen(pubsub, deliver))

    async def _listen(self, pubsub: Any, deliver: Deliver) -> None:
        try:
            while True:
                try:
                    message = await pubsub.get_message(timeout=1.0)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 — Redis went away; redis-py reconnects and resubscribes
                    log.exception("redis listener error")
                    # Whatever was published meanwhile is lost to this process: its clients resync.
                    await deliver({"kind": "resync"})
                    await asyncio.sleep(0.5)
                    continue
                if not message or message.get("type") != "message":
                    continue
                text = verify(self._key, message["data"])
                if text is None:
                    self.dropped += 1
                    if self.dropped % 100 == 1:
                        log.warning("dropped %d unsigned or forged live message(s)", self.dropped)
                    continue
                try:
                    await deliver(json.loads(text))
                except Exception:  # noqa: BLE001 — one bad envelope must not stop the others
                    log.exception("delivering a live envelope failed")
        finally:
            await pubsub.aclose()

    async def publish(self, envelope: dict[str, Any]) -> None:
        text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        async with asyncio.timeout(PUBLISH_TIMEOUT):  # no helper task: nothing left behind on cancel
            await self._redis.publish(self.channel, sign(self._key, text))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)  # bounded: never hold up a shutdown
        if self._redis is not None:
            await self._redis.aclose()

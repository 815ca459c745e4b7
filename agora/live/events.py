"""Events after commit: services `emit` inside `atomic()`, the hub hears them only once committed.

A stored event (`durable=True`, the default) is written in the same transaction as the change it
describes, so its id (`seq`) orders it in the hall and lets a reconnecting client catch up. Ephemeral
events (turnout) are not stored: a client that missed them just reads the current figure.

    async with atomic():
        comment = await Comment.create(...)
        await emit(hall.id, "comment.created", {"comment": comment.id, ...})

If the block raises, the transaction rolls back and nothing is published; a nested `atomic()` that
rolls back (its savepoint) drops only its own events. `after_commit` defers any other side effect
(closing a removed member's sockets: `disconnect_user`, `disconnect_credential`) the same way.

What is published goes to the process's outlet: the live hub plugs itself in when it starts
(`agora.live.hub.start_hub`); a process without one publishes nothing. So the features that emit
and disconnect depend on this module alone, never on the hub and what it imports.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

from agora.live.models import LiveEvent

log = logging.getLogger("agora.live")

RESERVED_KEYS = ("type", "seq", "hall")

Pending = Callable[[], Awaitable[None]]


@dataclass
class Event:
    hall_id: int
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    durable: bool = True
    seq: int | None = None

    def message(self) -> dict[str, Any]:
        return message_for(self.type, self.seq, self.hall_id, self.payload)


def message_for(type: str, seq: int | None, hall_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The wire form of an event: `type`, `seq`, `hall` first; the payload cannot override them."""
    message: dict[str, Any] = {"type": type, "seq": seq, "hall": hall_id}
    message.update((k, v) for k, v in payload.items() if k not in RESERVED_KEYS)
    return message


_pending: contextvars.ContextVar[list[Pending] | None] = contextvars.ContextVar(
    "agora_pending_events", default=None
)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A transaction whose emitted events are published after it commits, and never if it rolls back."""
    outer = _pending.get()
    mine: list[Pending] = []
    token = _pending.set(mine)
    try:
        async with in_transaction():
            yield
    finally:
        _pending.reset(token)
    # Reached only when the block (and its transaction or savepoint) completed without error.
    if outer is not None:
        outer.extend(mine)  # the outermost transaction publishes
        return
    for action in mine:
        try:
            await action()
        except Exception:  # noqa: BLE001 — the change is committed; a lost live update is not an error
            log.exception("publishing a committed event failed")


async def after_commit(action: Pending) -> None:
    """Run `action` once the current `atomic()` commits (now, when not inside one)."""
    pending = _pending.get()
    if pending is not None:
        pending.append(action)
        return
    try:
        await action()
    except Exception:  # noqa: BLE001 — the change is committed; a lost live update is not an error
        log.exception("an after-commit action failed")


async def emit(
    hall_id: int, type: str, payload: dict[str, Any] | None = None, *, durable: bool = True
) -> Event:
    """Record (when durable) and queue an event for the hall; published after commit."""
    if _pending.get() is None:
        _refuse_bare_transaction()
    event = Event(hall_id=hall_id, type=type, payload=dict(payload or {}), durable=durable)
    if durable:
        row = await LiveEvent.create(hall_id=hall_id, type=type, payload=event.payload)
        event.seq = row.id

    async def publish_it() -> None:
        if _outlet is not None:
            await _outlet.publish(event)

    await after_commit(publish_it)
    return event


class Outlet(Protocol):
    """Where committed events and disconnections go: the live hub of this process."""

    async def publish(self, event: Event) -> None: ...

    async def disconnect(
        self, *, user_id: int | None = None, hall_id: int | None = None, credential: str | None = None
    ) -> None: ...


_outlet: Outlet | None = None


def plug(outlet: Outlet | None) -> None:
    """The hub plugs itself in when it starts and out (None) when it stops."""
    global _outlet
    _outlet = outlet


def plugged() -> Outlet | None:
    return _outlet


async def disconnect_user(user_id: int, hall_id: int | None = None) -> None:
    """Close a user's live connections: in one hall (and re-check their others), or everywhere.

    Call it after removing a member; inside `atomic()` it waits for the commit.
    """

    async def act() -> None:
        if _outlet is not None:
            await _outlet.disconnect(user_id=user_id, hall_id=hall_id)

    await after_commit(act)


async def disconnect_credential(credential_digest: str) -> None:
    """Close the connections opened with one session or token (by its stored digest)."""

    async def act() -> None:
        if _outlet is not None:
            await _outlet.disconnect(credential=credential_digest[:32])

    await after_commit(act)


def _refuse_bare_transaction() -> None:
    """Inside a plain `in_transaction()` we could not wait for the commit: that is a bug."""
    try:
        connection = connections.get("default")
    except Exception:  # noqa: BLE001 — no database configured (a publisher-only process)
        return
    if isinstance(connection, TransactionalDBClient):
        raise RuntimeError("emit() inside a transaction needs agora.live.events.atomic()")

"""Bounded audit rows for refused requests: a flood of refusals cannot grow the audit log without end.

Refusals (a 403, a CSRF failure, a failed or throttled sign-in) are security events, and each is
written as its own row — until the same source (action, client address, actor) has had `PER_SOURCE`
rows in the current `WINDOW`, or this process has written `PER_WINDOW` refusal rows in it, all
sources together. Past that, the source's refusals are folded into ONE aggregate row per source and
window (per address and actor; or, once the process-wide budget or the memory bound is spent, one per
action for everybody), which keeps the signal: the action, the address, the actor, how many, the
first and last time, a sample of the paths or logins aimed at and of the addresses, and the request id
of the first refusal it folded. Its `detail` has `aggregate: true` and `count`; the row is updated in
place as the count grows, so the number of rows is bounded by
`PER_WINDOW + sources` per window, and the memory by `MAX_SOURCES`.

The state is per event loop (one per worker process; the test suite runs a loop per test).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agora import clock
from agora.audit.models import AuditEntry

log = logging.getLogger("agora.audit")

REFUSALS = frozenset({"security.forbidden", "security.csrf_failed", "auth.login_failed", "auth.throttled"})
WINDOW = timedelta(minutes=1)
PER_SOURCE = 5  # rows of their own per (action, address, actor) and window
PER_WINDOW = 200  # rows of their own per window for all refusals of this process together
MAX_SOURCES = 2000  # sources remembered per window; beyond, refusals aggregate per action
SAMPLES = 10  # distinct objects and addresses an aggregate row names
ANYONE = "*"

Source = tuple[str, str, str]  # action, client address, actor login


@dataclass
class _Aggregate:
    action: str
    ip: str
    actor_id: int | None
    actor_login: str
    object_type: str
    request_id: str
    first_at: datetime
    last_at: datetime
    count: int = 0
    objects: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    row_id: int | None = None
    flushing: bool = False
    dirty: bool = False

    def add(self, object_id: str, ip: str, reason: str, now: datetime) -> None:
        self.count += 1
        self.last_at = now
        if object_id not in self.objects and len(self.objects) < SAMPLES:
            self.objects.append(object_id)
        if ip not in self.ips and len(self.ips) < SAMPLES:
            self.ips.append(ip)
        if reason and (reason in self.reasons or len(self.reasons) < SAMPLES):
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def detail(self) -> dict[str, Any]:
        return {
            "aggregate": True,
            "count": self.count,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "objects": list(self.objects),
            "ips": list(self.ips),
            "reasons": dict(self.reasons),
        }


@dataclass
class _Window:
    start: datetime
    rows: int = 0
    per_source: dict[Source, int] = field(default_factory=dict)
    aggregates: dict[Source, _Aggregate] = field(default_factory=dict)


_windows: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Window] = weakref.WeakKeyDictionary()


def _window(now: datetime) -> _Window:
    loop = asyncio.get_running_loop()
    window = _windows.get(loop)
    if window is None or not (window.start <= now < window.start + WINDOW):
        window = _windows[loop] = _Window(start=now)
    return window


def admit(action: str, ip: str, actor_login: str) -> bool:
    """Whether this refusal gets a row of its own (and counts against the budgets if so)."""
    window = _window(clock.now())
    source = (action, ip, actor_login)
    seen = window.per_source.get(source, 0)
    if seen >= PER_SOURCE or window.rows >= PER_WINDOW:
        return False
    if source not in window.per_source and len(window.per_source) >= MAX_SOURCES:
        return False
    window.per_source[source] = seen + 1
    window.rows += 1
    return True


async def fold(
    action: str,
    *,
    actor_id: int | None,
    actor_login: str,
    object_type: str,
    object_id: str,
    ip: str,
    request_id: str,
    reason: str,
) -> AuditEntry | None:
    """Count a refusal that gets no row of its own into its source's aggregate row."""
    now = clock.now()
    window = _window(now)
    source: Source = (action, ip, actor_login)
    aggregate = window.aggregates.get(source)
    if aggregate is None and len(window.aggregates) >= MAX_SOURCES:
        source = (action, ANYONE, ANYONE)
        aggregate = window.aggregates.get(source)
    if aggregate is None:
        everybody = source[1] == ANYONE
        aggregate = window.aggregates[source] = _Aggregate(
            action=action,
            ip=source[1],
            actor_id=None if everybody else actor_id,
            actor_login=source[2],
            object_type=object_type,
            request_id=request_id,
            first_at=now,
            last_at=now,
        )
    aggregate.add(object_id, ip, reason, now)
    if aggregate.count == 1 or _milestone(aggregate.count):
        log.info(
            json.dumps(
                {
                    "action": action,
                    "actor": aggregate.actor_login,
                    "object": f"{object_type}:*",
                    "ip": aggregate.ip,
                    "request_id": request_id,
                    "detail": aggregate.detail(),
                },
                ensure_ascii=False,
                default=str,
            )
        )
    return await _flush(aggregate)


def _milestone(count: int) -> bool:
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


async def _flush(aggregate: _Aggregate) -> AuditEntry | None:
    """Write the aggregate's current state; one write in flight per aggregate, repeated while it
    changed meanwhile, so the row always ends with the latest count."""
    if aggregate.flushing:
        aggregate.dirty = True
        return None
    aggregate.flushing = True
    entry = None
    try:
        while True:
            aggregate.dirty = False
            detail = aggregate.detail()
            updated = 0
            if aggregate.row_id is not None:
                updated = await AuditEntry.filter(id=aggregate.row_id).update(detail=detail)
            if not updated:  # the first write, or its row went with a rolled-back transaction
                entry = await AuditEntry.create(
                    actor_id=aggregate.actor_id,
                    actor_login=aggregate.actor_login,
                    action=aggregate.action,
                    object_type=aggregate.object_type,
                    object_id=ANYONE,
                    hall_id=None,
                    ip=aggregate.ip,
                    request_id=aggregate.request_id,
                    detail=detail,
                )
                aggregate.row_id = entry.id
            if not aggregate.dirty:
                return entry
    finally:
        aggregate.flushing = False

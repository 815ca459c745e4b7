"""Every minute: send the reminders that have fallen due (votes closing soon, members yet to vote)
and the notices of new replies."""

from __future__ import annotations

import asyncio
import logging

from agora.notify.services import Notifier, sweep

log = logging.getLogger("agora.notify")
INTERVAL_SECONDS = 60.0


async def _loop(notifier: Notifier) -> None:
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        try:
            await sweep(notifier)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 — retried at the next tick
            log.exception("the reminder sweep failed")


async def start_reminders(notifier: Notifier) -> asyncio.Task[None]:
    return asyncio.create_task(_loop(notifier))

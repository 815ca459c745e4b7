"""Every minute: mark overdue works stalled (reminding the committee once), settle acceptance polls."""

from __future__ import annotations

import asyncio
import logging

from agora.implementation.services import sweep

log = logging.getLogger("agora.implementation")
INTERVAL_SECONDS = 60.0


async def _loop() -> None:
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        try:
            await sweep()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 — retried at the next tick
            log.exception("the implementation sweep failed")


async def start_sweeper() -> asyncio.Task[None]:
    await sweep()  # what fell due while the server was down, before the first request
    return asyncio.create_task(_loop())

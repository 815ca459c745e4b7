"""Closes votes at their closing time, also those that fell due while the server was down."""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette

from agora.ballots.voting import close_overdue

log = logging.getLogger("agora.scheduler")
INTERVAL_SECONDS = 5.0


async def close_due_votes() -> int:
    """Close every vote whose closing time has passed; returns how many were closed."""
    return await close_overdue()


async def _loop() -> None:
    while True:
        try:
            await close_due_votes()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 — retried at the next tick
            log.exception("closing due votes failed")
        await asyncio.sleep(INTERVAL_SECONDS)


async def start_scheduler(app: Starlette) -> asyncio.Task[None]:
    await close_due_votes()  # overdue at start-up: closed before the first request
    return asyncio.create_task(_loop())

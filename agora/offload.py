"""Worker processes for the CPU-bound work the event loop must not do, and their end with the app.

A roll of 20,000 rows takes seconds of CPU to parse and check (`agora.rooms.roll_import`): in a
thread it would hold the interpreter's lock for most of them. A `WorkerPool` is spawned (no copy of
the server's sockets, threads or database connections) on first use, its processes follow the server
process that started them (they exit when it is gone, however it ended), and a pool whose worker died
is replaced on the next use. The ballots' sealing worker (`agora.ballots.sealer`) talks over a pipe
instead and registers its own stop. `stop_all`, at the app's shutdown, ends them all.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.util
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("agora.offload")

PARENT_CHECK_SECONDS = 0.5
_stops: list[Callable[[], Awaitable[None] | None]] = []


def on_stop(stop: Callable[[], Awaitable[None] | None]) -> None:
    """Call (and await, if it is a coroutine function) `stop` at the app's shutdown (`stop_all`)."""
    _stops.append(stop)


async def stop_all() -> None:
    """End every worker process now (the app's shutdown). uvicorn's workers end by raising the signal
    they were stopped with once the app has shut down, so no exit hook of theirs runs after it."""
    for stop in _stops:
        done = stop()
        if done is not None:
            await done


class WorkerPool:
    """A named pool of `workers` processes, started when first used and kept until the app stops."""

    def __init__(self, name: str, workers: int) -> None:
        self.name = name
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        on_stop(self.stop)

    @property
    def started(self) -> bool:
        return self._executor is not None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent,
                initargs=(os.getpid(),),
            )
            # A server that is itself a multiprocessing child (`agora serve --workers N`) joins its
            # child processes at exit, before the executor's own exit hook would stop the workers:
            # end them first.
            multiprocessing.util.Finalize(self._executor, _end, args=(self._executor,), exitpriority=100)
        return self._executor

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        """`func(*args)` in a worker process (both picklable); a dead worker's pool is dropped and
        `BrokenProcessPool` raised, so the next call starts a new one."""
        try:
            return await asyncio.wrap_future(self.executor().submit(func, *args))
        except BrokenProcessPool:
            self._executor = None
            log.warning("agora: the %s worker process stopped; the next job starts a new one", self.name)
            raise

    def stop(self) -> None:
        if self._executor is not None:
            _end(self._executor)
            self._executor = None


def _end(executor: ProcessPoolExecutor) -> None:
    for process in list((executor._processes or {}).values()):  # type: ignore[attr-defined]
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def _follow_parent(parent: int) -> None:
    """In the worker process: exit when the server process that started it is gone, however it ended
    (killed, out of memory), instead of waiting for work for ever as an orphan."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="agora-follow-parent", daemon=True).start()

"""Worker processes for the CPU-bound work the event loop must not do: parsing a big roll
(`agora.rooms.roll_import`), sealing secret ballots (`agora.ballots.secrecy`).

A thread would not do: the work holds the interpreter's lock, or (libsodium's calls) releases it dozens
of times a ballot and waits for the event loop's thread to hand it back each time, so a busy server
spends more on the hand-overs than on the work. A `WorkerPool` is spawned (no copy of the server's
sockets, threads or database connections) on first use, its processes follow the server process that
started them (they exit when it is gone, however it ended), the app's shutdown stops them, and a pool
whose worker died is replaced on the next use.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.util
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

PARENT_CHECK_SECONDS = 0.5
_pools: list[WorkerPool] = []


def stop_all() -> None:
    """End every pool's worker processes now (the app's shutdown)."""
    for pool in _pools:
        pool.stop()


class WorkerPool:
    """A named pool of `workers` processes, started when first used and kept until `stop`.

    `run` sends every call to the workers (and waits for them to start). `run_when_busy` is for
    work short enough to do in the caller's thread: it does so for the first `start_after` calls
    since the pool was last stopped, then starts the workers and sends the calls to them once they
    have answered, so that a server which does little of it never starts a process for it."""

    def __init__(self, name: str, workers: int, *, start_after: int = 0) -> None:
        self.name = name
        self.workers = workers
        self.start_after = start_after
        self._executor: ProcessPoolExecutor | None = None
        self._calls = 0
        self._ready = False
        _pools.append(self)

    @property
    def started(self) -> bool:
        return self._executor is not None

    @property
    def ready(self) -> bool:
        """The workers have answered: a call goes to them without waiting for a start."""
        return self._ready and self._executor is not None

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
            raise

    async def run_when_busy(self, func: Callable[..., Any], *args: Any) -> Any:
        """`func(*args)` in a worker process once the pool is ready, in the caller's thread before
        (and if a worker died: the pool is started again after `start_after` more calls)."""
        if self.ready:
            try:
                return await self.run(func, *args)
            except BrokenProcessPool:
                self._ready, self._calls = False, 0
        else:
            self._calls += 1
            if self._calls > self.start_after and self._executor is None:
                self.warm()
        return func(*args)

    def warm(self) -> None:
        """Start the worker processes now (each takes about a second to start), not on first use."""
        executor = self.executor()
        for _worker in range(self.workers):
            executor.submit(os.getpid).add_done_callback(self._answered)

    def _answered(self, done: Future[int]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._ready = True

    def stop(self) -> None:
        """End the worker processes now (the app's shutdown). uvicorn's workers end by raising the signal
        they were stopped with once the app has shut down, so no exit hook of theirs runs after it."""
        self._calls, self._ready = 0, False
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

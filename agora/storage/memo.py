"""A small per-process cache of what is read from rows that never change once saved (a frozen roll's
index), loaded once per key however many requests ask at the same moment.

The moment a vote opens, every phone of the compound asks for the same new frozen roll at once: with
a plain dictionary each of them would miss, read the roll and decode it (64 concurrent ballots, 64
copies of a 1,500-unit roll decoded on the event loop: seconds of queueing for the last ballot). Here
the first request loads and the others wait for its value; if that load fails or is cancelled, each
waiter loads for itself (the error, if it persists, is its own).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OnceCache(Generic[K, V]):
    """At most `size` values, least recently used dropped first; one load in flight per key and loop."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._loading: dict[K, asyncio.Future[object]] = {}

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        self._values.clear()

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The value for `key`, loaded by `load()` unless cached or being loaded by another request."""
        loop = asyncio.get_running_loop()
        while True:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            pending = self._loading.get(key)
            if pending is None or pending.get_loop() is not loop:
                break
            # shield: a waiter cancelled (its client gone) must not cancel the load the others wait on.
            # Then look again: the value is stored, or the load failed and this waiter loads itself.
            await asyncio.shield(pending)
        future: asyncio.Future[object] = loop.create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException:
            future.set_result(False)
            raise
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
        self._values[key] = value
        while len(self._values) > self.size:
            self._values.popitem(last=False)
        if not future.done():
            future.set_result(True)
        return value

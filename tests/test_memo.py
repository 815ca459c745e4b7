"""agora.storage.memo.OnceCache: one load per key however many ask at once (the moment a vote opens)."""

from __future__ import annotations

import asyncio

import pytest

from agora.storage.memo import OnceCache


async def test_concurrent_misses_share_one_load() -> None:
    cache: OnceCache[str, int] = OnceCache(4)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)  # the read of the frozen roll, during which the others arrive
        return 42

    values = await asyncio.gather(*(cache.get("roll", load) for _ in range(64)))
    assert values == [42] * 64
    assert loads == 1
    assert await cache.get("roll", load) == 42
    assert loads == 1


async def test_a_failed_load_is_retried_by_each_waiter() -> None:
    cache: OnceCache[str, int] = OnceCache(4)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise RuntimeError("the first read failed")
        return calls

    results = await asyncio.gather(*(cache.get("k", load) for _ in range(5)), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == [2, 2, 2, 2]  # the first waiter loads again, the others share its load
    assert calls == 2


async def test_a_cancelled_loader_does_not_strand_its_waiters() -> None:
    cache: OnceCache[str, str] = OnceCache(4)
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(10)
        return "never"

    async def fast() -> str:
        return "loaded"

    loader = asyncio.create_task(cache.get("k", slow))
    await started.wait()
    waiter = asyncio.create_task(cache.get("k", fast))
    await asyncio.sleep(0)
    loader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loader
    assert await asyncio.wait_for(waiter, 1) == "loaded"


async def test_least_recently_used_goes_first() -> None:
    cache: OnceCache[int, int] = OnceCache(2)

    async def value(n: int) -> int:
        return n

    for key in (1, 2, 1, 3):  # 2 is the least recently used when 3 comes
        await cache.get(key, lambda key=key: value(key))
    assert len(cache) == 2
    assert await cache.get(2, lambda: value(-2)) == -2

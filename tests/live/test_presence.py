"""How many are in the hall now: counted per hall, across processes, and forgotten when a process dies."""

from __future__ import annotations

import asyncio
import contextlib
import math

from agora.live import hub as live_hub
from agora.live.hub import PRESENCE_HEARTBEAT, TICK, current_hub
from tests.live.factories import collect, compound, member, next_of, open_socket, presence_reaches


async def test_presence_follows_joins_and_leaves_per_hall(server) -> None:  # type: ignore[no-untyped-def]
    sunny = await compound("sunny")
    moon = await compound("moon")
    a = await member("aaaa", sunny)
    b = await member("bbbb", sunny)
    c = await member("cccc", moon)
    async with open_socket(server, "sunny", a) as first, open_socket(server, "moon", c) as elsewhere:
        assert (await next_of(first, "presence"))["count"] == 1
        assert (await next_of(elsewhere, "presence"))["count"] == 1
        async with open_socket(server, "sunny", b) as second:
            assert (await next_of(second, "presence"))["count"] == 2
            await presence_reaches(first, 2)
        await presence_reaches(first, 1)
        # The other hall never heard about any of it.
        try:
            message = await next_of(elsewhere, "presence", timeout=0.8)
        except TimeoutError:
            message = {"count": 1}
        assert message["count"] == 1


async def test_a_silent_process_is_forgotten(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    hub = current_hub()
    assert hub is not None
    async with open_socket(server, "sunny", headers) as ws:
        await presence_reaches(ws, 1)
        # Another process says it has 3 clients here...
        await hub.deliver(
            {"kind": "presence", "hall": hall.id, "process": "ghost-1", "count": 3, "ask": False}
        )
        await presence_reaches(ws, 4)
        # ...then dies without a word: after three missed heartbeats its clients are no longer counted.
        hub._heartbeat(asyncio.get_running_loop().time() + 3 * PRESENCE_HEARTBEAT + 1)
        await presence_reaches(ws, 1)


async def test_a_process_asked_about_a_hall_answers(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    hub = current_hub()
    assert hub is not None
    heard: list[dict] = []  # type: ignore[type-arg]
    publish = hub.broker.publish

    async def spy(envelope):  # type: ignore[no-untyped-def]
        heard.append(envelope)
        await publish(envelope)

    hub.broker.publish = spy  # type: ignore[method-assign]
    try:
        async with open_socket(server, "sunny", headers) as ws:
            await presence_reaches(ws, 1)
            await asyncio.sleep(0.5)
            heard.clear()
            # A new process's first client joins the hall: it asks, and this process answers.
            await hub.deliver(
                {"kind": "presence", "hall": hall.id, "process": "new-1", "count": 1, "ask": True}
            )
            await presence_reaches(ws, 2)
            await asyncio.sleep(0.5)
            answers = [e for e in heard if e.get("kind") == "presence" and e["process"] == hub.process_id]
            assert answers and answers[0]["count"] == 1 and answers[0]["hall"] == hall.id
    finally:
        hub.broker.publish = publish  # type: ignore[method-assign]


async def _presence_counts(ws, quiet: float) -> list[int]:  # type: ignore[no-untyped-def]
    return [m["count"] for m in await collect(ws, "presence", quiet=quiet)]


async def test_a_burst_of_joins_sends_few_presence_updates_and_the_right_count(server) -> None:  # type: ignore[no-untyped-def]
    """50 members join at once: each hears its own count on joining, then at most one update per
    tick, not one per join; once the burst is over every one of them knows that 50 are here."""
    hall = await compound("sunny")
    headers = [await member(f"m{n:03d}", hall) for n in range(50)]
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        started = loop.time()
        sockets = await asyncio.gather(
            *(stack.enter_async_context(open_socket(server, "sunny", h)) for h in headers)
        )
        burst = loop.time() - started
        heard = await asyncio.gather(*(_presence_counts(ws, quiet=1.0) for ws in sockets))
    assert all(counts and counts[-1] == 50 for counts in heard), [c[-1:] for c in heard]
    # One on joining, then one per tick while the count kept changing (and one after it settled).
    bound = 1 + math.ceil(burst / TICK) + 2
    assert max(len(counts) for counts in heard) <= min(bound, 25), (burst, [len(c) for c in heard])
    for counts in heard:
        assert counts == sorted(counts)  # joins only: a count never goes back


async def test_a_big_hall_hears_presence_less_often_but_eventually(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Presence messages to a hall cost one send per member: a big hall gets them at most every
    members / PRESENCE_SENDS_PER_SECOND seconds (here 20 members / 10 per second = 2 s)."""
    monkeypatch.setattr(live_hub, "PRESENCE_SENDS_PER_SECOND", 10)
    assert live_hub.presence_interval(20) == 2.0
    hall = await compound("sunny")
    headers = [await member(f"m{n:03d}", hall) for n in range(20)]
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(open_socket(server, "sunny", headers[0]))
        assert (await next_of(first, "presence"))["count"] == 1
        arrivals: list[tuple[float, int]] = []

        async def watch() -> None:
            while True:
                message = await next_of(first, "presence", timeout=30)
                arrivals.append((loop.time(), message["count"]))

        watcher = asyncio.create_task(watch())
        try:
            others = []
            for h in headers[1:]:  # joins spread over ~4 s: the count changes at every tick
                others.append(await stack.enter_async_context(open_socket(server, "sunny", h)))
                await asyncio.sleep(0.2)
            deadline = loop.time() + live_hub.PRESENCE_MAX_INTERVAL + 3
            while not (arrivals and arrivals[-1][1] == 20) and loop.time() < deadline:
                await asyncio.sleep(0.1)
            assert arrivals and arrivals[-1][1] == 20, arrivals
            # After an update to c members, the next one waits presence_interval(c) (c/10 s here),
            # less half a tick of scheduling slack, less some delivery jitter.
            for (sent_at, count), (next_at, _) in zip(arrivals, arrivals[1:], strict=False):
                wait = live_hub.presence_interval(count) - TICK / 2 - 0.25
                assert next_at - sent_at >= wait, (count, next_at - sent_at, arrivals)
            assert sum(1 for _at, count in arrivals if count >= 10) <= 4, arrivals  # 10…20: ≥ 1 s apart
            # Members leaving are counted out just as well.
            for ws in others[9:]:  # 10 of the 20 leave
                await ws.close()
            deadline = loop.time() + live_hub.PRESENCE_MAX_INTERVAL + 3
            while arrivals[-1][1] != 10 and loop.time() < deadline:
                await asyncio.sleep(0.1)
            assert arrivals[-1][1] == 10, arrivals
        finally:
            watcher.cancel()

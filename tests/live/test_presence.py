"""How many are in the hall now: counted per hall, across processes, and forgotten when a process dies."""

from __future__ import annotations

import asyncio

from agora.live.hub import PRESENCE_HEARTBEAT, current_hub
from tests.live.factories import compound, member, next_of, open_socket, presence_reaches


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

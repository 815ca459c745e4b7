"""Events reach the hall after commit, exactly once, in order, and a reconnecting client catches up."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from agora.live import hub as live_hub
from agora.live import services as live_services
from agora.live.events import atomic, emit
from agora.live.models import LiveEvent
from tests.live.factories import collect, compound, member, next_of, open_socket, receive


async def test_an_event_committed_is_delivered_once_with_its_seq(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        async with atomic():
            event = await emit(hall.id, "comment.created", {"comment": 7, "body": "<script>x</script>"})
            assert not (await collect(ws, "comment.created", quiet=0.3))  # nothing before commit
        row = await LiveEvent.get(id=event.seq)
        assert (row.hall_id, row.type) == (hall.id, "comment.created")
        received = await collect(ws, "comment.created")
        assert received == [
            {
                "type": "comment.created",
                "seq": event.seq,
                "hall": hall.id,
                "comment": 7,
                "body": "<script>x</script>",
            }
        ]


async def test_an_event_in_a_rolled_back_transaction_is_never_delivered_nor_stored(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        with pytest.raises(ValueError):
            async with atomic():
                await emit(hall.id, "comment.created", {"comment": 1})
                raise ValueError("the use case failed after emitting")
        assert await collect(ws, "comment.created") == []
        assert await LiveEvent.filter(hall_id=hall.id).count() == 0


async def test_a_nested_block_that_rolls_back_drops_only_its_own_events(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        async with atomic():
            kept = await emit(hall.id, "comment.created", {"comment": 1})
            try:
                async with atomic():
                    await emit(hall.id, "comment.created", {"comment": 2})
                    raise ValueError("inner step refused")
            except ValueError:
                pass
            inner_ok = await emit(hall.id, "comment.hidden", {"comment": 1})
        received = [m for m in await collect(ws, None) if m["type"] != "presence"]
        assert [(m["type"], m["seq"], m["comment"]) for m in received] == [
            ("comment.created", kept.seq, 1),
            ("comment.hidden", inner_ok.seq, 1),
        ]
        seqs = sorted(await LiveEvent.filter(hall_id=hall.id).values_list("id", flat=True))
        assert seqs == [kept.seq, inner_ok.seq]


async def test_events_arrive_in_commit_order_and_only_in_their_hall(server) -> None:  # type: ignore[no-untyped-def]
    sunny = await compound("sunny")
    moon = await compound("moon")
    headers = await member("wang", sunny)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        sent = []
        for n in range(20):
            async with atomic():
                sent.append((await emit(sunny.id, "comment.created", {"n": n})).seq)
                await emit(moon.id, "comment.created", {"n": -1})
        received = await collect(ws, "comment.created")
        assert [m["seq"] for m in received] == sent
        assert [m["n"] for m in received] == list(range(20))


async def test_emit_refuses_a_plain_transaction(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    with pytest.raises(RuntimeError, match="atomic"):
        async with in_transaction():
            await emit(hall.id, "comment.created", {})


async def test_reconnecting_with_since_replays_exactly_what_was_missed(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    other = await compound("moon")
    headers = await member("wang", hall)
    seqs = []
    for n in range(6):
        async with atomic():
            seqs.append((await emit(hall.id, "comment.created", {"n": n})).seq)
            await emit(other.id, "comment.created", {"n": -1})
    async with open_socket(server, "sunny", headers, since=seqs[2]) as ws:
        replay = await collect(ws, "comment.created")
    assert [(m["seq"], m["n"]) for m in replay] == [(s, n) for n, s in enumerate(seqs)][3:]
    async with open_socket(server, "sunny", headers, since=seqs[-1]) as ws:
        assert await collect(ws, "comment.created") == []


async def test_too_much_missed_means_reload(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(live_services, "CATCH_UP_LIMIT", 3)
    hall = await compound("sunny")
    headers = await member("wang", hall)
    for n in range(5):
        async with atomic():
            await emit(hall.id, "comment.created", {"n": n})
    async with open_socket(server, "sunny", headers, since=0) as ws:
        assert await next_of(ws, "reload") == {"type": "reload", "seq": None, "hall": hall.id}
        async with atomic():  # the connection stays live
            latest = await emit(hall.id, "comment.created", {"n": 5})
        assert (await next_of(ws, "comment.created"))["seq"] == latest.seq
    async with open_socket(server, "sunny", headers, since=1) as ws:  # 4 missed > 3
        await next_of(ws, "reload")
    async with open_socket(server, "sunny", headers, since=3) as ws:  # 3 missed: replayed
        assert [m["n"] for m in await collect(ws, "comment.created")] == [3, 4, 5]


async def test_events_during_catch_up_are_neither_lost_nor_doubled(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with atomic():
        first = await emit(hall.id, "comment.created", {"n": -1})
    done = asyncio.Event()
    emitted: list[int] = []

    async def keep_emitting() -> None:
        for n in range(60):
            async with atomic():
                emitted.append((await emit(hall.id, "comment.created", {"n": n})).seq)
            await asyncio.sleep(0.002)
        done.set()

    emitter = asyncio.create_task(keep_emitting())
    await asyncio.sleep(0.03)
    async with open_socket(server, "sunny", headers, since=first.seq) as ws:
        await done.wait()
        await emitter
        received = [m["seq"] for m in await collect(ws, "comment.created")]
    assert received == emitted  # every one, once, in order


async def test_browsers_get_html_rendered_once_per_language(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    calls: list[str] = []

    def render(env, message):  # type: ignore[no-untyped-def]
        from agora import i18n

        calls.append(i18n.get_locale())
        return env.from_string('<p id="c{{ m.comment }}" hx-swap-oob="true">{{ m.body }}</p>').render(
            m=message
        )

    live_hub.register_renderer("test.rendered", render)
    try:
        async with (
            open_socket(server, "sunny", headers, format=None, lang="en") as en1,
            open_socket(server, "sunny", headers, format=None, lang="en") as en2,
            open_socket(server, "sunny", headers, format=None, lang="zh-CN") as zh,
            open_socket(server, "sunny", headers) as js,
        ):
            for ws in (en1, en2, zh):
                assert 'id="presence"' in await asyncio.wait_for(ws.recv(), 3)
            await next_of(js, "presence")
            await asyncio.sleep(0.4)
            async with atomic():
                event = await emit(
                    hall.id, "test.rendered", {"comment": 3, "body": "<script>alert(1)</script>"}
                )
            html = []
            for ws in (en1, en2, zh):
                text = ""
                while "c3" not in text:
                    text = await asyncio.wait_for(ws.recv(), 3)
                html.append(text)
            assert (await next_of(js, "test.rendered"))["seq"] == event.seq
        assert sorted(calls) == ["en", "zh_CN"]  # once per language, not once per socket
        assert html[0] == html[1]
        assert "<script>" not in html[0] and "&lt;script&gt;" in html[0]
        assert f'data-seq="{event.seq}"' in html[0]
    finally:
        live_hub._renderers.pop("test.rendered", None)


async def test_presence_html_is_in_the_readers_language(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers, format=None, lang="en") as en:
        assert "1 here now" in await asyncio.wait_for(en.recv(), 3)
    async with open_socket(server, "sunny", headers, format=None, lang="zh-CN") as zh:
        text = await asyncio.wait_for(zh.recv(), 3)
        assert 'id="presence"' in text and "here now" not in text


async def test_a_json_client_may_ping(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        await ws.send('{"type": "ping"}')
        assert await receive(ws) == {"type": "pong", "seq": None}

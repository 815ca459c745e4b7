"""static/app.js in a real browser: the page's socket asks for what it missed, and gets it, once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader
from starlette.requests import Request
from starlette.routing import Route

from agora.live import hub as live_hub
from agora.live.connection import CLOSE_RESYNC, CLOSE_REVOKED
from agora.live.events import atomic, emit
from agora.live.services import latest_seq
from agora.rooms.models import MemberRole
from agora.web.templating import render
from tests.browser.conftest import browser, phone_factory, settings  # noqa: F401 — fixtures
from tests.live.factories import compound
from tests.support import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser

# A page composed by the test (not a route of agora): a hall's live feed, as feature pages include it.
PAGE = """{% extends "base.html" %}{% block content %}
<section hx-ext="ws" ws-connect="/ws/halls/{{ slug }}">
{% include "live/_status.html" %}
<ol id="feed"></ol>
</section>{% endblock %}"""


def note(env: Any, message: dict[str, Any]) -> str:
    return env.from_string('<div hx-swap-oob="beforeend:#feed"><li>{{ m.text }}</li></div>').render(m=message)


async def feed(page: Any) -> list[str]:
    return await page.eval_on_selector_all("#feed li", "els => els.map(e => e.textContent)")


async def wait_for_feed(page: Any, expected: list[str], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await feed(page) != expected:
        assert loop.time() < deadline, f"feed is {await feed(page)}, expected {expected}"
        await asyncio.sleep(0.1)


def clients_of(hall_id: int) -> list[Any]:
    hub = live_hub.current_hub()
    assert hub is not None
    return list(hub.halls.get(hall_id, ()))


async def test_a_page_catches_up_after_being_dropped(server, phone_factory) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    hall = await compound("sunny")
    user = await make_user("wangwu")
    await MemberRole.create(user=user, hall=hall, role="member")
    env = server.app.state.templates
    env.loader = ChoiceLoader([DictLoader({"test_live_page.html": PAGE}), env.loader])

    async def page_view(request: Request):  # type: ignore[no-untyped-def]
        return render(
            request, "test_live_page.html", {"slug": "sunny", "live_seq": await latest_seq(hall.id)}
        )

    server.app.router.routes.insert(0, Route("/test-live-page", page_view))
    live_hub.register_renderer("test.note", note)
    try:
        async with atomic():
            before = await emit(hall.id, "test.note", {"text": "before the page"})
        phone = await phone_factory()
        urls: list[str] = []
        phone.page.on("websocket", lambda ws: urls.append(ws.url))
        await phone.sign_in("wangwu", TEST_PASSWORD)
        await phone.goto("/test-live-page")
        # A locator, not wait_for_function: that polls by eval in the page, which the CSP refuses.
        await phone.page.locator("#presence").filter(has_text=re.compile(r"\S")).wait_for()
        assert urls and urls[0].endswith(
            f"since={before.seq}"
        )  # even the first socket asks from the page's seq

        async with atomic():
            first = await emit(hall.id, "test.note", {"text": "one"})
        await wait_for_feed(phone.page, ["one"])

        # The server drops the page (as if it fell behind); two events happen while it is away.
        for client in clients_of(hall.id):
            client.stop(CLOSE_RESYNC)
        async with atomic():
            await emit(hall.id, "test.note", {"text": "two"})
            await emit(hall.id, "test.note", {"text": "three"})
        await wait_for_feed(phone.page, ["one", "two", "three"])  # replayed, once each, in order
        assert len(urls) == 2 and urls[1].endswith(f"since={first.seq}")
        async with atomic():
            await emit(hall.id, "test.note", {"text": "four"})
        await wait_for_feed(phone.page, ["one", "two", "three", "four"])
        assert phone.csp_violations() == []

        # Removed from the hall: the page reloads (and would now show what the server says).
        async with phone.page.expect_navigation(timeout=10000):
            for client in clients_of(hall.id):
                client.stop(CLOSE_REVOKED)
    finally:
        live_hub._renderers.pop("test.note", None)

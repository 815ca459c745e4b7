"""Page weight on a cheap phone's data plan: a proposal with 100 comments is < 100 KB on first load
(HTML and every static asset, gzip, measured in compressed bytes over the wire), and a repeat
visit fetches no static file at all (content-hashed URLs with `Cache-Control: immutable`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from agora import clock
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, settings  # noqa: F401 — fixture
from tests.browser.world import HALL, PASSWORD, World, seed_rooms_only
from tests.support import csrf_from

BUDGET = 100 * 1024
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


async def proposal_with_100_comments(server: Any) -> int:
    await seed_rooms_only()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        world = World(client=api, lang="zh")
        pid = await world.propose("owner1", "talk", matter="consultation")
        await world.move("talk", "consultation")
        parents: list[int] = []
        for n in range(100):
            login = f"owner{n % 6 + 1}"
            body = f"第{n + 1}条意见：东门照明确实需要改造，晚上老人回家看不清台阶，建议尽快施工。"
            parent = parents[n // 3] if n % 3 and parents else None
            data = {"body": body, "stance": ("support", "oppose", "question", "neutral")[n % 4]}
            if parent:
                data["parent"] = parent
            clock.travel(timedelta(seconds=61))  # the comment throttle
            created = await world.call(login, "POST", f"/api/v1/proposals/{pid}/comments", 201, json=data)
            parents.append(created["id"])
    return pid


async def raw_size(client: httpx.AsyncClient, url: str) -> tuple[int, httpx.Response]:
    async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return len(raw), response


async def test_first_load_is_under_100_kb_compressed(server: Any) -> None:
    pid = await proposal_with_100_comments(server)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, follow_redirects=True) as client:
        page = await client.get("/login")
        await client.post(
            "/login", data={"login": "owner2", "password": PASSWORD, "csrf_token": csrf_from(page.text)}
        )
        size, response = await raw_size(client, f"/proposals/{pid}")
        assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"
        html = (await client.get(f"/proposals/{pid}")).text
        assert html.count('class="comment') >= 100
        total, sizes = size, {"html": size}
        assets = sorted(set(STATIC.findall(html)))
        # The stylesheet is written into the page (one round trip less on Slow 3G): the HTML's size
        # counts it; the scripts are content-hashed files.
        assert "<style>" in html and ".comment" in html.split("<style>", 1)[1].split("</style>", 1)[0]
        assert any(a.endswith(".js") for a in assets)
        for asset in assets:
            asset_size, asset_response = await raw_size(client, asset)
            assert asset_response.status_code == 200, asset
            assert re.match(r"/static/[0-9a-f]{12}/", asset), f"{asset} is not content-hashed"
            assert "immutable" in asset_response.headers["cache-control"], asset
            assert asset_response.headers.get("content-encoding") == "gzip", f"{asset} is not compressed"
            sizes[asset] = asset_size
            total += asset_size
    assert total < BUDGET, f"first load {total} bytes compressed: {sizes}"


@pytest.mark.browser
async def test_repeat_visit_fetches_no_static_file(server: Any) -> None:
    from playwright.async_api import async_playwright

    pid = await proposal_with_100_comments(server)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
            page = await context.new_page()
            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.enable")
            events: list[dict[str, Any]] = []
            cdp.on("Network.responseReceived", lambda e: events.append(e))
            cdp.on("Network.requestServedFromCache", lambda e: events.append({"cached": e["requestId"]}))
            wire: dict[str, int] = {}
            cdp.on(
                "Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"])
            )

            await page.goto(server.url + "/login")
            await page.fill("#login", "owner2")
            await page.fill("#password", PASSWORD)
            async with page.expect_navigation():
                await page.click("button[type=submit].primary")
            events.clear()
            wire.clear()
            await page.goto(f"{server.url}/proposals/{pid}")
            await page.wait_for_load_state("load")
            first = [e for e in events if "response" in e]
            first_bytes = sum(wire.get(e["requestId"], 0) for e in first)
            assert first_bytes < BUDGET, f"first load {first_bytes} bytes over the wire"

            events.clear()
            await page.goto(f"{server.url}/halls/{HALL}")
            await page.goto(f"{server.url}/proposals/{pid}")
            await page.wait_for_load_state("load")
            static = [e for e in events if "response" in e and "/static/" in e["response"]["url"]]
            from_network = [
                e["response"]["url"]
                for e in static
                if not (e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache"))
            ]
            assert not from_network, f"fetched again: {from_network}"
        finally:
            await browser.close()

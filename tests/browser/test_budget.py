"""The phone budget of issue #18, measured in Chromium on every page kind of the seeded world:

- no sideways scrolling at 320 px (the narrowest phones), in Chinese and English, normal and large text;
- each page under 100 KB on first load (HTML and every asset it fetches, bytes over the wire, gzip);
- first paint under 3 s on Slow 3G (DevTools' preset: 2 s latency, 400 kbit/s) with 4× CPU throttling,
  emulated through the DevTools protocol (Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.kinds import page_kinds
from tests.browser.world import HALL, PASSWORD, World, seed_world

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 700}
BUDGET_BYTES = 100 * 1024
FIRST_PAINT_MS = 3000
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}


# The first contentful paint of this page (it may be reported just after the load event).
FCP_JS = """() => new Promise((resolve) => {
  const seen = (list) => list.find((e) => e.name === 'first-contentful-paint');
  const now = seen(performance.getEntriesByType('paint'));
  if (now) return resolve(now.startTime);
  new PerformanceObserver((l) => { const e = seen(l.getEntries()); if (e) resolve(e.startTime); })
    .observe({type: 'paint', buffered: true});
  setTimeout(() => resolve(null), 15000);
})"""


@pytest.fixture
async def world(server: Any) -> World:  # type: ignore[misc]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        return await seed_world(server, client, lang="zh")


async def signed_in(browser: Any, server: Any, login: str, **context: Any) -> Any:
    ctx = await browser.new_context(is_mobile=True, device_scale_factor=2, **context)
    page = await ctx.new_page()
    await page.goto(server.url + "/login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("button[type=submit].primary")
    return ctx, page


WIDE_JS = """(vw) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > vw + 1).slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 30)}" `
    + `${Math.round(e.getBoundingClientRect().left)}-${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_no_page_scrolls_sideways_at_320_px(world: World, browser: Any, server: Any, lang: str) -> None:
    wide: dict[str, Any] = {}
    for login, paths in page_kinds(world).items():
        ctx, page = await signed_in(browser, server, login, viewport=NARROW, locale=lang)
        try:
            host = server.url.split("//", 1)[1].split(":")[0]
            for large in (False, True):
                cookies = [{"name": "agora_lang", "value": "en" if lang == "en" else "zh_CN", "domain": host,
                            "path": "/"}]  # fmt: skip
                if large:
                    cookies.append({"name": "agora_text", "value": "large", "domain": host, "path": "/"})
                await ctx.add_cookies(cookies)
                for path in paths:
                    response = await page.goto(server.url + path)
                    assert response is not None and response.status == 200, (login, path, response.status)
                    if large:
                        size = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
                        assert size == "22px", (path, size)
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    if width > NARROW["width"]:
                        key = f"{login} {path}{' (large text)' if large else ''}"
                        wide[key] = (width, await page.evaluate(WIDE_JS, NARROW["width"]))
        finally:
            await ctx.close()
    assert not wide, wide


def record_size(sizes: dict[str, float]) -> Any:
    """Bytes over the wire per request (headers and the gzip body), as DevTools counts them."""
    return lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"])


async def test_every_page_is_under_100_kb_on_first_load(world: World, browser: Any, server: Any) -> None:
    heavy: dict[str, int] = {}
    for login, paths in page_kinds(world).items():
        for path in paths:
            # A fresh context per page: nothing cached, the page and everything it fetches counts.
            ctx, page = await signed_in(browser, server, login, viewport={"width": 360, "height": 800})
            try:
                cdp = await ctx.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.clearBrowserCache")
                sizes: dict[str, float] = {}
                cdp.on("Network.loadingFinished", record_size(sizes))
                await page.goto(server.url + path, wait_until="networkidle")
                total = int(sum(sizes.values()))
                assert total > 1000, (path, total)  # the measurement saw the page
                if total > BUDGET_BYTES:
                    heavy[f"{login} {path}"] = total
            finally:
                await ctx.close()
    assert not heavy, heavy


async def test_first_paint_under_3_s_on_slow_3g(world: World, browser: Any, server: Any) -> None:
    slow: dict[str, float] = {}
    paths = [f"/halls/{HALL}", f"/proposals/{world.ids['vote']}", f"/proposals/{world.ids['vote']}/vote",
             f"/proposals/{world.ids['talk']}", f"/halls/{HALL}/concerns"]  # fmt: skip
    ctx, page = await signed_in(browser, server, "owner1", viewport={"width": 360, "height": 800})
    try:
        cdp = await ctx.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.clearBrowserCache")
        await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        for path in paths:
            await page.goto(server.url + path, wait_until="load", timeout=60_000)
            paint = await page.evaluate(FCP_JS)
            assert paint is not None, path
            if paint > FIRST_PAINT_MS:
                slow[path] = round(paint)
    finally:
        await ctx.close()
    assert not slow, slow

"""Live on the phone: the result page's turnout moves as ballots come in, with the connection dot on,
and no console error on the way (a hall's other pushes are dropped, not reported)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.world import PASSWORD, World, seed_world

pytestmark = pytest.mark.browser


@pytest.fixture
async def world(server: Any) -> World:  # type: ignore[misc]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        return await seed_world(server, client, lang="zh")


async def test_the_result_page_turnout_is_live(world: World, server: Any, phone_factory: Any) -> None:
    vote = world.ids["vote"]
    phone = await phone_factory()
    await phone.sign_in("committee", PASSWORD)
    await phone.goto(f"/proposals/{vote}/result")
    page = phone.page
    await page.locator("#live-status[data-state=open]").wait_for(state="attached")
    meter = page.locator(f"#turnout-{vote}")
    before = await meter.inner_text()
    assert "人数 0/" in before  # a secret vote's turnout moves in steps of five persons
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        world.client = client
        # owner4 has voted; owner2 and owner3 own one unit together (one person): five persons then.
        for login in ("owner1", "owner2", "owner5", "owner6"):
            await world.cast(login, "vote", "yes")
        # A comment elsewhere in the hall is pushed too; this page has no place for it.
        await world.comment("owner1", "talk", "first", "support")
    await meter.filter(has_text="人数 5/").wait_for(timeout=10_000)
    await phone.check()

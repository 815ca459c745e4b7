"""The figures' dashboard on a 360 px phone: reached from the community's hall in one tap, charts
with text alternatives and tables, no sideways scrolling, the range form and the exports."""

from __future__ import annotations

from typing import Any

import pytest

from agora.demo import DEMO_PASSWORD, seed_demo
from tests.support import TEST_PASSWORDS

pytestmark = pytest.mark.browser


async def test_the_community_dashboard_on_a_phone(server: Any, phone_factory: Any) -> None:
    await seed_demo(server.settings, TEST_PASSWORDS)
    phone = await phone_factory()
    await phone.sign_in("committee", DEMO_PASSWORD)
    await phone.goto("/halls/demo-community")
    await phone.check()
    await phone.tap("a[href='/halls/demo-community/dashboard']")
    page = phone.page
    assert await page.locator("svg[role=img]").count() >= 4
    summary = await page.locator("table.money").first.inner_text()
    assert "表决次数" in summary and "落实工程支出（元）" in summary
    children = await page.locator("#children-heading + figure + .table-scroll table").inner_text()
    assert "阳光花园" in children and "江景苑" in children
    await phone.screenshot("dashboard")
    # A range that ends before it starts is refused with a clear message, not a broken page.
    await page.fill("#range-from", "2026-12-01")
    await page.fill("#range-to", "2026-11-01")
    async with page.expect_navigation():
        await page.locator("form[action$='/dashboard'] button").click()
    assert "起始日期晚于结束日期" in await page.content()
    await phone.goto("/halls/demo-community/dashboard")
    async with page.expect_download() as download:
        await page.locator("a[href$='format=csv']").click()
    assert (await download.value).suggested_filename.endswith(".csv")

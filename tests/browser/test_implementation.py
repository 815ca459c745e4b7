"""Carrying a decision out on a 360 px phone: the committee posts updates with before and after
photos from the work's page, and a resident reading the same page sees each arrive live, with the
progress bar and the before/after pair replaced in place.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from agora.demo import DEMO_PASSWORD, seed_demo
from agora.implementation.models import Implementation
from tests.support import TEST_PASSWORDS

pytestmark = pytest.mark.browser


def photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(out, "JPEG")
    return out.getvalue()


async def test_committee_posts_before_and_after_and_a_resident_sees_it_live(
    server: Any, phone_factory: Any, tmp_path: Any
) -> None:
    await seed_demo(server.settings, TEST_PASSWORDS)
    roof = await Implementation.get(status="in_progress")
    pid = roof.proposal_id  # type: ignore[attr-defined]
    committee, resident = await phone_factory(), await phone_factory()
    for phone, login in ((committee, "committee"), (resident, "owner1")):
        await phone.sign_in(login, DEMO_PASSWORD)
        async with phone.page.expect_websocket():
            await phone.goto(f"/proposals/{pid}/implementation")
        await phone.check()
    page = resident.page
    assert await page.locator(f"#impl-progress-{pid}").get_attribute("value") == "35"
    assert await page.locator(".pair").count() == 0  # a before photo, no after photo yet
    await page.wait_for_timeout(300)  # the sockets are subscribed

    before, after = tmp_path / "before.jpg", tmp_path / "after.jpg"
    before.write_bytes(photo((120, 110, 100)))
    after.write_bytes(photo((60, 90, 130)))
    form = committee.page.locator("#update-form")
    for body, progress, spent, stage, file in (
        ("西侧屋面基层找平完成，准备铺设。", "60", "150000.00", "before", before),
        ("西侧屋面新防水层铺设完成，闭水试验通过。", "80", "230000.00", "after", after),
    ):
        await form.locator("#u-body").fill(body)
        await form.locator("#u-progress").fill(progress)
        await form.locator("#u-spent").fill(spent)
        await form.locator("#u-stage").select_option(stage)
        await form.locator("#u-photos").set_input_files(str(file))
        async with committee.page.expect_navigation():
            await form.locator("button[type=submit]").click()
        await committee.check()
        # The resident did nothing: the entry arrives at the top of the timeline within a second.
        arrived = page.locator(f"#impl-updates-{pid} > li").first
        await arrived.filter(has_text=body).wait_for(timeout=1500)
    assert await page.locator(f"#impl-progress-{pid}").get_attribute("value") == "80"
    assert "230000.00" in await page.locator(f"#impl-summary-{pid}").inner_text()
    pair = page.locator(f"#impl-summary-{pid} .pair img")
    assert await pair.count() == 2
    await resident.check()
    # A fresh load shows what the live push showed.
    live_summary = await page.locator(f"#impl-summary-{pid}").inner_html()
    await resident.goto(f"/proposals/{pid}/implementation")
    assert await page.locator(f"#impl-summary-{pid}").inner_html() == live_summary
    # The pair scrolls sideways inside itself (a swipe), never the page.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    await resident.screenshot("implementation")

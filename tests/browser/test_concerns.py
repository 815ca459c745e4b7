"""Raising a concern as a resident and triaging it as the Party branch, on 360×800 phones.

The resident starts in the hall of 阳光花园: one tap to the form, where typing the title suggests an
existing similar concern; a photo, one tap to send. The Party branch opens it from the concerns list
and triages it; the resident's page, still open, shows the new status live; the governance list shows
the item with who is on it and its due date. Every page passes `Phone.check()` (axe-core, CSP, no
sideways scroll, 44 px touch targets).
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from PIL import Image

from agora.concerns.models import Concern, ConcernPhoto
from agora.rooms.models import Hall
from tests.browser.world import HALL, PASSWORD, seed_rooms_only

pytestmark = pytest.mark.browser


def photo_file(tmp_path: Any) -> str:
    """A camera-sized photo: 3000×2000 of noise, several MB as a PNG."""
    path = tmp_path / "lamp.png"
    Image.frombytes("RGB", (3000, 2000), os.urandom(3000 * 2000 * 3)).save(
        path, format="PNG", compress_level=1
    )
    return str(path)


async def signed_in(phone_factory: Any, login: str) -> Any:
    phone = await phone_factory()
    await phone.sign_in(login, PASSWORD)
    assert "/login" not in phone.page.url, f"{login} could not sign in"
    return phone


async def test_raise_as_a_resident_and_triage_as_the_party_branch(
    server: Any, phone_factory: Any, tmp_path: Any
) -> None:
    await seed_rooms_only()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        token = await api.post("/api/v1/auth/token", json={"login": "owner2", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        earlier = await api.post(
            f"/api/v1/halls/{HALL}/concerns",
            json={"title": "地下车库的灯坏了", "body": "车库入口一排灯不亮", "category": "livelihood"},
            headers=headers,
        )
        assert earlier.status_code == 201
    earlier_id = earlier.json()["id"]

    # The resident: hall → form (one tap), a suggestion while typing, a photo, send (a second tap).
    resident = await signed_in(phone_factory, "owner4")
    page = resident.page
    await resident.goto(f"/halls/{HALL}")
    await resident.check()
    resident.taps = 0
    await resident.tap(f"a.button[href='/halls/{HALL}/concerns/new']")
    await page.locator("label.choice", has_text="诉求").click()
    await page.fill("#title", "车库灯不亮，晚上停车看不见")
    suggestion = page.locator(f"#similar a[href='/concerns/{earlier_id}']")
    await suggestion.wait_for()
    assert "地下车库的灯坏了" in await suggestion.inner_text()
    await resident.check()
    await page.fill("#body", "3号楼下的地下车库，B区一排灯坏了三天，老人停车很危险。")
    await page.select_option("#category", "livelihood")
    sunny = await Hall.get(slug=HALL)
    building = await Hall.get(kind="building", compound_id=sunny.id, label="3")
    await page.select_option("#building", building.slug)
    big = photo_file(tmp_path)
    await page.set_input_files("#photos", big)
    await resident.screenshot("concern-raise")
    sent: list[int] = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None)
    await resident.tap("form.raise button[type=submit]")
    # The phone shrank the photo before sending it (the request is a fraction of the file).
    assert sent and max(sent) < os.path.getsize(big) / 4, (sent, os.path.getsize(big))
    assert resident.taps == 2
    concern = await Concern.get(title="车库灯不亮，晚上停车看不见")
    assert page.url.endswith(f"/concerns/{concern.id}")
    assert await ConcernPhoto.filter(concern_id=concern.id).count() == 1
    badge = page.locator(f"#concern-status-{concern.id}")
    assert (await badge.inner_text()).strip() == "已收到"
    assert await page.locator("form[action$='/triage']").count() == 0  # not the resident's to do
    await page.locator("#live-status[data-state=open]").wait_for(state="attached")

    # The Party branch: the concerns list, the concern, triage.
    party = await signed_in(phone_factory, "party")
    ppage = party.page
    await party.goto(f"/halls/{HALL}/concerns?status=received")
    await party.check()
    party.taps = 0
    await party.tap(f"#concern-{concern.id} a")
    await ppage.locator("label.choice", has_text="列入治理清单").click()
    await ppage.locator("label.choice", has_text="紧急").click()
    await ppage.fill("#t-assignee", "物业 电工老李")
    await ppage.locator("#t-due").fill("2099-12-31")
    await party.screenshot("concern-triage")
    await party.tap("form[action$='/triage'] button[type=submit]")
    assert (await ppage.locator(f"#concern-status-{concern.id}").inner_text()).strip() == "已受理"

    # The resident's page, still open, shows the new status without a reload.
    await page.locator(f"#concern-status-{concern.id}", has_text="已受理").wait_for(timeout=5000)

    # The governance list: the item, who is on it and by when.
    await party.goto(f"/halls/{HALL}/governance")
    await party.check()
    row = ppage.locator(f"#concern-{concern.id}")
    text = await row.inner_text()
    assert "物业 电工老李" in text and "紧急" in text and "2099年12月31日" in text
    await party.screenshot("governance-list")
    # In progress, then resolved, from the concern's page.
    await party.goto(f"/concerns/{concern.id}")
    await ppage.select_option("#s-to", "in_progress")
    await party.tap("form[action$='/status'] button[type=submit]")
    await ppage.select_option("#s-to", "resolved")
    await ppage.fill("#s-note", "已更换 12 盏灯。")
    await party.tap("form[action$='/status'] button[type=submit]")
    assert (await Concern.get(id=concern.id)).status == "resolved"

    # The resident answers the follow-up.
    await resident.goto(f"/concerns/{concern.id}")
    await resident.check()
    await page.locator("label.choice", has_text="满意").first.click()
    await resident.tap("form[action$='/feedback'] button[type=submit]")
    assert (await Concern.get(id=concern.id)).feedback_satisfied is True

"""The residents' meeting on a 360 px phone, without JavaScript doing the work: a tenant says they are
present and votes from the proposal page, the Party branch enters a resident present in the room with
a witness and closes the meeting, and the tenant reads the decision with its rule. Every page passes
`Phone.check()`; in English (large text) no Chinese character shows outside the language switch."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.test_consent_phone import checked, phone_in
from tests.browser.world import HALL, World, seed_world

pytestmark = pytest.mark.browser

WORDS = {
    "zh": {
        "title": "社区议事：小区北门早晚开放时间",
        "body": "居民会议讨论北门开放时间，租户同样参加。",
        "witness": "居委会 王主任",
        "recorded": "已记录。",
        "voted": "您已到会并已表决。",
        "verdict": "未形成决定",
        "rule": "《城市居民委员会组织法》第九条",
    },
    "en": {
        "title": "Residents' meeting: opening hours of the north gate",
        "body": "The residents' meeting decides the north gate's hours; tenants take part too.",
        "witness": "Director Wang, residents' committee",
        "recorded": "Recorded.",
        "voted": "You are present and have voted.",
        "verdict": "No decision made",
        "rule": "Organic Law of Urban Residents' Committees, art. 9",
    },
}


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_tenant_and_party_branch_hold_a_residents_meeting_on_a_phone(
    server: Any, phone_factory: Any, lang: str
) -> None:
    words = WORDS[lang]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        world: World = await seed_world(server, client, lang=lang, votes=False)
        data = {"title": words["title"], "body": words["body"], "matter": "resident_meeting"}
        created = await world.call("party", "POST", f"/api/v1/halls/{HALL}/proposals", 201, json=data)
        pid = created["id"]
        url = f"/api/v1/proposals/{pid}/transition"
        await world.call("party", "POST", url, json={"to": "consultation"})
        await world.call("party", "POST", url, json={"to": "voting"})
        roll = (await world.call("party", "GET", f"/api/v1/proposals/{pid}/meeting"))["roll"]
    assert len(roll) >= 4

    tenant = await phone_in(phone_factory, server, lang, "tenant1")
    await tenant.goto(f"/proposals/{pid}")
    await checked(tenant, lang)
    await tenant.tap(f"a[href='/proposals/{pid}/meeting']")
    await tenant.tap("form.meeting-present button[type=submit]")
    assert words["recorded"] in await checked(tenant, lang)
    await tenant.tap("form.meeting-vote button[value=yes]")
    assert words["voted"] in await checked(tenant, lang)

    party = await phone_in(phone_factory, server, lang, "party")
    await party.goto(f"/proposals/{pid}/meeting")
    await checked(party, lang)
    await party.page.select_option("#resident", index=0)
    await party.page.check("input[name=action][value=vote]")
    await party.page.fill("#witness", words["witness"])
    await party.tap("form.meeting-enter button[type=submit]")
    assert words["recorded"] in await checked(party, lang)
    await party.goto(f"/proposals/{pid}")
    await party.tap("form.transition button[type=submit]")

    await tenant.goto(f"/proposals/{pid}/meeting")
    text = await checked(tenant, lang)
    # Two of the roll present: not more than half of it, so the meeting could not decide.
    assert words["verdict"] in text and words["rule"] in text

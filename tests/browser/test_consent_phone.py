"""The consents page on a 360 px phone (art. 279, like an elevator's occupied units): the owner
answers from the proposal page with one tap, a canvasser enters an owner's answer with a witness,
the committee reads who answered what. Every page passes `Phone.check()`; in English (large text) no
Chinese character shows outside the language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from agora import clock
from tests.browser.test_walks import CHINESE_JS
from tests.browser.world import HALL, PASSWORD, World, closes_in, seed_world

pytestmark = pytest.mark.browser


WORDS = {
    "zh": {
        "title": "1幢1-302室改为茶室",
        "body": "住改商，须经有利害关系的业主同意。",
        "witness": "网格员 小王",
        "question": "您是否同意本议题？",
        "recorded": "答复已记录。",
        "mine": "您的房屋（SG-OWNER1）：已同意",
        "count": "共 3 人：1 人同意，1 人不同意，1 人未答复。",
        "names": ("陈建国 (SG-OWNER1)", "王丽华 (SG-OWNER2)"),
    },
    "en": {
        "title": "Unit 1-302 to become a tea room",
        "body": "A home turned into a business needs every interested owner's consent.",
        "witness": "Canvasser Wang",
        "question": "Do you consent to this proposal?",
        "recorded": "The answer is recorded.",
        "mine": "Your unit (SG-OWNER1): Consented",
        "count": "1 consented, 1 refused, 1 not answered, of 3.",
        "names": ("Owner SG-OWNER1 (SG-OWNER1)", "Owner SG-OWNER2 (SG-OWNER2)"),
    },
}


async def phone_in(phone_factory: Any, server: Any, lang: str, login: str) -> Any:
    phone = await phone_factory("en" if lang == "en" else "zh-CN")
    host = server.url.split("//", 1)[1].split(":")[0]
    cookies = [
        {"name": "agora_lang", "value": "en" if lang == "en" else "zh_CN", "domain": host, "path": "/"}
    ]
    if lang == "en":
        cookies.append({"name": "agora_text", "value": "large", "domain": host, "path": "/"})
    await phone.context.add_cookies(cookies)
    await phone.sign_in(login, PASSWORD)
    return phone


async def checked(phone: Any, lang: str) -> str:
    await phone.check()
    if lang == "en":
        assert not await phone.page.evaluate(CHINESE_JS), phone.page.url
    return str(await phone.page.inner_text("main"))


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_owner_canvasser_and_committee_on_the_consents_page(
    server: Any, phone_factory: Any, lang: str
) -> None:
    words = WORDS[lang]
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        world: World = await seed_world(server, client, lang=lang, votes=False)
        data = {
            "title": words["title"],
            "body": words["body"],
            "matter": "unanimous",
            "category": "facilities",
            "options": [],
            "affected": ["SG-OWNER1", "SG-OWNER2", "SG-OWNER5"],
        }
        created = await world.call("committee", "POST", f"/api/v1/halls/{HALL}/proposals", 201, json=data)
        pid = created["id"]
        url = f"/api/v1/proposals/{pid}/transition"
        await world.call("party", "POST", url, json={"to": "consultation"})
        await world.call("party", "POST", url, json={"to": "notice", "closes_at": closes_in(16 + 30)})
        clock.travel(timedelta(days=16, hours=1))
        await world.call("party", "POST", url, json={"to": "voting"})

    owner = await phone_in(phone_factory, server, lang, "owner1")
    await owner.goto(f"/proposals/{pid}")
    await checked(owner, lang)
    await owner.tap(f"a[href='/proposals/{pid}/consents']")
    assert words["question"] in await checked(owner, lang)
    await owner.tap("form.consent-answer button[value=yes]")
    text = await checked(owner, lang)
    assert words["recorded"] in text and words["mine"] in text

    canvasser = await phone_in(phone_factory, server, lang, "canvasser")
    await canvasser.goto(f"/proposals/{pid}/consents")
    await checked(canvasser, lang)
    await canvasser.page.fill("#owner_ref", "SG-OWNER5")
    await canvasser.page.check("input[name=consent][value=no]")
    await canvasser.page.fill("#witness", words["witness"])
    await canvasser.tap("form.consent-enter button[type=submit]")
    assert words["recorded"] in await checked(canvasser, lang)

    committee = await phone_in(phone_factory, server, lang, "committee")
    await committee.goto(f"/proposals/{pid}/consents")
    text = await checked(committee, lang)
    assert words["count"] in text
    assert all(name in text for name in words["names"])

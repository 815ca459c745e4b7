"""Each role's pages on a 360 px phone, in English and in large text: a resident (owner), a canvasser,
the owners' committee and the Party branch's moderator.

Every page passes `Phone.check()` (no console error, no CSP report, no sideways scrolling, 44 px
targets, pictures with text alternatives) and axe-core finds no violation of moderate impact or
worse. In English the world is written in ASCII (tests/browser/world.py), so any Chinese character
a page shows, outside the language switch (`lang="zh-CN"`), is an untranslated string.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.browser.conftest import AXE, PHONE, Phone
from tests.browser.kinds import page_kinds
from tests.browser.world import PASSWORD, World, seed_world

pytestmark = pytest.mark.browser

IMPACTS = ("moderate", "serious", "critical")
CHINESE_JS = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('[lang="zh-CN"], script, style')) continue;
    const text = node.textContent;
    if (/[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]/.test(text)) found.push(text.trim().slice(0, 40));
  }
  return found.slice(0, 5);
}"""


async def moderate_or_worse(phone: Phone) -> list[dict[str, Any]]:
    await phone.page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await phone.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:100] for n in v["nodes"][:2]]}
        for v in result["violations"]
        if v["impact"] in IMPACTS
    ]


@pytest.mark.parametrize(("lang", "large"), [("en", False), ("en", True), ("zh-CN", True)])
async def test_each_role_walks_its_pages(server: Any, browser: Any, lang: str, large: bool) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        world: World = await seed_world(server, client, lang="en" if lang == "en" else "zh")
    problems: dict[str, Any] = {}
    host = server.url.split("//", 1)[1].split(":")[0]
    for login, paths in page_kinds(world).items():
        context = await browser.new_context(
            viewport=PHONE, locale=lang, device_scale_factor=2, is_mobile=True
        )
        try:
            cookies = [
                {
                    "name": "agora_lang",
                    "value": "en" if lang == "en" else "zh_CN",
                    "domain": host,
                    "path": "/",
                }
            ]
            if large:
                cookies.append({"name": "agora_text", "value": "large", "domain": host, "path": "/"})
            await context.add_cookies(cookies)
            phone = Phone(context, await context.new_page(), server.url)
            await phone.sign_in(login, PASSWORD)
            for path in paths:
                phone.console_errors.clear()
                response = await phone.goto(path)
                assert response is not None and response.status == 200, (login, path)
                await phone.page.wait_for_load_state("networkidle")
                key = f"{login} {path}"
                try:
                    await phone.check()
                except AssertionError as failed:
                    problems[key] = str(failed)[:600]
                    continue
                found = await moderate_or_worse(phone)
                if found:
                    problems[key] = found
                if lang == "en":
                    chinese = await phone.page.evaluate(CHINESE_JS)
                    if chinese:
                        problems[f"{key} untranslated"] = chinese
        finally:
            await context.close()
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)

"""The rooms pages: they work without JavaScript, carry CSRF tokens, and escape hostile text everywhere."""

from __future__ import annotations

import re

import httpx

from agora.audit.models import AuditEntry
from agora.rooms.models import Invite, MemberRole, Unit
from tests.rooms.factories import XSS, Row, assert_escaped, compound_with_roll, make_hall, roll_csv
from tests.support import browser_login, csrf_from, make_user

HOSTILE_ROWS = [
    Row("1", "101", "89.50", "A", XSS),
    Row("1", XSS[:40], "70.00", "B", "李四"),
    Row(XSS[:30], "101", "66.00", "C", "王五"),
]


async def _committee_browser(client: httpx.AsyncClient) -> object:
    c = await compound_with_roll(client, name="花园" + XSS[:60], text=roll_csv(HOSTILE_ROWS))
    await browser_login(client, "sunny-committee")
    return c


async def test_every_page_escapes_hostile_names_and_labels(client: httpx.AsyncClient) -> None:
    c = await _committee_browser(client)
    admin = c.admin  # type: ignore[attr-defined]
    await make_hall(client, admin, "building", "sunny-bx", "楼" + XSS[:50], "sunny", label="X")
    await make_user("evil", name=XSS[:100])
    await client.put("/api/v1/halls/sunny/members/evil/roles", json={"roles": ["canvasser"]}, headers=admin)
    pages = [
        "/halls",
        "/halls/sunny",
        "/halls/sunny-bx",
        "/halls/sunny/roll",
        "/halls/sunny/invites",
        "/halls/sunny/members",
        "/halls/sunny/rules",
        "/halls/sunshine",
    ]
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert_escaped(response.text)
        assert "&lt;script&gt;" in response.text or path in ("/halls/sunny/rules", "/halls/sunshine"), path
        assert 'name="csrf_token"' in response.text
        assert "<script>" not in re.sub(r'<script src="[^"]+" defer></script>', "", response.text), path
    # The preview page shows the hostile labels of the file escaped, as does the slips page.
    page = await client.get("/halls/sunny/roll")
    preview = await client.post(
        "/halls/sunny/roll/preview",
        data={"csrf_token": csrf_from(page.text)},
        files={
            "roll": (
                "roll.csv",
                roll_csv([*HOSTILE_ROWS, Row("2", "1", "-3", "D", XSS)]).encode(),
                "text/csv",
            )
        },
    )
    assert preview.status_code == 422
    assert_escaped(preview.text)
    slips = await client.post("/halls/sunny/invites/slips", data={"csrf_token": csrf_from(page.text)})
    assert slips.status_code == 200
    assert_escaped(slips.text)
    assert slips.text.count('<svg class="qr"') == 3  # one slip per owner without an account
    assert 'style="' not in slips.text  # the CSP forbids inline styles


async def test_roll_preview_lists_changes_and_errors_by_line(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    await browser_login(client, "sunny-committee")
    page = await client.get("/halls/sunny/roll")
    text = c.roll_text.replace("89.50", "91.00")  # A's unit grows
    text = "\n".join(line for line in text.splitlines() if ",G," not in line)  # the shop goes
    text += "\n3,1,101,66.60,I,冯九,home,owned\n"
    preview = await client.post(
        "/halls/sunny/roll/preview",
        data={"csrf_token": csrf_from(page.text)},
        files={"roll": ("roll.csv", text.encode("utf-8-sig"), "text/csv")},
    )
    assert preview.status_code == 200
    assert "1 个新增，1 个变更，1 个不再在名册中" in preview.text, preview.text[-3000:]
    assert "<td>687.55</td><td>710.65</td>" in preview.text
    assert "<td>6</td><td>6</td>" in preview.text  # persons: G leaves, I comes
    bad = text + "3,1,102,-1,J,蒋十,home,owned\n3,1,103,abc,K,沈十一,home,owned\n"
    refused = await client.post(
        "/halls/sunny/roll/preview",
        data={"csrf_token": csrf_from(page.text)},
        files={"roll": ("roll.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    lines = re.findall(r"<tr><td>(\d+)</td>", refused.text)
    assert lines == ["13", "14"], lines
    assert 'name="roll_b64"' not in refused.text  # nothing to confirm
    # Without the CSRF token nothing is accepted.
    forged = await client.post("/halls/sunny/roll", data={"roll_b64": "YQ=="})
    assert forged.status_code == 403


async def test_members_rules_and_invites_pages_post_redirect_get(client: httpx.AsyncClient) -> None:
    await _committee_browser(client)
    await make_user("helper", name="网格员小李")
    page = await client.get("/halls/sunny/members")
    token = csrf_from(page.text)
    saved = await client.post(
        "/halls/sunny/members",
        data={"csrf_token": token, "login": "helper", "roles": ["canvasser", "member"]},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/halls/sunny/members?done=1"
    assert sorted(await MemberRole.filter(user__login="helper").values_list("role", flat=True)) == [
        "canvasser",
        "member",
    ]
    listed = await client.get("/halls/sunny/members?done=1")
    assert "网格员小李" in listed.text and "已保存" in listed.text
    removed = await client.post("/halls/sunny/members", data={"csrf_token": token, "login": "helper"})
    assert removed.status_code == 303
    assert not await MemberRole.filter(user__login="helper").exists()

    rules = await client.post(
        "/halls/sunny/rules",
        data={
            "csrf_token": token,
            "notice_days": "10",
            "min_voting_days": "5",
            "max_voting_days": "60",
            "parking_counts": "true",
            "proxy_cap": "3",
            "deemed_participation": "",
        },
    )
    assert rules.status_code == 422 and 'id="notice_days-error"' in rules.text
    rules = await client.post(
        "/halls/sunny/rules",
        data={
            "csrf_token": token,
            "notice_days": "20",
            "min_voting_days": "5",
            "max_voting_days": "60",
            "parking_counts": "true",
            "proxy_cap": "2",
            "revote": "on",
            "deemed_participation": "",
        },
    )
    assert rules.status_code == 303
    stored = (await client.get("/api/v1/halls/sunny/rules")).json()
    assert stored["notice_days"] == 20 and stored["parking_counts"] is True and stored["revote"] is True

    invite = await client.post(
        "/halls/sunny/invites", data={"csrf_token": token, "role": "tenant", "max_uses": "3", "days": "7"}
    )
    assert invite.status_code == 200 and '<svg class="qr"' in invite.text
    code = re.search(r'<p class="invite-code">([A-Z0-9-]+)</p>', invite.text)
    assert code and await Invite.filter(role="tenant", max_uses=3).count() == 1
    assert "/join#code=" in invite.text
    assert await AuditEntry.filter(action="hall.rules_changed").count() >= 2


async def test_pages_refuse_those_without_the_role(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    await c.owner("A", "zhangsan")
    await browser_login(client, "zhangsan")
    hall = await client.get("/halls/sunny")
    assert hall.status_code == 200 and "张三" not in hall.text
    for path in ("/halls/sunny/roll", "/halls/sunny/members", "/halls/sunny/invites"):
        assert (await client.get(path)).status_code == 403, path
    rules = await client.get("/halls/sunny/rules")
    assert rules.status_code == 200 and '<form method="post" action="/halls/sunny/rules">' not in rules.text
    token = csrf_from(hall.text)
    assert (
        await client.post("/halls/sunny/rules", data={"csrf_token": token, "notice_days": "30"})
    ).status_code == 403
    anonymous = httpx.AsyncClient(base_url=str(client.base_url))
    async with anonymous:
        response = await anonymous.get("/halls/sunny")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_a_roll_with_chinese_headers_a_template_and_a_typed_confirmation(
    client: httpx.AsyncClient,
) -> None:
    await compound_with_roll(client)
    await browser_login(client, "sunny-committee")
    page = await client.get("/halls/sunny/roll")
    assert 'href="/halls/sunny/roll/template.csv"' in page.text
    template = await client.get("/halls/sunny/roll/template.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    header = template.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("楼栋,单元,房号,面积,业主编号,业主姓名")
    # The template itself, uploaded as it is: read with its Chinese headers, names in the preview;
    # 8 of the small roll's 10 units would leave, so the import asks for their number to be typed.
    token = csrf_from(page.text)
    preview = await client.post(
        "/halls/sunny/roll/preview",
        data={"csrf_token": token},
        files={"roll": ("模板.csv", template.content, "text/csv")},
    )
    assert preview.status_code == 200, preview.text[-2000:]
    assert "李四 (A002), 王五 (A003)" in preview.text  # names beside references
    assert "赵六 (D)" in preview.text  # a unit leaving the roll, named from the current roll
    assert 'name="confirm_removed"' in preview.text and "将有 8 户移出名册" in preview.text
    payload = re.search(r'name="roll_b64" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    untyped = await client.post("/halls/sunny/roll", data={"csrf_token": token, "roll_b64": payload})
    assert untyped.status_code == 422 and "请输入将移出名册的户数（8）" in untyped.text
    wrong = await client.post(
        "/halls/sunny/roll", data={"csrf_token": token, "roll_b64": payload, "confirm_removed": "7"}
    )
    assert wrong.status_code == 422
    assert await Unit.all().count() == 10  # nothing was imported
    typed = await client.post(
        "/halls/sunny/roll", data={"csrf_token": token, "roll_b64": payload, "confirm_removed": "8"}
    )
    assert typed.status_code == 303 and typed.headers["location"].endswith("done=3")

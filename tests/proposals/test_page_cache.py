"""The proposal page after its caches are warm: rendered comments and threads are kept per language
and content, sanitized HTML is remembered per input, stances are counted in SQL. Whatever changes a
comment (an edit, a reply, a hide, a restore, a deletion, the language) shows on the next view, and
stored HTML is never served unsanitized, however often the page is seen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from agora.proposals.models import Comment
from agora.proposals.threads import stance_summary
from tests.proposals.factories import (
    XSS_ALL,
    api,
    assert_no_xss,
    comment_box,
    create,
    make_hall,
    member,
    post_comment,
)
from tests.support import browser_login, csrf_from


@pytest.fixture
async def hall(server):  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    for login in ("wang", "lili", "zhao", "chen"):
        await member(login, sunny)
    await member("party", sunny, "moderator")
    return sunny


@asynccontextmanager
async def browser(server, login: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as http:
        await browser_login(http, login)
        yield http, csrf_from((await http.get("/inbox")).text)


async def test_every_change_to_a_comment_shows_on_the_next_view(server, hall) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as setup:
        wang, lili = await api(setup, "wang"), await api(setup, "lili")
        pid = await create(setup, wang, "sunny")
        first = await post_comment(setup, wang, pid, "第一版 **粗体**", stance="support")
        other = await post_comment(setup, lili, pid, "另一条")
    async with browser(server, "wang") as (http, token):
        for _ in range(2):  # the second view comes from the caches
            page = (await http.get(f"/proposals/{pid}")).text
            assert "第一版 <strong>粗体</strong>" in comment_box(page, first)
            assert f"/comments/{first}#history" not in comment_box(page, first)
        edited = await http.post(
            f"/comments/{first}/edit", data={"csrf_token": token, "body": f"第二版 {XSS_ALL}"}
        )
        assert edited.status_code == 303
        page = (await http.get(f"/proposals/{pid}")).text
        assert "第二版" in comment_box(page, first) and "第一版" not in comment_box(page, first)
        assert f'href="/comments/{first}#history"' in comment_box(page, first)  # the "edited" link
        assert_no_xss(page)

        async with httpx.AsyncClient(base_url=server.url) as other_client:
            reply = await post_comment(other_client, lili, pid, "回复 <b>不是粗体</b>", parent=first)
        page = (await http.get(f"/proposals/{pid}")).text
        assert f'<ul class="replies" id="replies-{first}">' in page
        thread = page[page.index(f'id="thread-{first}"') : page.index(f'id="thread-{other}"')]
        assert f'id="comment-{reply}"' in thread and "&lt;b&gt;不是粗体&lt;/b&gt;" in thread

    async with browser(server, "party") as (http, token):
        await http.get(f"/proposals/{pid}")
        hidden = await http.post(
            f"/comments/{reply}/hide", data={"csrf_token": token, "reason": "广告 <i>x</i>"}
        )
        assert hidden.status_code == 303
        page = (await http.get(f"/proposals/{pid}")).text
        shown = comment_box(page, reply)
        assert "不是粗体" not in shown and "广告 &lt;i&gt;x&lt;/i&gt;" in shown
        assert "hidden-by-mod" in comment_box(page, reply)
        restored = await http.post(f"/comments/{reply}/restore", data={"csrf_token": token, "reason": "误判"})
        assert restored.status_code == 303
        page = (await http.get(f"/proposals/{pid}")).text
        assert "hidden-by-mod" not in comment_box(page, reply) and "不是粗体" in comment_box(page, reply)

    async with browser(server, "lili") as (http, token):
        deleted = await http.post(f"/comments/{other}/delete", data={"csrf_token": token})
        assert deleted.status_code == 303
        page = (await http.get(f"/proposals/{pid}")).text
        shown = comment_box(page, other)
        assert "另一条" not in shown and 'class="comment deleted"' in shown


async def test_each_language_gets_its_own_rendering(server, hall) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as setup:
        wang = await api(setup, "wang")
        pid = await create(setup, wang, "sunny")
        cid = await post_comment(setup, wang, pid, "电梯", stance="oppose")
    async with browser(server, "wang") as (http, _token):
        chinese = comment_box((await http.get(f"/proposals/{pid}?lang=zh-CN")).text, cid)
        english = comment_box((await http.get(f"/proposals/{pid}?lang=en")).text, cid)
        assert "Reply or more" in english and "Oppose" in english
        assert "Reply or more" not in chinese and "Oppose" not in chinese
        assert comment_box((await http.get(f"/proposals/{pid}?lang=zh-CN")).text, cid) == chinese


async def test_stored_html_is_sanitized_on_every_view(server, hall) -> None:  # type: ignore[no-untyped-def]
    """HTML that reached the database without going through Markdown (an old row, a bulk import)."""
    async with httpx.AsyncClient(base_url=server.url) as setup:
        wang = await api(setup, "wang")
        pid = await create(setup, wang, "sunny")
        cid = await post_comment(setup, wang, pid, "正常")
    raw = (
        "<p>留下 <strong>这个</strong></p><script>alert(1)</script><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(1)" onclick="alert(1)">链接</a>'
        '<div hx-get="/logout" hx-trigger="load">x</div><p style="color:red" class="x">样式</p>'
    )
    await Comment.filter(id=cid).update(body_html=raw)
    async with browser(server, "wang") as (http, _token):
        for _ in range(3):
            page = (await http.get(f"/proposals/{pid}")).text
            comment = comment_box(page, cid)
            assert_no_xss(page)
            assert "留下 <strong>这个</strong>" in comment and "链接" in comment
            assert "style=" not in comment and 'class="x"' not in comment and "hx-get" not in comment
        await Comment.filter(id=cid).update(body_html=raw.replace("留下", "换了"))
        page = (await http.get(f"/proposals/{pid}")).text
        assert "换了 <strong>这个</strong>" in comment_box(page, cid)
        assert_no_xss(page)
        thread = (await http.get(f"/comments/{cid}")).text
        assert "换了 <strong>这个</strong>" in comment_box(thread, cid)
        assert_no_xss(thread)


async def test_stances_count_each_members_latest_visible_stance(server, hall) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url) as setup:
        heads = {login: await api(setup, login) for login in ("wang", "lili", "zhao", "chen", "party")}
        pid = await create(setup, heads["wang"], "sunny")
        script = [
            ("wang", "support"), ("lili", "oppose"), ("wang", "neutral"), ("zhao", "question"),
            ("lili", "support"), ("chen", "oppose"), ("zhao", "oppose"), ("chen", "neutral"),
        ]  # fmt: skip
        ids = [
            await post_comment(setup, heads[login], pid, f"{login} {stance}", stance=stance)
            for login, stance in script
        ]
        hide = await setup.post(
            f"/api/v1/comments/{ids[4]}/hide", json={"reason": "跑题"}, headers=heads["party"]
        )
        assert hide.is_success, hide.text
        gone = await setup.delete(f"/api/v1/comments/{ids[6]}", headers=heads["zhao"])
        assert gone.is_success, gone.text
        rows = await Comment.filter(proposal_id=pid, deleted_at=None, hidden_at=None).values_list(
            "id", "author_id", "stance"
        )
        expected = stance_summary(rows)  # type: ignore[arg-type]
        assert expected == {"support": 1, "oppose": 2, "question": 1}
        data = (await setup.get(f"/api/v1/proposals/{pid}", headers=heads["wang"])).json()
        assert data["stances"] == expected
    async with browser(server, "wang") as (http, _token):
        page = (await http.get(f"/proposals/{pid}?lang=en")).text
        assert f"({len(script)})" in page  # every comment, tombstones and hidden ones included
        for stance, n in expected.items():
            assert f'stance-{stance}">{stance.capitalize()}: {n}</span>' in page

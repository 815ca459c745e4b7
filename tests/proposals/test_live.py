"""Live updates: two members in one hall, JSON and HTML clients, pushes equal to a fresh page load."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from agora import clock
from tests.proposals.factories import XSS_ALL, api, assert_no_xss, create, make_hall, member
from tests.support import browser_login


@pytest.fixture
async def hall(server):  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    await member("wang", sunny)
    await member("lili", sunny)
    await member("zhou", sunny)
    await member("party", sunny, "moderator")
    return sunny


async def until(ws: ClientConnection, match: Any, timeout: float = 5.0) -> str:
    """The first message for which `match(text)` holds (presence and other chatter are skipped)."""

    async def loop() -> str:
        while True:
            text = str(await ws.recv())
            if match(text):
                return text

    return await asyncio.wait_for(loop(), timeout)


def article(html: str, comment_id: int) -> str:
    found = re.search(rf'<article id="comment-{comment_id}".*?</article>', html, re.S)
    assert found, html
    return found.group(0)


async def test_two_members_one_posts_the_other_sees_it_live(client: httpx.AsyncClient, server, hall) -> None:  # type: ignore[no-untyped-def]
    wang, lili, zhou = await api(client, "wang"), await api(client, "lili"), await api(client, "zhou")
    pid = await create(client, zhou, "sunny")
    url = f"{server.ws_url}/ws/halls/sunny"
    async with (
        connect(url + "?format=json", additional_headers=wang) as json_ws,
        connect(url, additional_headers=lili) as html_ws,
    ):
        await asyncio.sleep(0.1)
        posted = await client.post(
            f"/api/v1/proposals/{pid}/comments", json={"body": XSS_ALL, "stance": "support"}, headers=zhou
        )
        cid = posted.json()["id"]
        message = json.loads(await until(json_ws, lambda t: '"comment.created"' in t))
        assert message["type"] == "comment.created" and isinstance(message["seq"], int)
        assert message["id"] == cid and message["proposal"] == pid and message["parent"] is None
        assert message["stance"] == "support" and message["official"] is False and message["hidden"] is None
        assert message["discussion"] == {"comments": 1, "stances": {"support": 1, "oppose": 0, "question": 0}}
        assert message["author"].startswith("zhou")
        assert_no_xss(message["body_html"])
        fragment = await until(html_ws, lambda t: f'id="comment-{cid}"' in t)
        assert f'hx-swap-oob="beforeend:#replies-root-{pid}"' in fragment
        assert f'id="live-log-{pid}"' in fragment or f"#live-log-{pid}" in fragment
        assert_no_xss(fragment)
        # The push equals what a fresh page load shows for that comment.
        async with httpx.AsyncClient(base_url=server.url) as browser:
            await browser_login(browser, "lili")
            page = await browser.get(f"/proposals/{pid}")
        assert page.status_code == 200
        assert_no_xss(page.text)
        assert article(fragment, cid) == article(page.text, cid)
        assert 'ws-connect="/ws/halls/sunny"' in page.text and 'role="log"' in page.text

        reply = await client.post(
            f"/api/v1/proposals/{pid}/comments", json={"body": "回复", "parent": cid}, headers=wang
        )
        rid = reply.json()["id"]
        reply_push = await until(html_ws, lambda t: f'id="comment-{rid}"' in t)
        assert f'hx-swap-oob="beforeend:#replies-{cid}"' in reply_push

        party = await api(client, "party")
        await client.post(f"/api/v1/comments/{cid}/hide", json={"reason": f"广告 {XSS_ALL}"}, headers=party)
        hidden = json.loads(await until(json_ws, lambda t: '"comment.hidden"' in t))
        assert (
            hidden["id"] == cid
            and hidden["body_html"] is None
            and hidden["hidden"]["reason"].startswith("广告")
        )
        swap = await until(html_ws, lambda t: f'id="comment-{cid}"' in t and 'hx-swap-oob="true"' in t)
        assert_no_xss(swap)
        assert "广告" in swap and "alert(1)" in swap  # the reason is shown, escaped
        async with httpx.AsyncClient(base_url=server.url) as browser:
            await browser_login(browser, "wang")
            page = await browser.get(f"/proposals/{pid}")
        pushed = article(swap, cid).replace(' hx-swap-oob="true"', "")
        assert pushed == article(page.text, cid)

        await client.post(f"/api/v1/comments/{cid}/restore", json={}, headers=party)
        restored = json.loads(await until(json_ws, lambda t: '"comment.restored"' in t))
        assert restored["hidden"] is None and restored["body_html"]

        await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": "consultation"}, headers=party)
        state = json.loads(await until(json_ws, lambda t: '"proposal.state"' in t))
        assert state["proposal"] == pid and state["state"] == "consultation" and state["from"] == "draft"
        badge = await until(html_ws, lambda t: f'id="proposal-state-{pid}"' in t)
        assert 'hx-swap-oob="true"' in badge and ("征求意见" in badge or "Consultation" in badge)


async def test_a_comment_is_one_message_carrying_the_discussion_s_figures(
    client: httpx.AsyncClient, server, hall
) -> None:  # type: ignore[no-untyped-def]
    """Each comment change reaches a phone as one message, with the count and stances after it (as
    the proposal reads then): a busy discussion costs every phone in the hall one message a comment,
    and a client catching up with `since=` gets the figures with the comments it missed."""
    wang, lili, zhou = await api(client, "wang"), await api(client, "lili"), await api(client, "zhou")
    party = await api(client, "party")
    pid = await create(client, zhou, "sunny")
    url = f"{server.ws_url}/ws/halls/sunny?format=json"
    messages: list[dict[str, Any]] = []
    figures: list[dict[str, Any]] = []
    async with connect(url, additional_headers=lili) as ws:
        await until(ws, lambda t: '"presence"' in t)
        for n, (author, stance) in enumerate([(wang, "support"), (zhou, "oppose"), (wang, "question")]):
            body = {"body": f"意见 {n}", "stance": stance}
            posted = await client.post(f"/api/v1/proposals/{pid}/comments", json=body, headers=author)
            assert posted.status_code == 201
            figures.append((await client.get(f"/api/v1/proposals/{pid}", headers=lili)).json()["stances"])
        last = posted.json()["id"]
        hidden = await client.post(f"/api/v1/comments/{last}/hide", json={"reason": "广告"}, headers=party)
        assert hidden.status_code == 200, hidden.text
        figures.append((await client.get(f"/api/v1/proposals/{pid}", headers=lili)).json()["stances"])
        with contextlib.suppress(TimeoutError):
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                if message["type"] != "presence":
                    messages.append(message)
    assert [m["type"] for m in messages] == ["comment.created"] * 3 + ["comment.hidden"]
    assert [m["discussion"]["stances"] for m in messages] == figures
    assert [m["discussion"]["comments"] for m in messages] == [1, 2, 3, 3]
    async with connect(f"{url}&since={messages[0]['seq']}", additional_headers=lili) as ws:
        missed = [json.loads(await until(ws, lambda t: '"seq":null' not in t)) for _ in messages[1:]]
    assert [m["discussion"] for m in missed] == [m["discussion"] for m in messages[1:]]


async def test_a_reconnecting_client_catches_up_with_since(client: httpx.AsyncClient, server, hall) -> None:  # type: ignore[no-untyped-def]
    wang = await api(client, "wang")
    pid = await create(client, wang, "sunny")
    url = f"{server.ws_url}/ws/halls/sunny?format=json"
    async with connect(url, additional_headers=wang) as ws:
        await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "一"}, headers=wang)
        first = json.loads(await until(ws, lambda t: '"comment.created"' in t))
    await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "二"}, headers=wang)
    async with connect(f"{url}&since={first['seq']}", additional_headers=wang) as ws:
        missed = json.loads(await until(ws, lambda t: '"comment.created"' in t))
        assert missed["body_html"] == "<p>二</p>\n"


async def test_a_member_of_another_hall_cannot_listen(server, hall) -> None:  # type: ignore[no-untyped-def]
    from websockets.exceptions import InvalidStatus

    rainy = await make_hall("rainy")
    await member("outsider", rainy, "moderator")
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = await api(http, "outsider")
    with pytest.raises(InvalidStatus):
        async with connect(f"{server.ws_url}/ws/halls/sunny?format=json", additional_headers=headers):
            pass


def block(html: str, element_id: str) -> str:
    found = re.search(rf'<(p|div) [^>]*id="{element_id}".*?</\1>', html, re.S)
    assert found, html
    return found.group(0).replace(' hx-swap-oob="true"', "")


async def test_comment_count_stances_and_the_vote_button_follow_live(
    client: httpx.AsyncClient, server, hall
) -> None:  # type: ignore[no-untyped-def]
    lili, zhou, party = await api(client, "lili"), await api(client, "zhou"), await api(client, "party")
    pid = await create(client, zhou, "sunny")
    async with connect(f"{server.ws_url}/ws/halls/sunny", additional_headers=lili) as html_ws:
        await asyncio.sleep(0.1)
        for stance in ("support", "oppose", "support"):
            await client.post(
                f"/api/v1/proposals/{pid}/comments", json={"body": "意见", "stance": stance}, headers=zhou
            )
            summary = await until(html_ws, lambda t: f'id="discussion-summary-{pid}"' in t)
        assert f'id="comment-count-{pid}" hx-swap-oob="true">(3)' in summary
        async with httpx.AsyncClient(base_url=server.url) as browser:
            await browser_login(browser, "lili")
            page = await browser.get(f"/proposals/{pid}")
        # The push equals what a fresh page load shows.
        assert block(summary, f"discussion-summary-{pid}") == block(page.text, f"discussion-summary-{pid}")
        assert f'<span class="muted" id="comment-count-{pid}">(3)</span>' in page.text
        assert f"/proposals/{pid}/vote" not in block(page.text, f"proposal-actions-{pid}")

        await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": "consultation"}, headers=party)
        actions = await until(html_ws, lambda t: f'id="proposal-actions-{pid}"' in t)
        assert 'hx-swap-oob="true"' in actions and f"/proposals/{pid}/vote" not in actions

        # Voting opens: the Vote button arrives with the push, without a reload.
        closes = (clock.now() + timedelta(days=7)).isoformat()
        opened = await client.post(
            f"/api/v1/proposals/{pid}/transition", json={"to": "voting", "closes_at": closes}, headers=party
        )
        assert opened.status_code == 200, opened.text
        actions = await until(html_ws, lambda t: f'id="proposal-actions-{pid}"' in t and "/vote" in t)
        assert f'<a class="button primary" href="/proposals/{pid}/vote">' in actions

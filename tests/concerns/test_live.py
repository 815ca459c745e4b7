"""Live updates on the hall: events after commit, only for public concerns, pushes equal to the page."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from agora.live.models import LiveEvent
from tests.concerns.factories import api, concern_data, raise_concern, world
from tests.proposals.factories import assert_no_xss
from tests.support import browser_login


@pytest.fixture
async def w(server):  # type: ignore[no-untyped-def]
    return await world("sunny")


async def until(ws: ClientConnection, match: Any, timeout: float = 5.0) -> str:
    async def loop() -> str:
        while True:
            text = str(await ws.recv())
            if match(text):
                return text

    return await asyncio.wait_for(loop(), timeout)


def row(html: str, cid: int) -> str:
    found = re.search(rf'<li id="concern-{cid}".*?</li>', html, re.S)
    assert found, html
    return re.sub(r' hx-swap-oob="true"', "", found.group(0))


async def test_a_new_concern_and_its_triage_reach_the_hall_as_the_page_shows_them(
    client: httpx.AsyncClient, server, w
) -> None:  # type: ignore[no-untyped-def]
    alice, bob, party = [await api(client, f"sunny-{n}") for n in ("alice", "bob", "party")]
    url = f"{server.ws_url}/ws/halls/sunny"
    async with (
        connect(url + "?format=json", additional_headers=bob) as json_ws,
        connect(url + "?lang=zh-CN", additional_headers=bob) as html_ws,
    ):
        await asyncio.sleep(0.1)
        cid = (await raise_concern(client, alice, "sunny", building="2"))["id"]
        message = json.loads(await until(json_ws, lambda t: '"concern.created"' in t))
        assert message["concern"] == cid and message["status"] == "received" and message["building"]
        assert "submitter" not in message and "body" not in message  # nothing about who raised it
        fragment = await until(html_ws, lambda t: f'id="concern-{cid}"' in t)
        assert 'hx-swap-oob="afterbegin:#concerns-new"' in fragment
        assert_no_xss(fragment)
        async with httpx.AsyncClient(base_url=server.url) as browser:
            await browser_login(browser, "sunny-bob")
            page = await browser.get("/halls/sunny/concerns")
        assert 'id="concerns-new"' in page.text and 'ws-connect="/ws/halls/sunny"' in page.text
        assert row(fragment, cid) == row(page.text, cid)

        response = await client.post(
            f"/api/v1/concerns/{cid}/triage",
            json={"route": "refer", "urgency": 3, "category": "health", "assignee": "社区卫生站"},
            headers=party,
        )
        assert response.status_code == 200
        updated = await until(html_ws, lambda t: f'id="concern-{cid}"' in t and "concern-status" in t)
        assert f'<li id="concern-{cid}" class="concern-row" hx-swap-oob="true">' in updated
        assert f'id="concern-status-{cid}"' in updated
        async with httpx.AsyncClient(base_url=server.url) as browser:
            await browser_login(browser, "sunny-bob")
            page = await browser.get("/halls/sunny/governance")
            detail = await browser.get(f"/concerns/{cid}")
        assert row(updated, cid) == row(page.text, cid)
        badge = re.search(rf'<span id="concern-status-{cid}"[^>]*>[^<]*</span>', detail.text)
        assert badge and badge.group(0).replace(' hx-swap-oob="true"', "") in updated.replace(
            ' hx-swap-oob="true"', ""
        )


async def test_events_after_commit_only_for_public_concerns(client: httpx.AsyncClient, server, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await api(client, "sunny-alice"), await api(client, "sunny-party")
    async with connect(f"{server.ws_url}/ws/halls/sunny?format=json", additional_headers=party) as ws:
        await asyncio.sleep(0.1)
        private = (await raise_concern(client, alice, "sunny", visibility="moderators"))["id"]
        await client.post(f"/api/v1/concerns/{private}/status", json={"to": "accepted"}, headers=party)
        # A refused write publishes nothing and stores nothing.
        refused = await client.post(
            "/api/v1/halls/sunny/concerns", json=concern_data(title=""), headers=alice
        )
        assert refused.status_code == 422
        public = (await raise_concern(client, alice, "sunny"))["id"]
        seen = json.loads(await until(ws, lambda t: '"concern.' in t))
        assert seen["concern"] == public  # the private concern's events never came
    assert await LiveEvent.filter(type__startswith="concern.").count() == 1

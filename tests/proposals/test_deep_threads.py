"""A member cannot take a proposal page down with nested replies (issue 16, item 1).

About 500 nested replies used to make the proposal page and its comments API answer 500 for good.
Replies past `threads.MAX_DEPTH` now join the deepest allowed level, rendering is bounded, and
each member may post `RATE_LIMIT` comments a minute.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import httpx

from agora import clock
from agora.proposals.discussion import RATE_LIMIT, THREAD_PAGE
from agora.proposals.models import Comment
from agora.proposals.threads import MAX_DEPTH
from tests.proposals.factories import api, create, make_hall, member

PAGE_BUDGET_SECONDS = 2.0
# The "continue this thread" page is paged (THREAD_PAGE direct replies a page): the same budget.
THREAD_PAGE_BUDGET_SECONDS = PAGE_BUDGET_SECONDS


def _max_depth(nodes: list[dict]) -> int:
    deepest, stack = 0, [(node, 0) for node in nodes]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node["children"])
    return deepest


async def _timed_get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], budget: float = PAGE_BUDGET_SECONDS
) -> httpx.Response:
    started = time.perf_counter()
    response = await client.get(url, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert elapsed < budget, (url, elapsed)
    return response


async def test_two_thousand_nested_replies_leave_the_page_answering(client: httpx.AsyncClient) -> None:
    hall = await make_hall("deep")
    await member("tenant-deep", hall, "tenant")  # any member can post: a tenant too
    headers = await api(client, "tenant-deep")
    pid = await create(client, headers, "deep")
    parent = None
    ids: list[int] = []
    for n in range(2000):
        if n and n % RATE_LIMIT == 0:
            clock.travel(timedelta(minutes=1, seconds=1))
        data = {"body": f"reply {n}", "parent": parent}
        response = await client.post(f"/api/v1/proposals/{pid}/comments", json=data, headers=headers)
        assert response.status_code == 201, (n, response.text)
        parent = response.json()["id"]
        ids.append(parent)
    depths = dict(await Comment.filter(proposal_id=pid).values_list("id", "depth"))
    assert max(depths.values()) == MAX_DEPTH
    assert depths[ids[-1]] == MAX_DEPTH and depths[ids[MAX_DEPTH - 1]] == MAX_DEPTH - 1
    data = (await _timed_get(client, f"/api/v1/proposals/{pid}/comments", headers)).json()
    assert _max_depth(data["comments"]) == MAX_DEPTH
    page = await _timed_get(client, f"/proposals/{pid}", headers)
    assert "reply 0" in page.text
    await _timed_get(client, f"/comments/{ids[-1]}", headers, THREAD_PAGE_BUDGET_SECONDS)
    # The comment at the level above the deepest gathers every later reply (about 1,990 of them): its
    # page shows THREAD_PAGE at a time, within the budget, and the pages together show each once.
    gathered = {i for i, d in depths.items() if d == MAX_DEPTH}
    url, seen, pages = f"/comments/{ids[MAX_DEPTH - 1]}", [], 0
    while url:
        page = await _timed_get(client, url, headers, THREAD_PAGE_BUDGET_SECONDS)
        shown = [int(i) for i in re.findall(r'id="comment-(\d+)"', page.text)]
        assert len(shown) <= THREAD_PAGE + 1, len(shown)
        seen += [i for i in shown if i != ids[MAX_DEPTH - 1]]
        more = re.search(r'href="(/comments/\d+\?after=\d+)"', page.text)
        url, pages = (more.group(1) if more else ""), pages + 1
    assert pages == -(-len(gathered) // THREAD_PAGE), (pages, len(gathered))
    assert sorted(seen) == sorted(gathered)


async def test_a_chain_written_before_the_limit_still_renders(client: httpx.AsyncClient) -> None:
    """Rows nested 1,500 deep (written before the limit existed) are shown at most MAX_DEPTH deep."""
    hall = await make_hall("legacy")
    author = await member("legacy-owner", hall)
    headers = await api(client, "legacy-owner")
    pid = await create(client, headers, "legacy")
    root = await Comment.create(
        proposal_id=pid, hall_id=hall.id, author=author, body="root", body_html="<p>root</p>",
        stance="neutral", created_at=clock.now() - timedelta(days=400), depth=0,
    )  # fmt: skip
    parent = root
    for depth in range(1, 1500):
        parent = await Comment.create(
            proposal_id=pid, hall_id=hall.id, author=author, parent_id=parent.id, root_id=root.id,
            depth=depth, body=f"d{depth}", body_html=f"<p>d{depth}</p>", stance="neutral",
            created_at=clock.now() - timedelta(days=400),
        )  # fmt: skip
    data = (await _timed_get(client, f"/api/v1/proposals/{pid}/comments", headers)).json()
    assert _max_depth(data["comments"]) == MAX_DEPTH
    await _timed_get(client, f"/proposals/{pid}", headers)
    await _timed_get(client, f"/comments/{parent.id}", headers, THREAD_PAGE_BUDGET_SECONDS)
    # A reply to the deepest legacy comment joins the deepest allowed level.
    response = await client.post(
        f"/api/v1/proposals/{pid}/comments", json={"body": "late", "parent": parent.id}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert (await Comment.get(id=response.json()["id"])).depth == MAX_DEPTH


async def test_a_member_posting_too_fast_is_throttled(client: httpx.AsyncClient) -> None:
    hall = await make_hall("fast")
    await member("fast-one", hall)
    headers = await api(client, "fast-one")
    pid = await create(client, headers, "fast")
    for _n in range(RATE_LIMIT):
        response = await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "x"}, headers=headers)
        assert response.status_code == 201
    response = await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "x"}, headers=headers)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1

"""The threaded discussion and its open moderation, through the JSON API."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from agora import clock
from agora.audit.models import AuditEntry
from agora.live.models import LiveEvent
from agora.proposals.discussion import RATE_LIMIT
from tests.proposals.factories import XSS, XSS_ALL, api, assert_no_xss, create, make_hall, member


@pytest.fixture
async def world(server):  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    rainy = await make_hall("rainy")
    for login, roles in (("wang", ()), ("lili", ()), ("zhou", ("tenant",)), ("party", ("moderator",)),
                         ("committee", ("committee",))):  # fmt: skip
        await member(login, sunny, *roles)
    await member("othermod", rainy, "moderator")
    return sunny


async def post(client, headers, pid, body=XSS_ALL, **extra):  # type: ignore[no-untyped-def]
    return await client.post(
        f"/api/v1/proposals/{pid}/comments", json={"body": body, **extra}, headers=headers
    )


async def comments(client, headers, pid, **params):  # type: ignore[no-untyped-def]
    response = await client.get(f"/api/v1/proposals/{pid}/comments", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_replies_nest_to_any_depth_in_the_contract_shape(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, li = await api(client, "wang"), await api(client, "lili")
    pid = await create(client, wang, "sunny")
    top = (await post(client, wang, pid, stance="support")).json()["id"]
    parent = top
    for n in range(7):
        response = await post(
            client, li if n % 2 == 0 else wang, pid, body=f"回复 {n} {XSS[n % 5]}", parent=parent
        )
        assert response.status_code == 201
        parent = response.json()["id"]
    data = await comments(client, li, pid)
    node, depth = data["comments"][0], 0
    assert set(node) >= {
        "id",
        "parent",
        "author",
        "body_html",
        "stance",
        "official",
        "created_at",
        "hidden",
        "children",
    }
    assert node["parent"] is None and node["stance"] == "support" and node["hidden"] is None
    while node["children"]:
        assert_no_xss(node["body_html"])
        node, depth = node["children"][0], depth + 1
    assert depth == 7 and node["id"] == parent and node["body_html"].startswith("<p>回复 6")
    assert data["next"] is None


async def test_reply_to_another_proposals_comment_is_422(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang = await api(client, "wang")
    first, second = await create(client, wang, "sunny"), await create(client, wang, "sunny")
    foreign = (await post(client, wang, first)).json()["id"]
    response = await post(client, wang, second, parent=foreign)
    assert response.status_code == 422 and response.json()["error"]["fields"] == {"parent": "invalid"}
    assert (await post(client, wang, second, parent=999999)).status_code == 422
    assert (await post(client, wang, second, body="  ")).status_code == 422
    assert (await post(client, wang, second, body="x" * 5001)).status_code == 422
    assert (await post(client, wang, second, body="x" * 5000)).status_code == 201
    assert (await post(client, wang, second, stance="maybe")).status_code == 422


async def test_keyset_pages_of_top_level_comments_both_orders(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    from agora.proposals.models import Comment, Proposal

    wang = await api(client, "wang")
    pid = await create(client, wang, "sunny")
    proposal = await Proposal.get(id=pid)
    author = await proposal.author
    now = clock.now()
    tops = [
        await Comment.create(
            proposal=proposal,
            hall_id=proposal.hall_id,
            author=author,
            body=f"c{n}",
            body_html=f"<p>c{n}</p>",
            created_at=now,
        )  # fmt: skip
        for n in range(5)
    ]
    reply = {"body": "r", "body_html": "<p>r</p>", "parent_id": tops[0].id, "root_id": tops[0].id, "depth": 1}
    await Comment.create(proposal=proposal, hall_id=proposal.hall_id, author=author, created_at=now, **reply)
    page1 = await comments(client, wang, pid, limit=2)
    assert [c["id"] for c in page1["comments"]] == [tops[0].id, tops[1].id]
    assert [c["body_html"] for c in page1["comments"][0]["children"]] == ["<p>r</p>"]
    page2 = await comments(client, wang, pid, limit=2, after=page1["next"])
    assert [c["id"] for c in page2["comments"]] == [tops[2].id, tops[3].id]
    page3 = await comments(client, wang, pid, limit=2, after=page2["next"])
    assert [c["id"] for c in page3["comments"]] == [tops[4].id] and page3["next"] is None
    newest = await comments(client, wang, pid, limit=3, sort="newest")
    assert [c["id"] for c in newest["comments"]] == [tops[4].id, tops[3].id, tops[2].id]
    rest = await comments(client, wang, pid, limit=3, sort="newest", after=newest["next"])
    assert [c["id"] for c in rest["comments"]] == [tops[1].id, tops[0].id]
    bad = await client.get(f"/api/v1/proposals/{pid}/comments?sort=random", headers=wang)
    assert bad.status_code == 422


async def test_posting_is_rate_limited_per_member(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, li = await api(client, "wang"), await api(client, "lili")
    pid = await create(client, wang, "sunny")
    for _ in range(RATE_LIMIT):
        assert (await post(client, wang, pid, body="快")).status_code == 201
    throttled = await post(client, wang, pid, body="太快")
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert (await post(client, li, pid, body="我不受影响")).status_code == 201
    clock.travel(timedelta(seconds=61))
    assert (await post(client, wang, pid, body="又可以了")).status_code == 201


async def test_edit_keeps_history_and_only_the_author_may_edit_or_delete(
    client: httpx.AsyncClient, world
) -> None:  # type: ignore[no-untyped-def]
    wang, li, party = await api(client, "wang"), await api(client, "lili"), await api(client, "party")
    pid = await create(client, wang, "sunny")
    cid = (await post(client, li, pid, body="原来的话")).json()["id"]
    for other in (wang, party):  # a moderator cannot change a resident's words either
        response = await client.patch(f"/api/v1/comments/{cid}", json={"body": "篡改"}, headers=other)
        assert response.status_code == 403
        assert (await client.delete(f"/api/v1/comments/{cid}", headers=other)).status_code == 403
    edited = await client.patch(f"/api/v1/comments/{cid}", json={"body": f"改过的话 {XSS_ALL}"}, headers=li)
    assert edited.status_code == 200 and edited.json()["edited_at"]
    assert_no_xss(edited.json()["body_html"])
    history = (await client.get(f"/api/v1/comments/{cid}/revisions", headers=wang)).json()["revisions"]
    assert [r["body_html"] for r in history] == ["<p>原来的话</p>\n"]
    assert (await client.delete(f"/api/v1/comments/{cid}", headers=li)).status_code == 204
    tombstone = (await comments(client, wang, pid))["comments"][0]
    assert tombstone["id"] == cid and tombstone["deleted"] is True and tombstone["body_html"] is None
    assert (await client.get(f"/api/v1/comments/{cid}/revisions", headers=wang)).json()["revisions"] == []
    assert (await client.patch(f"/api/v1/comments/{cid}", json={"body": "x"}, headers=li)).status_code == 409
    assert await LiveEvent.filter(type="comment.deleted").count() == 1


async def test_hide_needs_a_reason_and_shows_it_to_everyone(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, li, party = await api(client, "wang"), await api(client, "lili"), await api(client, "party")
    pid = await create(client, wang, "sunny")
    cid = (await post(client, li, pid, body="难听的话")).json()["id"]
    assert (
        await client.post(f"/api/v1/comments/{cid}/hide", json={"reason": "x"}, headers=wang)
    ).status_code == 403
    no_reason = await client.post(f"/api/v1/comments/{cid}/hide", json={"reason": " "}, headers=party)
    assert no_reason.status_code == 422
    reason = f"人身攻击 {XSS_ALL}"
    hidden = await client.post(f"/api/v1/comments/{cid}/hide", json={"reason": reason}, headers=party)
    assert hidden.status_code == 200
    seen = (await comments(client, wang, pid))["comments"][0]
    assert seen["body_html"] is None and seen["hidden"]["reason"] == reason and seen["hidden"]["at"]
    again = await client.post(f"/api/v1/comments/{cid}/hide", json={"reason": "r"}, headers=party)
    assert again.status_code == 409
    assert (await client.get(f"/api/v1/comments/{cid}/revisions", headers=wang)).json()["revisions"] == []
    assert (await client.post(f"/api/v1/comments/{cid}/restore", json={}, headers=wang)).status_code == 403
    restored = await client.post(f"/api/v1/comments/{cid}/restore", json={}, headers=party)
    assert restored.status_code == 200 and restored.json()["body_html"] == "<p>难听的话</p>\n"
    log = (await client.get("/api/v1/halls/sunny/moderation-log", headers=wang)).json()["entries"]
    assert [e["action"] for e in log] == ["restore", "hide"] and log[1]["reason"] == reason
    assert await AuditEntry.filter(action="comment.hide", object_id=str(cid)).exists()
    types = [e.type for e in await LiveEvent.all().order_by("id")]
    assert "comment.hidden" in types and "comment.restored" in types


async def test_a_moderator_of_another_compound_gets_404(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, other = await api(client, "wang"), await api(client, "othermod")
    pid = await create(client, wang, "sunny")
    cid = (await post(client, wang, pid)).json()["id"]
    for action, body in (("hide", {"reason": "r"}), ("restore", {}), ("report", {"reason": "r"})):
        response = await client.post(f"/api/v1/comments/{cid}/{action}", json=body, headers=other)
        assert response.status_code == 404, action
    assert (await client.get(f"/api/v1/proposals/{pid}/comments", headers=other)).status_code == 404
    assert (await post(client, other, pid)).status_code == 404
    assert (await client.post(f"/api/v1/proposals/{pid}/lock", json={}, headers=other)).status_code == 404
    assert (await client.get("/api/v1/halls/sunny/moderation-log", headers=other)).status_code == 404


async def test_locked_thread_refuses_comments_with_409(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, party = await api(client, "wang"), await api(client, "party")
    pid = await create(client, wang, "sunny")
    assert (await client.post(f"/api/v1/proposals/{pid}/lock", json={}, headers=wang)).status_code == 403
    locked = await client.post(f"/api/v1/proposals/{pid}/lock", json={"reason": "冷静一下"}, headers=party)
    assert locked.status_code == 200
    refused = await post(client, wang, pid)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "thread_locked"
    assert (await client.post(f"/api/v1/proposals/{pid}/unlock", json={}, headers=party)).status_code == 200
    assert (await post(client, wang, pid)).status_code == 201
    actions = [
        e["action"]
        for e in (await client.get("/api/v1/halls/sunny/moderation-log", headers=wang)).json()["entries"]
    ]
    assert actions == ["unlock", "lock"]


async def test_official_answers_by_party_and_committee_only(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, party, committee = (
        await api(client, "wang"),
        await api(client, "party"),
        await api(client, "committee"),
    )
    pid = await create(client, wang, "sunny")
    assert (await post(client, wang, pid, official=True)).status_code == 403
    answer = (await post(client, party, pid, body="党支部答复", official=True)).json()["id"]
    own = (await post(client, committee, pid, body="业委会说明")).json()["id"]
    assert (
        await client.post(f"/api/v1/comments/{answer}/official", json={}, headers=committee)
    ).status_code == 403
    pinned = await client.post(f"/api/v1/comments/{own}/official", json={}, headers=committee)
    assert pinned.status_code == 200 and pinned.json()["official_as"] == "committee"
    tree = {c["id"]: c for c in (await comments(client, wang, pid))["comments"]}
    assert tree[answer]["official"] is True and tree[answer]["official_as"] == "party"
    assert tree[own]["official"] is True


async def test_reports_reach_the_moderators_once_per_member(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, li, zhou = await api(client, "wang"), await api(client, "lili"), await api(client, "zhou")
    pid = await create(client, wang, "sunny")
    cid = (await post(client, wang, pid)).json()["id"]
    assert (
        await client.post(f"/api/v1/comments/{cid}/report", json={"reason": ""}, headers=li)
    ).status_code == 422
    first = await client.post(f"/api/v1/comments/{cid}/report", json={"reason": f"广告 {XSS[0]}"}, headers=li)
    assert first.status_code == 201
    again = await client.post(f"/api/v1/comments/{cid}/report", json={"reason": "广告"}, headers=li)
    assert again.status_code == 409
    assert (
        await client.post(f"/api/v1/comments/{cid}/report", json={"reason": "x"}, headers=zhou)
    ).status_code == 201


async def test_stance_summary_counts_members_once(client: httpx.AsyncClient, world) -> None:  # type: ignore[no-untyped-def]
    wang, li, zhou = await api(client, "wang"), await api(client, "lili"), await api(client, "zhou")
    pid = await create(client, wang, "sunny")
    await post(client, wang, pid, stance="support")
    await post(client, wang, pid, stance="support")
    await post(client, li, pid, stance="oppose")
    await post(client, zhou, pid, stance="question")
    data = (await client.get(f"/api/v1/proposals/{pid}", headers=wang)).json()
    assert data["stances"] == {"support": 1, "oppose": 1, "question": 1}

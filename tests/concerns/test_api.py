"""Concerns through the JSON API: raising, triage, the status machine, merging, replies, feedback, and
every refusal the issue lists (each a clear 4xx that writes nothing; another compound's concern is 404)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from agora import clock
from agora.audit.models import AuditEntry
from agora.concerns.models import Concern, ConcernEvent, ConcernReply
from agora.errors import Conflict
from agora.live.models import LiveEvent
from tests.concerns.factories import XSS, api, concern_data, raise_concern, world
from tests.proposals.factories import assert_no_xss


@pytest.fixture
async def w(server):  # type: ignore[no-untyped-def]
    return await world("sunny")


async def heads(client: httpx.AsyncClient, w, *names: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [await api(client, f"{w['slug']}-{name}") for name in names]


async def snapshot() -> tuple[int, int, int, int]:
    """Counts that a refused request must leave unchanged."""
    return (
        await Concern.all().count(),
        await ConcernEvent.all().count(),
        await LiveEvent.all().count(),
        await ConcernReply.all().count(),
    )


async def test_raise_and_read_back(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await heads(client, w, "alice", "bob")
    created = await raise_concern(client, alice, "sunny", building="1")
    assert set(created) == {"id", "ref"} and created["ref"].endswith("-0001")
    data = (await client.get(f"/api/v1/concerns/{created['id']}", headers=alice)).json()
    contract = "id ref title body_html kind category status urgency route created_at due_at resolved_at"
    contract += " history feedback"
    assert set(data) >= set(contract.split())
    assert data["status"] == "received" and data["kind"] == "concern" and data["category"] == "livelihood"
    assert data["building"] == "sunny-b1" and data["urgency"] is None and data["feedback"] is None
    assert [h["status"] for h in data["history"]] == ["received"]
    assert_no_xss(data["body_html"])
    assert data["submitter"] is not None  # the submitter sees their own name
    # Another member sees the public concern but not who raised it.
    seen = (await client.get(f"/api/v1/concerns/{created['id']}", headers=bob)).json()
    assert seen["submitter"] is None and seen["history"][0]["by"] is None
    listing = (await client.get("/api/v1/halls/sunny/concerns", headers=bob)).json()["concerns"]
    assert [c["id"] for c in listing] == [created["id"]]
    assert listing[0]["history"][0]["status"] == "received"
    # The building's hall lists its own concerns only.
    await raise_concern(client, alice, "sunny", building="sunny-b2", title="2号楼楼道灯不亮")
    b1 = (await client.get("/api/v1/halls/sunny-b1/concerns", headers=alice)).json()["concerns"]
    assert [c["id"] for c in b1] == [created["id"]]
    assert await AuditEntry.filter(action="concern.create", object_id=str(created["id"])).exists()


async def test_raise_in_a_building_hall_sets_the_building(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    (tenant,) = await heads(client, w, "tenant")
    created = await raise_concern(client, tenant, "sunny-b1", kind="wish", title="希望楼下放一张长椅")
    data = (await client.get(f"/api/v1/concerns/{created['id']}", headers=tenant)).json()
    assert data["building"] == "sunny-b1" and data["kind"] == "wish"
    # The tenant of building 1 is a member of the compound, not of building 2.
    response = await client.post("/api/v1/halls/sunny-b2/concerns", json=concern_data(), headers=tenant)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"title": 12}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 4001}, "body"),
        ({"category": "bogus"}, "category"),
        ({"category": None}, "category"),
        ({"kind": "complaint"}, "kind"),
        ({"visibility": "secret"}, "visibility"),
        ({"building": "9"}, "building"),
        ({"on_behalf": {"name": ""}}, "on_behalf"),
    ],
)
async def test_bad_input_is_422_and_writes_nothing(client: httpx.AsyncClient, w, overrides, field) -> None:  # type: ignore[no-untyped-def]
    (canvasser,) = await heads(client, w, "canvasser")
    before = await snapshot()
    response = await client.post(
        "/api/v1/halls/sunny/concerns", json=concern_data(**overrides), headers=canvasser
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert await snapshot() == before


async def test_on_behalf_needs_a_canvasser_and_gives_a_follow_code(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, canvasser, bob = await heads(client, w, "alice", "canvasser", "bob")
    before = await snapshot()
    refused = await client.post(
        "/api/v1/halls/sunny/concerns", json=concern_data(on_behalf="王奶奶"), headers=alice
    )
    assert refused.status_code == 403 and await snapshot() == before
    created = await raise_concern(client, canvasser, "sunny", on_behalf={"name": f"王奶奶 {XSS[0]}"})
    code = created["follow_code"]
    assert len(code) == 10
    row = await Concern.get(id=created["id"])
    assert row.submitter_id is None and row.follow_code_hash and code not in row.follow_code_hash  # type: ignore[attr-defined]
    mine = (await client.get(f"/api/v1/concerns/{created['id']}", headers=canvasser)).json()
    assert mine["on_behalf"].startswith("王奶奶")
    other = (await client.get(f"/api/v1/concerns/{created['id']}", headers=bob)).json()
    assert other["on_behalf"] is None and other["submitter"] is None
    # The code is not in the audit log.
    for entry in await AuditEntry.all():
        assert code not in str(entry.detail)


async def test_private_concern_is_404_to_other_members(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob, party, b2mod = await heads(client, w, "alice", "bob", "party", "b2mod")
    b1 = await raise_concern(client, alice, "sunny", visibility="moderators", building="1")
    b2 = await raise_concern(client, alice, "sunny", visibility="moderators", building="2")
    assert (await client.get(f"/api/v1/concerns/{b1['id']}", headers=bob)).status_code == 404
    assert (await client.get(f"/api/v1/concerns/{b1['id']}", headers=alice)).status_code == 200
    assert (await client.get(f"/api/v1/concerns/{b1['id']}", headers=party)).status_code == 200
    # A building's moderator sees the private concerns of their building only.
    assert (await client.get(f"/api/v1/concerns/{b2['id']}", headers=b2mod)).status_code == 200
    assert (await client.get(f"/api/v1/concerns/{b1['id']}", headers=b2mod)).status_code == 404
    assert (await client.get("/api/v1/halls/sunny/concerns", headers=bob)).json()["concerns"] == []
    ids = {
        c["id"] for c in (await client.get("/api/v1/halls/sunny/concerns", headers=b2mod)).json()["concerns"]
    }
    assert ids == {b2["id"]}
    # Private concerns are not announced on the hall's live feed.
    assert not await LiveEvent.filter(type__startswith="concern.").exists()


async def test_another_compounds_concern_is_404(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    other = await world("other")
    (alice,) = await heads(client, w, "alice")
    stranger_party = await api(client, "other-party")
    created = await raise_concern(client, alice, "sunny")
    cid = created["id"]
    for method, path, body in [
        ("GET", f"/api/v1/concerns/{cid}", None),
        ("POST", f"/api/v1/concerns/{cid}/triage", {"route": "list", "urgency": 2, "category": "health"}),
        ("POST", f"/api/v1/concerns/{cid}/status", {"to": "accepted"}),
        ("POST", f"/api/v1/concerns/{cid}/merge", {"into": cid}),
        ("POST", f"/api/v1/concerns/{cid}/replies", {"body": "hi"}),
        ("POST", f"/api/v1/concerns/{cid}/feedback", {"satisfied": True}),
        ("GET", "/api/v1/halls/sunny/concerns", None),
    ]:
        response = await client.request(method, path, json=body, headers=stranger_party)
        assert response.status_code == 404, (method, path, response.text)
    # Merging into another compound's concern: 404 for the target, and nothing changes.
    theirs = await raise_concern(client, await api(client, "other-alice"), "other")
    party = await api(client, "sunny-party")
    before = await snapshot()
    response = await client.post(f"/api/v1/concerns/{cid}/merge", json={"into": theirs["id"]}, headers=party)
    assert response.status_code == 404 and await snapshot() == before
    assert other["compound"].slug == "other"


async def test_triage_then_status_to_resolved_with_history(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await heads(client, w, "alice", "party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    due = (clock.now() + timedelta(days=10)).date().isoformat()
    response = await client.post(
        f"/api/v1/concerns/{cid}/triage",
        json={"route": "list", "urgency": 3, "category": "health", "due_at": due, "assignee": "物业 王经理"},
        headers=party,
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "accepted" and data["urgency"] == 3 and data["route"] == "list"
    assert (
        data["category"] == "health"
        and data["due_at"].startswith(due[:4])
        and data["assignee"] == "物业 王经理"
    )
    assert data["accepted_at"] is not None
    for to in ("in_progress", "resolved"):
        response = await client.post(
            f"/api/v1/concerns/{cid}/status", json={"to": to, "note": "已更换"}, headers=party
        )
        assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "resolved" and data["resolved_at"] is not None
    assert [h["status"] for h in data["history"]] == ["received", "accepted", "in_progress", "resolved"]
    assert data["history"][-1]["note"] == "已更换" and data["history"][-1]["by"]
    assert await AuditEntry.filter(action="concern.status", object_id=str(cid)).count() == 2
    assert await AuditEntry.filter(action="concern.triage", object_id=str(cid)).count() == 1
    # resolved → received is a conflict; so is any step out of a final status.
    for to in ("received", "accepted", "in_progress", "closed_unresolved"):
        before = await snapshot()
        response = await client.post(
            f"/api/v1/concerns/{cid}/status", json={"to": to, "note": "x"}, headers=party
        )
        assert response.status_code == 409, (to, response.text)
        assert await snapshot() == before
    # A resolved concern cannot be triaged again.
    response = await client.post(
        f"/api/v1/concerns/{cid}/triage",
        json={"route": "list", "urgency": 1, "category": "health"},
        headers=party,
    )
    assert response.status_code == 409


async def test_status_refusals(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await heads(client, w, "alice", "party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    cases = [
        (alice, {"to": "accepted"}, 403),  # only moderators
        (party, {"to": "bogus"}, 422),  # unknown status
        (party, {}, 422),
        (party, {"to": "merged"}, 422),  # merging has its own endpoint
        (party, {"to": "resolved"}, 422),  # skipping triage needs a note
        (party, {"to": "resolved", "note": "   "}, 422),
        (party, {"to": "closed_unresolved"}, 422),  # closing unresolved needs a note
        (party, {"to": "in_progress"}, 409),  # not yet accepted
        (party, {"to": "received"}, 409),  # already
        (party, {"to": "resolved", "note": "x" * 2001}, 422),
    ]
    for headers, body, status in cases:
        before = await snapshot()
        response = await client.post(f"/api/v1/concerns/{cid}/status", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
        assert await snapshot() == before
    # Skipping triage with a note is allowed.
    response = await client.post(
        f"/api/v1/concerns/{cid}/status", json={"to": "resolved", "note": "当天已修好"}, headers=party
    )
    assert response.status_code == 200 and response.json()["status"] == "resolved"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"route": "nowhere", "urgency": 1, "category": "health"}, "route"),
        ({"urgency": 1, "category": "health"}, "route"),
        ({"route": "list", "urgency": 0, "category": "health"}, "urgency"),
        ({"route": "list", "urgency": 4, "category": "health"}, "urgency"),
        ({"route": "list", "urgency": True, "category": "health"}, "urgency"),
        ({"route": "list", "urgency": "high", "category": "health"}, "urgency"),
        ({"route": "list", "urgency": 2, "category": "bogus"}, "category"),
        ({"route": "list", "urgency": 2, "category": "health", "due_at": "2020-01-01"}, "due_at"),
        ({"route": "list", "urgency": 2, "category": "health", "due_at": "next week"}, "due_at"),
        ({"route": "list", "urgency": 2, "category": "health", "assignee": "x" * 81}, "assignee"),
    ],
)
async def test_triage_refusals(client: httpx.AsyncClient, w, body, field) -> None:  # type: ignore[no-untyped-def]
    alice, party = await heads(client, w, "alice", "party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    before = await snapshot()
    response = await client.post(f"/api/v1/concerns/{cid}/triage", json=body, headers=party)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert await snapshot() == before
    forbidden = await client.post(
        f"/api/v1/concerns/{cid}/triage",
        json={"route": "list", "urgency": 1, "category": "health"},
        headers=alice,
    )
    assert forbidden.status_code == 403 and await snapshot() == before


async def test_compound_categories(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await heads(client, w, "alice", "party")
    assert (
        await client.post("/api/v1/halls/sunny/concern-categories", json={"label": "停车"}, headers=alice)
    ).status_code == 403
    added = await client.post(
        "/api/v1/halls/sunny/concern-categories", json={"label": " 停车 "}, headers=party
    )
    assert added.status_code == 201 and added.json()["key"] == "停车"
    again = await client.post("/api/v1/halls/sunny/concern-categories", json={"label": "停车"}, headers=party)
    assert again.status_code == 409
    keys = [
        c["key"]
        for c in (await client.get("/api/v1/halls/sunny/concern-categories", headers=alice)).json()[
            "categories"
        ]
    ]
    assert keys == ["policy", "livelihood", "health", "education", "停车"]
    await raise_concern(client, alice, "sunny", category="停车")
    # Another compound does not have it.
    await world("other")
    response = await client.post(
        "/api/v1/halls/other/concerns",
        json=concern_data(category="停车"),
        headers=await api(client, "other-alice"),
    )
    assert response.status_code == 422


async def test_merge_follows_the_survivor(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob, party = await heads(client, w, "alice", "bob", "party")
    survivor = (await raise_concern(client, alice, "sunny"))["id"]
    dup = (await raise_concern(client, bob, "sunny", title="电梯又坏了"))["id"]
    dup2 = (await raise_concern(client, bob, "sunny", title="电梯坏了第三次"))["id"]
    # Refusals first: not a moderator, into itself, no target, a missing one.
    for headers, body, status in [
        (bob, {"into": survivor}, 403),
        (party, {"into": dup}, 422),
        (party, {}, 422),
        (party, {"into": "abc"}, 422),
        (party, {"into": 999999}, 404),
    ]:
        before = await snapshot()
        response = await client.post(f"/api/v1/concerns/{dup}/merge", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert await snapshot() == before
    # dup2 into dup, then dup into survivor: dup2 now points at the survivor too (no chains).
    assert (
        await client.post(f"/api/v1/concerns/{dup2}/merge", json={"into": dup}, headers=party)
    ).status_code == 200
    response = await client.post(f"/api/v1/concerns/{dup}/merge", json={"into": survivor}, headers=party)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["status"] == "merged" and data["merged_into"]["id"] == survivor
    assert (await Concern.get(id=dup2)).merged_into_id == survivor
    # Merging into a merged concern is refused; a merged concern cannot be merged again.
    assert (
        await client.post(f"/api/v1/concerns/{survivor}/merge", json={"into": dup}, headers=party)
    ).status_code == 409
    assert (
        await client.post(f"/api/v1/concerns/{dup}/merge", json={"into": survivor}, headers=party)
    ).status_code == 409
    assert (
        await client.post(f"/api/v1/concerns/{dup}/status", json={"to": "accepted"}, headers=party)
    ).status_code == 409
    # The merged ones follow the survivor's status, and their submitter may give feedback once it is resolved.
    assert (
        await client.post(f"/api/v1/concerns/{dup}/feedback", json={"satisfied": True}, headers=bob)
    ).status_code == 409
    await client.post(
        f"/api/v1/concerns/{survivor}/status", json={"to": "resolved", "note": "电梯已大修"}, headers=party
    )
    seen = (await client.get(f"/api/v1/concerns/{dup}", headers=bob)).json()
    assert seen["status"] == "merged" and seen["effective_status"] == "resolved"
    response = await client.post(
        f"/api/v1/concerns/{dup}/feedback", json={"satisfied": False, "comment": "还会坏"}, headers=bob
    )
    assert response.status_code == 200 and response.json()["feedback"]["satisfied"] is False
    history = (await client.get(f"/api/v1/concerns/{survivor}", headers=party)).json()["history"]
    assert [h["action"] for h in history] == ["received", "merged_in", "status"]


async def test_feedback_only_by_the_submitter_once_resolved(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob, party = await heads(client, w, "alice", "bob", "party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    early = await client.post(f"/api/v1/concerns/{cid}/feedback", json={"satisfied": True}, headers=alice)
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_resolved"
    await client.post(
        f"/api/v1/concerns/{cid}/status", json={"to": "resolved", "note": "修好了"}, headers=party
    )
    for headers, body, status in [
        (bob, {"satisfied": True}, 403),
        (party, {"satisfied": True}, 403),
        (alice, {}, 422),
        (alice, {"satisfied": "yes"}, 422),
        (alice, {"satisfied": True, "comment": 5}, 422),
    ]:
        response = await client.post(f"/api/v1/concerns/{cid}/feedback", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
    done = await client.post(
        f"/api/v1/concerns/{cid}/feedback", json={"satisfied": True, "comment": "谢谢"}, headers=alice
    )
    assert done.status_code == 200
    assert done.json()["feedback"]["satisfied"] is True and done.json()["feedback"]["comment"] == "谢谢"
    again = await client.post(f"/api/v1/concerns/{cid}/feedback", json={"satisfied": False}, headers=alice)
    assert again.status_code == 409 and again.json()["error"]["code"] == "feedback_given"
    assert (await Concern.get(id=cid)).feedback_satisfied is True


async def test_official_replies(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party, committee = await heads(client, w, "alice", "party", "committee")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    assert (
        await client.post(f"/api/v1/concerns/{cid}/replies", json={"body": "我也来说"}, headers=alice)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/concerns/{cid}/replies", json={"body": " "}, headers=party)
    ).status_code == 422
    for headers in (party, committee):
        response = await client.post(
            f"/api/v1/concerns/{cid}/replies", json={"body": f"已联系物业 {XSS[0]}"}, headers=headers
        )
        assert response.status_code == 201
    replies = (await client.get(f"/api/v1/concerns/{cid}", headers=alice)).json()["replies"]
    assert [r["as"] for r in replies] == ["party", "committee"]
    for r in replies:
        assert_no_xss(r["body_html"])


async def test_list_filters_and_bad_filters(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await heads(client, w, "alice", "party")
    one = (await raise_concern(client, alice, "sunny"))["id"]
    two = (await raise_concern(client, alice, "sunny", category="health", kind="wish"))["id"]
    await client.post(f"/api/v1/concerns/{one}/status", json={"to": "accepted"}, headers=party)
    get = lambda q: client.get(f"/api/v1/halls/sunny/concerns?{q}", headers=alice)  # noqa: E731
    assert [c["id"] for c in (await get("status=accepted")).json()["concerns"]] == [one]
    assert [c["id"] for c in (await get("status=open")).json()["concerns"]] == [two, one]
    assert [c["id"] for c in (await get("category=health")).json()["concerns"]] == [two]
    assert [c["id"] for c in (await get("kind=wish")).json()["concerns"]] == [two]
    for bad in ("status=bogus", "category=bogus", "kind=bogus", "q=" + "x" * 101):
        assert (await get(bad)).status_code == 422, bad


async def test_a_community_hall_has_no_concerns_of_its_own(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    from tests.proposals.factories import make_hall, member

    community = await make_hall("town", "community")
    await member("town-resident", community)
    headers = await api(client, "town-resident")
    response = await client.post("/api/v1/halls/town/concerns", json=concern_data(), headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_a_compound"


async def test_set_status_is_the_one_write_path_for_other_features(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    """What the implementation feature calls when an implementation is accepted: no actor, the same
    history, timestamps, audit and live event as a moderator's step, and the same refusals."""
    from agora.concerns import services

    alice, party = await heads(client, w, "alice", "party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    await client.post(f"/api/v1/concerns/{cid}/status", json={"to": "accepted"}, headers=party)
    concern = await Concern.get(id=cid)
    done = await services.set_status(concern, "resolved", "落实项目已验收", None)
    assert done.status == "resolved" and done.resolved_at is not None and done.closed_at == done.resolved_at
    assert done.accepted_at is not None and done.resolved_at >= done.accepted_at >= done.created_at
    data = (await client.get(f"/api/v1/concerns/{cid}", headers=alice)).json()
    assert data["history"][-1] == {
        **data["history"][-1],
        "status": "resolved",
        "by": None,
        "note": "落实项目已验收",
    }
    entry = await AuditEntry.filter(action="concern.status", object_id=str(cid)).order_by("-id").first()
    assert entry is not None and entry.actor_id is None and entry.detail["to"] == "resolved"
    assert await LiveEvent.filter(type="concern.updated").count() == 2
    with pytest.raises(Conflict) as refused:
        await services.set_status(done, "received", "", None)
    assert refused.value.status == 409 and refused.value.code == "transition_not_allowed"


async def test_concerns_raised_at_once_get_distinct_numbers(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    heads_ = await heads(client, w, "alice", "bob", "tenant", "canvasser", "party")
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/halls/sunny/concerns", json=concern_data(title=f"同时提交 {n}"), headers=h)
            for n, h in enumerate(heads_ * 2)
        ]
    )
    assert [r.status_code for r in responses] == [201] * 10, [
        r.text for r in responses if r.status_code != 201
    ]
    refs = sorted(int(r.json()["ref"].rsplit("-", 1)[1]) for r in responses)
    assert refs == list(range(1, 11))

"""Search in Chinese over a compound's concerns and proposals, the raise form's suggestions, and a
proposal naming the concern it answers."""

from __future__ import annotations

import httpx
import pytest

from agora.concerns.models import SearchDoc
from agora.proposals.models import Proposal
from tests.concerns.factories import api, raise_concern, world
from tests.proposals.factories import proposal_data


@pytest.fixture
async def w(server):  # type: ignore[no-untyped-def]
    return await world("sunny")


async def search(client: httpx.AsyncClient, headers: dict[str, str], q: str, slug: str = "sunny") -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/api/v1/halls/{slug}/concerns/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_words_not_substrings_ranked_by_weight(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice = await api(client, "sunny-alice")
    lift = (await raise_concern(client, alice, "sunny", title="3号楼电梯经常停运", body="电梯这周坏了三次"))[
        "id"
    ]
    stairs = (await raise_concern(client, alice, "sunny", title="楼梯扶手松了", body="二楼到三楼的扶手摇晃"))[
        "id"
    ]
    light = (
        await raise_concern(
            client, alice, "sunny", title="楼道灯不亮", body="晚上回家看不见台阶，电梯口也很黑"
        )
    )["id"]
    found = await search(client, alice, "电梯坏了")
    ids = [c["id"] for c in found["concerns"]]
    assert ids[0] == lift and light in ids and stairs not in ids  # 楼梯 is not 电梯, whatever LIKE would say
    assert "电梯" in found["words"]
    assert [c["id"] for c in (await search(client, alice, "扶手"))["concerns"]] == [stairs]
    assert light in [c["id"] for c in (await search(client, alice, "灯"))["concerns"]]
    assert (await search(client, alice, "   "))["concerns"] == []
    response = await client.get("/api/v1/halls/sunny/concerns", params={"q": "电梯"}, headers=alice)
    assert [c["id"] for c in response.json()["concerns"]][0] == lift


async def test_private_concerns_are_found_only_by_who_may_see_them(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob, party = [await api(client, f"sunny-{n}") for n in ("alice", "bob", "party")]
    secret = (await raise_concern(client, alice, "sunny", title="邻居噪音扰民", visibility="moderators"))[
        "id"
    ]
    assert (await search(client, bob, "噪音"))["concerns"] == []
    assert [c["id"] for c in (await search(client, alice, "噪音"))["concerns"]] == [secret]
    assert [c["id"] for c in (await search(client, party, "噪音"))["concerns"]] == [secret]
    await world("other")
    stranger = await api(client, "other-party")
    assert (await search(client, stranger, "噪音", "other"))["concerns"] == []
    response = await client.get("/api/v1/halls/sunny/concerns/search", params={"q": "噪音"}, headers=stranger)
    assert response.status_code == 404


async def test_proposals_are_searched_too_and_reindexed_when_changed(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice = await api(client, "sunny-alice")
    created = await client.post(
        "/api/v1/halls/sunny/proposals",
        json=proposal_data(title="东门加装电动车充电桩", body="解决电动车停进楼道的安全隐患"),
        headers=alice,
    )
    pid = created.json()["id"]
    found = await search(client, alice, "充电桩")
    assert [p["id"] for p in found["proposals"]] == [pid] and found["proposals"][0]["title"].startswith(
        "东门"
    )
    # A proposal of a building of the compound is found from the compound's hall.
    other = await client.post(
        "/api/v1/halls/sunny-b1/proposals",
        json=proposal_data(title="1号楼充电桩位置"),
        headers=await api(client, "sunny-tenant"),
    )
    assert other.status_code == 201, other.text
    assert {p["id"] for p in (await search(client, alice, "充电桩"))["proposals"]} == {
        pid,
        other.json()["id"],
    }
    # A changed text is indexed again (the index keeps the digest of what it read).
    await Proposal.filter(id=pid).update(title="东门增设自行车棚")
    assert pid not in [p["id"] for p in (await search(client, alice, "充电桩"))["proposals"]]
    assert [p["id"] for p in (await search(client, alice, "自行车棚"))["proposals"]] == [pid]
    assert await SearchDoc.filter(doc_kind="proposal").count() == 2


async def test_the_raise_form_suggests_similar_concerns(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await api(client, "sunny-alice"), await api(client, "sunny-bob")
    lift = (await raise_concern(client, alice, "sunny", title="3号楼电梯经常停运", body="电梯这周坏了三次"))[
        "id"
    ]
    await raise_concern(client, alice, "sunny", title="垃圾分类点太远", body="老人倒垃圾不方便")
    page = await client.get("/halls/sunny/concerns/similar", params={"title": "电梯又停运了"}, headers=bob)
    assert page.status_code == 200
    assert f'href="/concerns/{lift}"' in page.text and "垃圾" not in page.text
    empty = await client.get("/halls/sunny/concerns/similar", params={"title": "绿化"}, headers=bob)
    assert "/concerns/" not in empty.text


async def test_a_proposal_names_the_concern_it_answers(client: httpx.AsyncClient, w) -> None:  # type: ignore[no-untyped-def]
    alice, party = await api(client, "sunny-alice"), await api(client, "sunny-party")
    cid = (await raise_concern(client, alice, "sunny"))["id"]
    created = await client.post(
        "/api/v1/halls/sunny/proposals", json=proposal_data(concern=cid), headers=party
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=alice)).json()["concern"] == cid
    data = (await client.get(f"/api/v1/concerns/{cid}", headers=alice)).json()
    assert [p["id"] for p in data["proposals"]] == [pid]
    assert data["history"][-1]["action"] == "proposal" and data["history"][-1]["note"] == str(pid)
    # Another compound's concern, a missing one, a private one the author cannot see: 422, no proposal.
    await world("other")
    theirs = (await raise_concern(client, await api(client, "other-alice"), "other"))["id"]
    private = (await raise_concern(client, party, "sunny", visibility="moderators"))["id"]
    before = await Proposal.all().count()
    for bad in (theirs, 999999, "x", private):
        response = await client.post(
            "/api/v1/halls/sunny/proposals", json=proposal_data(concern=bad), headers=alice
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["fields"] == {"concern": "unknown"}
    assert await Proposal.all().count() == before

"""Proposals through the JSON API: drafting rules, visibility, seconds and the lifecycle's refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from agora import clock
from agora.audit.models import AuditEntry
from agora.clock import LOCAL_TZ
from agora.proposals.lifecycle import earliest_voting_start
from agora.proposals.models import Proposal
from tests.proposals.factories import XSS_ALL, add_unit, api, assert_no_xss, create, make_hall, member, move


@pytest.fixture
async def hall(server):  # type: ignore[no-untyped-def]
    compound = await make_hall("sunny")
    await member("author", compound)
    await member("neighbour", compound)
    await member("party", compound, "moderator")
    await member("tenant", compound, "tenant")
    return compound


async def test_draft_and_read_back_with_sanitized_body(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    headers = await api(client, "author")
    pid = await create(client, headers, "sunny")
    response = await client.get(f"/api/v1/proposals/{pid}", headers=headers)
    assert response.status_code == 200
    data = response.json()
    assert data["hall"] == "sunny" and data["state"] == "draft" and data["matter"] == "consultation"
    assert data["title"].startswith("停车位") and XSS_ALL[:20] in data["title"]
    assert_no_xss(data["body_html"])
    assert '<a href="https://example.com" rel="nofollow noopener">ok</a>' in data["body_html"]
    assert "<strong>增加车位</strong>" in data["body_html"]
    assert [step["state"] for step in data["timeline"]] == ["draft"]
    contract = "id hall title body_html matter item state options notice_at opens_at closes_at timeline"
    assert set(data) >= set(contract.split())
    listing = await client.get("/api/v1/halls/sunny/proposals?state=draft", headers=headers)
    assert [p["id"] for p in listing.json()["proposals"]] == [pid]
    assert (await client.get("/api/v1/halls/sunny/proposals?state=voting", headers=headers)).json()[
        "proposals"
    ] == []
    assert await AuditEntry.filter(action="proposal.create", object_id=str(pid)).exists()


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"matter": "major", "item": 4, "options": []}, "item"),  # item 4 is ordinary
        ({"matter": "ordinary", "item": 7, "options": []}, "item"),  # item 7 is major
        ({"matter": "ordinary", "item": None, "options": []}, "item"),
        ({"matter": "consultation", "item": 6}, "item"),
        ({"matter": "ordinary", "item": 10, "options": []}, "item"),
        ({"matter": "major", "item": 7}, "options"),  # owners' matters are yes/no/abstain
        ({"options": [{"key": "a", "label": "x"}]}, "options"),
        ({"options": [{"key": f"k{n}", "label": "x"} for n in range(11)]}, "options"),
        ({"options": [{"key": "a", "label": "x"}, {"key": "a", "label": "y"}]}, "options"),
        ({"options": [{"key": "a", "label": ""}, {"key": "b", "label": "y"}]}, "options"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"category": "bogus"}, "category"),
        ({"matter": "bogus"}, "matter"),
        ({"entrance": "1"}, "entrance"),  # entrances belong to building halls
    ],
)
async def test_invalid_drafts_are_refused_422(client: httpx.AsyncClient, hall, overrides, field) -> None:  # type: ignore[no-untyped-def]
    headers = await api(client, "author")
    from tests.proposals.factories import proposal_data

    response = await client.post(
        "/api/v1/halls/sunny/proposals", json=proposal_data(**overrides), headers=headers
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert await Proposal.all().count() == 0


async def test_limits_are_inclusive_and_items_map_to_matters(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    headers = await api(client, "author")
    await create(client, headers, "sunny", title="x" * 200, body="y" * 20_000)
    for item in (6, 7, 8):
        await create(client, headers, "sunny", matter="major", item=item, options=[])
    for item in (1, 2, 3, 4, 5, 9):
        await create(client, headers, "sunny", matter="ordinary", item=item, options=[])
    await create(client, headers, "sunny", options=[{"key": f"k{n}", "label": "x"} for n in range(10)])


async def test_entrance_must_exist_in_the_building(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    building = await make_hall("sunny-3", "building", parent=hall)
    await add_unit(hall, building, "3-1-101", entrance="1")
    headers = await api(client, "author")
    pid = await create(client, headers, "sunny-3", matter="major", item=7, options=[], entrance="1")
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=headers)).json()["entrance"] == "1"
    missing = await client.post(
        "/api/v1/halls/sunny-3/proposals",
        json={"title": "t", "body": "b", "matter": "major", "item": 7, "entrance": "9"},
        headers=headers,
    )
    assert missing.status_code == 422 and missing.json()["error"]["fields"] == {"entrance": "unknown"}


async def test_strangers_get_404_for_hall_and_proposal(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    other = await make_hall("rainy")
    await member("outsider", other, "moderator")
    pid = await create(client, await api(client, "author"), "sunny")
    headers = await api(client, "outsider")
    assert (await client.get(f"/api/v1/proposals/{pid}", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/halls/sunny/proposals", headers=headers)).status_code == 404
    assert (await move(client, headers, pid, "consultation")).status_code == 404
    assert (await client.post(f"/api/v1/proposals/{pid}/second", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/proposals/999999", headers=headers)).status_code == 404
    assert (await client.get(f"/api/v1/proposals/{pid}")).status_code == 401


async def test_seconds_once_per_member_not_by_the_author_only_drafts(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    author = await api(client, "author")
    pid = await create(client, author, "sunny")
    own = await client.post(f"/api/v1/proposals/{pid}/second", headers=author)
    assert own.status_code == 409 and own.json()["error"]["code"] == "own_proposal"
    neighbour = await api(client, "neighbour")
    first = await client.post(f"/api/v1/proposals/{pid}/second", headers=neighbour)
    assert first.status_code == 200 and first.json() == {"seconds": 1}
    again = await client.post(f"/api/v1/proposals/{pid}/second", headers=neighbour)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_seconded"
    tenant = await api(client, "tenant")
    assert (await client.post(f"/api/v1/proposals/{pid}/second", headers=tenant)).json() == {"seconds": 2}
    assert (await move(client, await api(client, "party"), pid, "consultation")).status_code == 200
    late = await client.post(f"/api/v1/proposals/{pid}/second", headers=await api(client, "neighbour"))
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_draft"


async def test_roles_and_states_refuse_with_409(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    author, party = await api(client, "author"), await api(client, "party")
    pid = await create(client, author, "sunny", matter="major", item=7, options=[])
    refused = await move(client, author, pid, "consultation")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "transition_not_allowed"
    assert (await move(client, party, pid, "notice")).status_code == 409  # no skipping consultation
    assert (await move(client, party, pid, "consultation")).status_code == 200
    assert (
        await move(client, party, pid, "voting", closes_at="2030-01-01T00:00:00+08:00")
    ).status_code == 409
    assert (await move(client, party, pid, "certified")).status_code == 409
    assert (await move(client, party, pid, "bogus")).status_code == 422
    no_reason = await move(client, party, pid, "rejected")
    assert no_reason.status_code == 422 and no_reason.json()["error"]["fields"] == {"reason": "required"}
    closes = (earliest_voting_start(clock.now(), 15) + timedelta(days=7)).isoformat()
    notice = await move(client, party, pid, "notice", closes_at=closes)
    assert notice.status_code == 200 and notice.json()["notice_at"]
    assert [s["state"] for s in notice.json()["timeline"]] == ["draft", "consultation", "notice"]
    assert notice.json()["timeline"][-1]["by"].startswith("party")


async def test_author_withdraws_moderator_rejects_with_a_public_reason(
    client: httpx.AsyncClient, hall
) -> None:  # type: ignore[no-untyped-def]
    author, party, neighbour = (
        await api(client, "author"),
        await api(client, "party"),
        await api(client, "neighbour"),
    )
    first = await create(client, author, "sunny")
    assert (await move(client, neighbour, first, "withdrawn")).status_code == 409
    withdrawn = await move(client, author, first, "withdrawn", reason="changed my mind")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert (await move(client, author, first, "draft")).status_code == 409
    second = await create(client, author, "sunny")
    rejected = await move(client, party, second, "rejected", reason=f"重复的提案 {XSS_ALL}")
    assert rejected.status_code == 200
    assert rejected.json()["timeline"][-1]["reason"].startswith("重复的提案")
    log = (await client.get("/api/v1/halls/sunny/moderation-log", headers=neighbour)).json()["entries"]
    assert log[0]["action"] == "reject" and log[0]["proposal"] == second


async def test_voting_waits_for_the_full_notice_period(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    await add_unit(hall, await make_hall("sunny-1", "building", parent=hall), "1-101")  # a roll to freeze
    author, party = await api(client, "author"), await api(client, "party")
    pid = await create(client, author, "sunny", matter="major", item=7, options=[])
    await move(client, party, pid, "consultation")
    start = earliest_voting_start(clock.now(), 15)
    assert start.tzinfo == LOCAL_TZ and start.hour == 0
    # The window (5 to 60 days) is announced with the notice and checked there.
    too_short = await move(client, party, pid, "notice", closes_at=(start + timedelta(days=4)).isoformat())
    assert too_short.status_code == 422 and too_short.json()["error"]["fields"] == {"closes_at": "too_early"}
    too_long = await move(client, party, pid, "notice", closes_at=(start + timedelta(days=61)).isoformat())
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"] == {"closes_at": "too_late"}
    missing = await move(client, party, pid, "notice")
    assert missing.status_code == 422 and missing.json()["error"]["fields"] == {"closes_at": "required"}
    assert (await Proposal.get(id=pid)).state == "consultation"
    closes = (start + timedelta(days=10)).isoformat()
    notice_at = datetime.fromisoformat(
        (await move(client, party, pid, "notice", closes_at=closes)).json()["notice_at"]
    )
    assert earliest_voting_start(notice_at, 15) == start
    clock.travel(start - clock.now() - timedelta(seconds=1))
    early = await move(client, party, pid, "voting")
    assert early.status_code == 409 and early.json()["error"]["code"] == "notice_period"
    assert (await Proposal.get(id=pid)).state == "notice"
    clock.travel(timedelta(seconds=1))
    party = await api(client, "party")  # a fresh token after 16 days
    opened = await move(client, party, pid, "voting")
    assert opened.status_code == 200, opened.text
    assert datetime.fromisoformat(
        opened.json()["closes_at"]
    ) == datetime.fromisoformat(closes)


async def test_a_longer_compound_notice_period_applies_to_its_buildings(
    client: httpx.AsyncClient, server
) -> None:  # type: ignore[no-untyped-def]
    compound = await make_hall("windy", notice_days=20, min_voting_days=7)
    building = await make_hall("windy-1", "building", parent=compound)
    await add_unit(compound, building, "1-101")  # a roll to freeze
    await member("mod", compound, "moderator")
    headers = await api(client, "mod")
    pid = await create(client, headers, "windy-1", matter="ordinary", item=4, options=[])
    await move(client, headers, pid, "consultation")
    start = earliest_voting_start(clock.now(), 20)
    short = await move(client, headers, pid, "notice", closes_at=(start + timedelta(days=6)).isoformat())
    assert short.status_code == 422  # min_voting_days = 7 from the compound's rules, from day 21
    notice = await move(client, headers, pid, "notice", closes_at=(start + timedelta(days=10)).isoformat())
    notice_at = datetime.fromisoformat(notice.json()["notice_at"])
    clock.travel(earliest_voting_start(notice_at, 15) - clock.now())
    headers = await api(client, "mod")
    early = await move(client, headers, pid, "voting")
    assert early.status_code == 409 and early.json()["error"]["code"] == "notice_period"
    clock.travel(earliest_voting_start(notice_at, 20) - clock.now())
    assert (await move(client, headers, pid, "voting")).status_code == 200
    assert building.compound_id == compound.id


async def test_consultations_go_to_voting_without_a_notice(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    party = await api(client, "party")
    pid = await create(client, party, "sunny")
    await move(client, party, pid, "consultation")
    assert (await move(client, party, pid, "notice")).status_code == 409
    short = await move(client, party, pid, "voting", closes_at=(clock.now() + timedelta(days=1)).isoformat())
    assert short.status_code == 422  # the window is checked before anything is opened


async def test_opening_and_closing_a_vote_uses_the_ballots_feature(client: httpx.AsyncClient, hall) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("agora.ballots.voting")
    party = await api(client, "party")
    pid = await create(client, party, "sunny")
    await move(client, party, pid, "consultation")
    closes = (clock.now() + timedelta(days=7)).isoformat()
    opened = await move(client, party, pid, "voting", closes_at=closes)
    assert opened.status_code == 200, opened.text
    assert opened.json()["state"] == "voting" and opened.json()["opens_at"] and opened.json()["closes_at"]
    closed = await move(client, party, pid, "closed")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"

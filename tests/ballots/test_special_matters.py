"""Special matters over HTTP: art. 279 unanimity of the interested owners, and an elevator's vote of
its entrance with the individual consent of the owners whose units it occupies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from agora import clock
from agora.ballots.models import Consent
from agora.proposals.calendar import earliest_voting_start
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, set_roles
from tests.rooms.factories import Compound, compound_with_roll


async def through_notice(compound: Compound, hall: str, data: dict[str, Any]) -> tuple[int, dict[str, str]]:
    client = compound.client
    party = await set_roles(compound, "party-1", "moderator")
    created = await client.post(f"/api/v1/halls/{hall}/proposals", json=data, headers=party)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    url = f"/api/v1/proposals/{pid}/transition"
    assert (await client.post(url, json={"to": "consultation"}, headers=party)).status_code == 200
    opens = earliest_voting_start(clock.now(), 15)
    closes = (opens + timedelta(days=7)).isoformat()
    notice = await client.post(url, json={"to": "notice", "closes_at": closes}, headers=party)
    assert notice.status_code == 200, notice.text
    clock.travel(opens - clock.now())
    assert (await client.post(url, json={"to": "voting"}, headers=party)).status_code == 200
    return pid, party


async def test_art_279_needs_every_interested_owner(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    base = {"title": "101室改为茶室", "body": "住改商", "matter": "unanimous", "options": []}
    missing = await client.post("/api/v1/halls/sunny/proposals", json=base, headers=compound.committee)
    assert missing.status_code == 422 and missing.json()["error"]["fields"] == {"affected": "required"}
    unknown = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={**base, "affected": ["A", "NOBODY"]},
        headers=compound.committee,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"] == {"affected": "unknown_owner"}
    pid, _party = await through_notice(compound, "sunny", {**base, "affected": ["A", "B", "E"]})
    a = await compound.owner("A", "owner-a")
    e = await compound.owner("E", "owner-e")
    url = f"/api/v1/proposals/{pid}/consents"
    ballot = await cast(client, pid, a, "yes")
    assert ballot.status_code in (403, 409, 422)  # consents, not ballots
    assert (await client.post(url, json={"consent": "yes"}, headers=a)).status_code == 422
    assert (await client.post(url, json={"consent": True}, headers=a)).status_code == 201
    again = await client.post(url, json={"consent": False}, headers=a)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    no_witness = await client.post(url, json={"owner_ref": "B", "consent": True}, headers=canvasser)
    assert no_witness.status_code == 422
    assert await Consent.filter(proposal_id=pid, owner_ref="B").count() == 0  # nothing half-written
    entered = await client.post(
        url, json={"owner_ref": "B", "consent": True, "witness": "网格员 李"}, headers=canvasser
    )
    assert entered.status_code == 201 and entered.json()["channel"] == "witnessed"
    assert (await client.post(url, json={"consent": False}, headers=e)).status_code == 201
    assert (
        await client.post(url, json={"owner_ref": "D", "consent": True, "witness": "李"}, headers=canvasser)
    ).status_code == 404
    named = (await client.get(url, headers=compound.committee)).json()["consents"]
    assert named["refused"] == ["E"] and named["consented"] == ["A", "B"] and not named["unanimous"]
    assert (await client.get(url, headers=a)).status_code == 403
    await close_now(await Proposal.get(id=pid))
    result = (await client.get(f"/api/v1/proposals/{pid}/result", headers=a)).json()
    assert result["outcome"] == "no_decision" and result["consents"]["refused"] == 1
    late = await client.post(
        url, json={"owner_ref": "B", "consent": True, "witness": "李"}, headers=canvasser
    )
    assert late.status_code == 409


async def test_elevator_vote_and_consents_of_occupied_units(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    building = compound.building("1")
    data = {"title": "1单元加装电梯", "body": "方案", "matter": "major", "item": 7, "category": "elevator"}
    no_entrance = await client.post(
        f"/api/v1/halls/{building}/proposals", json=data, headers=compound.committee
    )
    assert no_entrance.status_code == 422 and no_entrance.json()["error"]["fields"] == {
        "entrance": "required_for_elevator"
    }
    pid, _party = await through_notice(compound, building, {**data, "entrance": "1", "occupied": ["A"]})
    shown = (await client.get(f"/api/v1/proposals/{pid}", headers=compound.committee)).json()
    assert shown["occupied"] == ["A"] and shown["entrance"] == "1"
    a = await compound.owner("A", "owner-a")
    b = await compound.owner("B", "owner-b")
    for headers in (a, b):
        assert (await cast(client, pid, headers, "yes")).status_code == 201
    assert (
        await client.post(f"/api/v1/proposals/{pid}/consents", json={"consent": False}, headers=a)
    ).status_code == 201
    assert (
        await client.post(f"/api/v1/proposals/{pid}/consents", json={"consent": True}, headers=b)
    ).status_code == 403
    await close_now(await Proposal.get(id=pid))
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    assert record["result"]["outcome"] == "passed"  # the entrance vote itself passed
    owners = record["consents"].pop("owners")
    assert record["consents"] == {
        "required": 1,
        "consented": 0,
        "refused": 1,
        "pending": 0,
        "unanimous": False,
    }
    assert [(o["owner_ref"], o["answer"], o["channel"]) for o in owners] == [("A", "refused", "online")]
    record["consents"]["owners"] = owners
    assert record["verdict"]["outcome"] == "no_decision"  # held back by the refused consent
    assert record["scope"]["entrance"] == "1"
    # `agora verify` re-derives the verdict from the recount and the consents: it holds as written,
    # and a verdict claiming the vote alone (or consents that do not add up) fails.
    from agora.ballots.verify import verify_record

    report = verify_record(record)
    assert report.ok, report.problems
    assert not verify_record({**record, "verdict": {"outcome": "passed", "text": "通过"}}).ok
    assert not verify_record({**record, "consents": {**record["consents"], "refused": 0}}).ok

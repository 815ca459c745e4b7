"""Ballots under the procedure rules, over HTTP: spoiled paper ballots, a unit sold mid-vote, a roll
re-imported mid-vote, and proxies (authorization naming the proposal, identity for the cap, staff)."""

from __future__ import annotations

import httpx

from agora.ballots.models import BallotSlot, PaperBallot
from tests.ballots.factories import cast, close_now, paper, set_roles, set_rules, voting_proposal
from tests.rooms.factories import SMALL_ROWS, Row, compound_with_roll, import_roll, register, roll_csv
from tests.support import bearer


def proxy_for(pid: int, name: str = "王大妈", last4: str = "123X", **extra: object) -> dict[str, object]:
    return {"name": name, "id_last4": last4, "authorization": f"委托书 WT-7：第{pid}号议题的表决", **extra}


async def test_a_spoiled_paper_ballot_is_entered_and_counted_as_invalid(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    a = await compound.owner("A", "owner-a")
    spoiled = await paper(client, proposal.id, canvasser, "E", "invalid")
    assert spoiled.status_code == 201, spoiled.text
    online = await cast(client, proposal.id, a, "invalid")  # a spoiled ballot exists on paper only
    assert online.status_code == 422
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=a)).json()
    assert result["choices"]["invalid"] == {"persons": 1, "area": "120.00"}
    assert result["participating"] == {"persons": 1, "area": "120.00"}  # invalid ballots participate


async def test_a_unit_sold_during_the_vote(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    seller = await compound.owner("A", "owner-a")
    e = await compound.owner("E", "owner-e")
    assert (await cast(client, proposal.id, e, "yes")).status_code == 201
    # 1-101 sold by A to H; 2-101 sold by E (who has voted) to K.
    rows = [r for r in SMALL_ROWS if r.owner_ref not in ("A", "E")]
    rows += [Row("1", "101", "89.50", "H", "新业主"), Row("2", "101", "120.00", "K", "买家")]
    reimport = await import_roll(client, compound.admin, compound.slug, roll_csv(rows))
    assert reimport.status_code == 200, reimport.text
    invites = {i["owner_ref"]: i["code"] for i in reimport.json()["invites"]}
    for ref, login in (("H", "buyer-h"), ("K", "buyer-k")):
        assert (await register(client, invites[ref], login)).status_code == 201
    buyer_h, buyer_k = await bearer(client, "buyer-h"), await bearer(client, "buyer-k")

    refused = await cast(client, proposal.id, seller, "no")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "unit_sold"
    on_paper = await paper(client, proposal.id, canvasser, "A", "no")
    assert on_paper.status_code == 409 and on_paper.json()["error"]["code"] == "unit_sold"
    bought = await cast(client, proposal.id, buyer_h, "yes")
    assert bought.status_code == 201, bought.text
    assert bought.json()["area"] == "89.50" and bought.json()["persons"] == 1
    mine = await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=buyer_h)
    assert mine.status_code == 200 and mine.json()["channel"] == "online"  # (a secret vote shows no choice)
    # The seller E had voted: that ballot stands, the buyer is told.
    stands = await cast(client, proposal.id, buyer_k, "no")
    assert stands.status_code == 409 and stands.json()["error"]["code"] == "already_voted"
    slot = await BallotSlot.get(proposal_id=proposal.id, owner_ref="H")
    assert slot.channel == "online"
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=buyer_h)).json()
    assert result["totals"] == {"persons": 6, "area": "687.55"}  # the frozen roll's totals
    assert result["choices"]["yes"] == {"persons": 2, "area": "209.50"}


async def test_owners_on_the_frozen_roll_keep_their_vote_after_a_reimport(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    d = await compound.owner("D", "owner-d")
    g = await compound.owner("G", "owner-g")
    # A corrected roll leaves D's units out altogether, and G's shop now without an owner row.
    rows = [r for r in SMALL_ROWS if r.owner_ref not in ("D", "G")]
    assert (await import_roll(client, compound.admin, compound.slug, roll_csv(rows))).status_code == 200
    for headers in (d, g):
        voted = await cast(client, proposal.id, headers, "yes")
        assert voted.status_code == 201, voted.text
    assert (await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=d)).status_code == 200


async def test_proxies_name_the_proposal_and_the_cap_counts_identities(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, proxy_cap=2)
    proposal = await voting_proposal(compound)
    pid = proposal.id
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    vague = await paper(
        client, pid, canvasser, "A", "yes", proxy=proxy_for(pid, authorization="委托书：本议题")
    )
    assert vague.status_code == 422 and vague.json()["error"]["code"] == "authorization_not_for_proposal"
    no_id = await paper(
        client, pid, canvasser, "A", "yes", proxy={"name": "王大妈", "authorization": f"第{pid}号"}
    )
    assert no_id.status_code == 422 and "proxy.id_last4" in no_id.json()["error"]["fields"]
    for ref, name in (("A", "王大妈"), ("D", "王\u200b大\u3000妈")):
        entered = await paper(client, pid, canvasser, ref, "yes", proxy=proxy_for(pid, name))
        assert entered.status_code == 201, entered.text
    for name in ("王 大妈", "王\ufeff大妈", "ＷＡＮＧ"[:0] + "王大妈 "):
        third = await paper(client, pid, canvasser, "E", "yes", proxy=proxy_for(pid, name, last4="123x"))
        assert third.status_code == 409 and third.json()["error"]["code"] == "proxy_cap"
    other_person = await paper(client, pid, canvasser, "E", "yes", proxy=proxy_for(pid, last4="5678"))
    assert other_person.status_code == 201  # same name, another ID: another person
    staff = await paper(
        client, pid, canvasser, "G", "yes", proxy=proxy_for(pid, "物业小李", "0001", property_staff=True)
    )
    assert staff.status_code == 422 and staff.json()["error"]["code"] == "proxy_property_staff"
    assert await PaperBallot.filter(proposal_id=pid).count() == 3
    row = await PaperBallot.get(proposal_id=pid, owner_ref="D")
    assert row.proxy_key == "王大妈#123X" and row.proxy_name == "王\u200b大\u3000妈"


async def test_property_staff_may_be_proxies_when_the_rules_allow(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, proxy_bar_property_staff=False)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    staff = proxy_for(proposal.id, "物业小李", "0001", property_staff=True)
    assert (await paper(client, proposal.id, canvasser, "G", "yes", proxy=staff)).status_code == 201

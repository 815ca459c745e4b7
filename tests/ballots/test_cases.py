"""The published cases and the rules' corners end to end, and secrecy before the close."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import websockets

from agora.ballots.verify import verify_record
from tests.ballots.factories import (
    DEVELOPER_ROWS,
    cast,
    close_now,
    paper,
    set_roles,
    set_rules,
    simple_compound,
    voting_proposal,
)
from tests.rooms.factories import Compound, Row, compound_with_roll
from tests.support import browser_login


async def test_the_developers_unsold_units_are_one_person_and_that_flips_the_outcome(
    client: httpx.AsyncClient,
) -> None:
    """Shanghai No. 1 Intermediate Court (2019), in small: N = 5 persons (A-D and the developer), A = 800.

    All five vote, yes = A, B and the developer: 3 persons and 500.00 + ... = 600.00 m². Approval by area
    4·600 = 2400 >= 3·800 = 2400 holds, but by persons 4·3 = 12 < 3·5 = 15: no decision. Counted per
    unit (8 persons, 6 yes) it would have passed, 4·6 = 24 >= 24: the developer is one person.
    """
    compound = await simple_compound(client, DEVELOPER_ROWS)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    assert (await paper(client, proposal.id, canvasser, "DEV", "yes")).json()["area"] == "400.00"
    for ref, choice in (("A", "yes"), ("B", "yes"), ("C", "no"), ("D", "no")):
        assert (
            await cast(client, proposal.id, await compound.owner(ref, f"o-{ref}"), choice)
        ).status_code == 201
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)).json()
    assert result["totals"] == {"persons": 5, "area": "800.00"}
    assert result["outcome"] == "no_decision" and result["reason"] == "not_approved"
    tests = {t["name"]: t for t in result["tests"]}
    assert tests["approval_persons"] == {
        "name": "approval_persons",
        "value": "3/5",
        "required": ">= 3/4",
        "met": False,
    }
    assert tests["approval_area"]["value"] == "600.00/800.00" and tests["approval_area"]["met"] is True


async def test_an_ordinary_matter_needs_strictly_more_than_half(client: httpx.AsyncClient) -> None:
    rows = [Row("1", f"{n}01", "100.00", f"O{n}", f"业主{n}") for n in range(1, 5)]
    compound = await simple_compound(client, rows)
    proposal = await voting_proposal(compound, matter="ordinary", item=4)
    for n, choice in ((1, "yes"), (2, "yes"), (3, "no"), (4, "abstain")):
        await cast(client, proposal.id, await compound.owner(f"O{n}", f"owner{n}"), choice)
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)).json()
    assert result["outcome"] == "no_decision" and result["reason"] == "not_approved"  # 2·2 = 4, not > 4


async def test_undecided_parking_leaves_the_count_undetermined(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client, parking_counts=None)
    proposal = await voting_proposal(compound)
    await cast(client, proposal.id, await compound.owner("A", "o-a"), "yes")
    during = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)).json()
    assert during["turnout"]["persons_total"] is None and during["turnout"]["persons_needed"] is None
    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)).json()
    assert result["outcome"] == "undetermined" and result["totals"] == {"persons": None, "area": None}
    record = (
        await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=compound.committee)
    ).json()
    assert record["verdict"]["text"] == "无法确定"


async def test_deemed_participation_only_with_the_clause_and_proof_of_delivery(
    client: httpx.AsyncClient,
) -> None:
    compound = await compound_with_roll(client)
    clause = "《阳光花园业主大会议事规则》第十二条：已送达未表决的，视为同意多数意见。"
    await set_rules(compound, deemed_participation=clause)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    for ref in ("A", "B", "D"):
        await cast(client, proposal.id, await compound.owner(ref, f"o-{ref}"), "yes")
    delivered = await client.post(
        f"/api/v1/proposals/{proposal.id}/deliveries",
        json={"owner_ref": "DEV", "witness": "楼长"},
        headers=canvasser,
    )
    assert delivered.status_code == 201
    again = await client.post(
        f"/api/v1/proposals/{proposal.id}/deliveries",
        json={"owner_ref": "DEV", "witness": "楼长"},
        headers=canvasser,
    )
    assert again.status_code == 409
    await close_now(proposal)
    record = (
        await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=compound.committee)
    ).json()
    strict, deemed = record["result"], record["result"]["deemed"]
    assert strict["outcome"] == "no_decision" and strict["participating"]["persons"] == 3  # 9 < 12
    assert deemed["clause"] == clause and deemed["added"] == {"persons": 1, "area": "180.75"}
    assert deemed["participating"]["persons"] == 4 and deemed["deemed_choice"] == "yes"
    assert record["deemed_participation"]["units"] and verify_record(record).ok
    await browser_login(client, "sunny-committee")
    page = await client.get(f"/proposals/{proposal.id}/resolution")
    assert "已适用" in page.text and clause in page.text


async def _vote_and_look(client: httpx.AsyncClient, compound: Compound, choice: str) -> tuple[str, str, int]:
    proposal = await voting_proposal(compound)
    owners = [await compound.owner(ref, f"{compound.slug}-{ref}") for ref in ("A", "B", "D", "E")]
    for headers in owners:
        assert (await cast(client, proposal.id, headers, choice)).status_code == 201
    result = await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owners[0])
    await browser_login(client, f"{compound.slug}-committee")
    page = await client.get(f"/proposals/{proposal.id}/result")
    client.cookies.clear()
    section = re.search(r'<section class="card meter".*?</section>', page.text, re.S).group(0)  # type: ignore[union-attr]
    section = section.replace(f"turnout-{proposal.id}", "turnout-X")
    size = len(page.text.replace(str(proposal.id), "X").replace(compound.slug, "S"))
    return result.text, section, size


async def test_before_close_a_yes_heavy_and_a_no_heavy_vote_look_the_same(client: httpx.AsyncClient) -> None:
    first = await compound_with_roll(client, slug="sunny")
    second = await compound_with_roll(client, slug="rainy", admin=first.admin)
    yes_api, yes_meter, yes_size = await _vote_and_look(client, first, "yes")
    no_api, no_meter, no_size = await _vote_and_look(client, second, "no")
    assert yes_api == no_api and "yes" not in yes_api and "choices" not in yes_api
    assert yes_meter == no_meter
    assert yes_size == no_size


async def test_turnout_events_carry_participation_only(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    compound = await compound_with_roll(client)
    await set_rules(compound, ballot_secrecy="named")  # exact; a secret vote's steps: test_secret_votes.py
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "o-a")
    async with websockets.connect(
        f"{server.ws_url}/ws/halls/{compound.slug}?format=json", additional_headers=a
    ) as socket:
        await cast(client, proposal.id, a, "no")
        message: dict = {}
        while message.get("type") != "ballot.turnout":
            message = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))
    assert set(message) == {"type", "seq", "hall", "proposal", "turnout"}
    assert message["turnout"]["persons"] == 1 and message["seq"] is None
    assert "no" not in json.dumps(message["turnout"])


async def test_the_live_turnout_fragment_is_the_pages_fragment(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    from agora.ballots.live import render_turnout

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await cast(client, proposal.id, await compound.owner("A", "o-a"), "yes")
    turnout = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=compound.committee)).json()
    pushed = render_turnout(server.app.state.templates, {"proposal": proposal.id, **turnout})
    assert pushed is not None and 'hx-swap-oob="true"' in pushed and 'role="img"' in pushed
    await browser_login(client, "sunny-committee")
    page = await client.get(f"/proposals/{proposal.id}/result")
    shown = re.search(r'<section class="card meter".*?</section>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert pushed.replace(' hx-swap-oob="true"', "") == shown

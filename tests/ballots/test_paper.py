"""Paper ballots and proxies: canvassers only, one ballot per owner across channels, the proxy cap."""

from __future__ import annotations

import httpx

from agora.audit.models import AuditEntry
from agora.ballots.models import PaperBallot
from tests.ballots.factories import cast, paper, set_roles, set_rules, voting_proposal
from tests.rooms.factories import assert_escaped, compound_with_roll
from tests.support import browser_login, csrf_from


async def test_paper_after_online_and_online_after_paper_name_the_first_channel(
    client: httpx.AsyncClient,
) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    a = await compound.owner("A", "owner-a")
    e = await compound.owner("E", "owner-e")
    assert (await cast(client, proposal.id, a, "yes")).status_code == 201
    refused = await paper(client, proposal.id, canvasser, "A", "no")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_voted"
    assert "线上" in refused.json()["error"]["message"]
    entered = await paper(client, proposal.id, canvasser, "E", "no")
    assert entered.status_code == 201, entered.text
    assert entered.json()["area"] == "120.00" and entered.json()["receipt"]
    online = await cast(client, proposal.id, e, "yes")
    assert online.status_code == 409 and "纸质" in online.json()["error"]["message"]
    mine = (await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=e)).json()
    assert mine["channel"] == "paper" and mine["sealed"] is True  # entered sealed, like an online ballot
    audit = await AuditEntry.get(action="ballot.paper_entered")
    assert audit.detail["owner_ref"] == "E" and audit.detail["witness"] == "网格员 李"
    assert "choice" not in audit.detail


async def test_only_canvassers_enter_paper_and_owners_of_other_compounds_do_not_exist(
    client: httpx.AsyncClient,
) -> None:
    compound = await compound_with_roll(client)
    await compound_with_roll(client, slug="moon", name="月光小区", admin=compound.admin)
    proposal = await voting_proposal(compound)
    a = await compound.owner("A", "owner-a")
    assert (await paper(client, proposal.id, a, "E", "yes")).status_code == 403
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    unknown = await paper(client, proposal.id, canvasser, "NOBODY", "yes")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_owner"
    moon_canvasser = await set_roles(compound, "grid-moon", "canvasser", hall="moon")
    assert (await paper(client, proposal.id, moon_canvasser, "E", "yes")).status_code == 404
    no_witness = await paper(client, proposal.id, canvasser, "E", "yes", witness="")
    assert no_witness.status_code == 422
    bad_choice = await paper(client, proposal.id, canvasser, "E", "perhaps")
    assert bad_choice.status_code == 422


async def test_a_proxy_represents_at_most_the_cap(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, proxy_cap=2)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    proxy = {
        "name": "王 大妈",
        "id_last4": "201X",
        "authorization": f"委托书 WT-2026-01：第{proposal.id}号议题",
    }
    for ref in ("A", "D"):
        response = await paper(client, proposal.id, canvasser, ref, "yes", proxy=proxy)
        assert response.status_code == 201, response.text
        assert response.json()["channel"] == "proxy"
    third = await paper(
        client, proposal.id, canvasser, "E", "yes", proxy={**proxy, "name": "王  大妈 ", "id_last4": "201x"}
    )
    assert third.status_code == 409 and third.json()["error"]["code"] == "proxy_cap"
    assert "2" in third.json()["error"]["message"]
    incomplete = await paper(client, proposal.id, canvasser, "E", "yes", proxy={"name": "赵"})
    assert incomplete.status_code == 422
    assert await PaperBallot.filter(proposal_id=proposal.id).count() == 2


async def test_the_canvasser_page_records_a_ballot_on_a_phone(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await set_roles(compound, "grid-1", "canvasser")
    await browser_login(client, "grid-1")
    page = await client.get(f"/proposals/{proposal.id}/paper")
    assert page.status_code == 200 and 'name="witness"' in page.text
    assert_escaped(page.text)
    form = {
        "csrf_token": csrf_from(page.text),
        "owner_ref": "G",
        "choice": "abstain",
        "witness": "楼长 陈",
        "action": "ballot",
    }
    review = await client.post(f"/proposals/{proposal.id}/paper", data=form)
    # Nothing is recorded before the canvasser has seen who it is: name, unit and area.
    assert review.status_code == 200 and "请核对后录入" in review.text
    assert "孙记商铺，1幢 S01，45.00 平方米" in review.text and 'name="confirmed" value="1"' in review.text
    assert await PaperBallot.filter(proposal_id=proposal.id).count() == 0
    done = await client.post(f"/proposals/{proposal.id}/paper", data={**form, "confirmed": "1"})
    assert done.status_code == 200 and "孙记商铺，1幢 S01，45.00 平方米 的选票已录入" in done.text
    assert await PaperBallot.filter(proposal_id=proposal.id).count() == 1
    again = await client.post(
        f"/proposals/{proposal.id}/paper",
        data={
            "csrf_token": csrf_from(page.text),
            "owner_ref": "G",
            "choice": "yes",
            "witness": "陈",
            "action": "ballot",
            "confirmed": "1",
        },
    )
    assert again.status_code == 409 and "纸质" in again.text


async def test_the_canvasser_finds_the_owner_by_room_or_by_name(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await set_roles(compound, "grid-1", "canvasser")
    await set_roles(compound, "tenant-1", "tenant")
    await browser_login(client, "grid-1")
    url = f"/proposals/{proposal.id}/paper"
    by_room = await client.get(url, params={"q": "1幢2单元201室"})
    assert by_room.status_code == 200 and "赵六，1幢 201，75.00 平方米" in by_room.text
    assert "张三" not in by_room.text  # 1幢101 is another door
    assert_escaped(by_room.text)
    by_name = await client.get(url, params={"q": "李四"})
    assert "李四，1幢 102，102.30 平方米" in by_name.text and "王五" not in by_name.text
    nobody = await client.get(url, params={"q": "9-9-909"})
    assert "没有符合的业主" in nobody.text
    chosen = await client.get(url, params={"owner": "B"})
    assert 'name="owner_ref" value="B"' in chosen.text and "李四，1幢 102" in chosen.text
    # An owner who has voted is marked as such where the canvasser finds them.
    token = csrf_from(chosen.text)
    form = {"csrf_token": token, "owner_ref": "B", "choice": "yes", "witness": "陈", "action": "ballot"}
    assert (await client.post(url, data={**form, "confirmed": "1"})).status_code == 200
    again = await client.get(url, params={"q": "李四"})
    assert "已投票" in again.text
    # A tenant (not a canvasser) cannot search the roll's names.
    client.cookies.clear()
    await browser_login(client, "tenant-1")
    assert (await client.get(url, params={"q": "李四"})).status_code == 403

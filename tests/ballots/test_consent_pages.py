"""The consents page over HTTP: an owner answers the question asked of them (elevator, art. 279), a
canvasser or the committee enters one with a witness, the committee sees who answered what. The same
rules as `…/api/v1/proposals/{id}/consents`, which then shows what the page recorded."""

from __future__ import annotations

import httpx

from agora.ballots.models import Consent
from tests.ballots.factories import set_roles, voting_proposal
from tests.ballots.test_special_matters import through_notice
from tests.rooms.factories import assert_escaped, compound_with_roll
from tests.support import browser_login, csrf_from


async def test_an_occupied_units_owner_answers_once_on_the_page(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    building = compound.building("1")
    data = {"title": "1单元加装电梯", "body": "方案", "matter": "major", "item": 7, "category": "elevator"}
    pid, _party = await through_notice(compound, building, {**data, "entrance": "1", "occupied": ["A"]})
    await compound.owner("A", "owner-a")
    await compound.owner("B", "owner-b")
    url = f"/proposals/{pid}/consents"
    await browser_login(client, "owner-a")
    detail = await client.get(f"/proposals/{pid}")
    assert detail.status_code == 200 and f'href="{url}"' in detail.text and "个别同意" in detail.text
    page = await client.get(url)
    assert page.status_code == 200 and "您是否同意本议题？" in page.text and "加装电梯" in page.text
    assert "答复情况" not in page.text  # the named list is the committee's only
    assert_escaped(page.text)
    no_token = await client.post(url, data={"consent": "no"})
    assert no_token.status_code == 403
    assert await Consent.filter(proposal_id=pid).count() == 0
    token = csrf_from(page.text)
    nonsense = await client.post(url, data={"csrf_token": token, "consent": "maybe"})
    assert nonsense.status_code == 422 and await Consent.filter(proposal_id=pid).count() == 0
    refused = await client.post(url, data={"csrf_token": token, "consent": "no"})
    assert refused.status_code == 303 and refused.headers["location"] == f"{url}?recorded=1"
    shown = await client.get(refused.headers["location"])
    assert "答复已记录。" in shown.text and "您的房屋（A）：不同意" in shown.text
    assert "您是否同意本议题？" not in shown.text  # answered: no second question
    # A double tap, or a change of mind: the first signed answer stands and the page says so.
    again = await client.post(url, data={"csrf_token": token, "consent": "yes"})
    assert again.status_code == 409 and "以第一次签署的意见为准" in again.text
    assert [c.consent for c in await Consent.filter(proposal_id=pid)] == [False]
    named = (await client.get(f"/api/v1/proposals/{pid}/consents", headers=compound.committee)).json()
    assert named["consents"]["refused"] == ["A"] and named["consents"]["pending"] == []
    # An owner of the entrance whose unit the elevator does not occupy is not asked.
    client.cookies.clear()
    await browser_login(client, "owner-b")
    assert (await client.get(url)).status_code == 403
    page_b = await client.get(f"/proposals/{pid}")
    refused_b = await client.post(url, data={"csrf_token": csrf_from(page_b.text), "consent": "yes"})
    assert refused_b.status_code == 403 and await Consent.filter(proposal_id=pid).count() == 1
    # The same page of another compound's owner does not exist.
    client.cookies.clear()
    moon = await compound_with_roll(client, slug="moon", name="月光小区", admin=compound.admin)
    await moon.owner("A", "moon-a")
    await browser_login(client, "moon-a")
    assert (await client.get(url)).status_code == 404


async def test_canvasser_enters_with_a_witness_and_the_committee_sees_the_list(
    client: httpx.AsyncClient,
) -> None:
    compound = await compound_with_roll(client)
    base = {
        "title": "101室改为茶室",
        "body": "住改商",
        "matter": "unanimous",
        "options": [],
        "affected": ["A", "B", "E"],
    }
    pid, _party = await through_notice(compound, "sunny", base)
    await set_roles(compound, "grid-1", "canvasser")
    url = f"/proposals/{pid}/consents"
    await browser_login(client, "grid-1")
    page = await client.get(url)
    assert page.status_code == 200 and 'name="witness"' in page.text
    assert "答复情况" not in page.text and "您是否同意本议题？" not in page.text
    token = csrf_from(page.text)
    no_witness = await client.post(url, data={"csrf_token": token, "owner_ref": "B", "consent": "yes"})
    assert no_witness.status_code == 422 and 'value="B"' in no_witness.text  # the form is kept
    assert await Consent.filter(proposal_id=pid).count() == 0
    not_asked = await client.post(
        url, data={"csrf_token": token, "owner_ref": "D", "consent": "yes", "witness": "网格员 李"}
    )
    assert not_asked.status_code == 404 and await Consent.filter(proposal_id=pid).count() == 0
    entered = await client.post(
        url, data={"csrf_token": token, "owner_ref": "B", "consent": "yes", "witness": "网格员 李"}
    )
    assert entered.status_code == 303
    row = await Consent.get(proposal_id=pid, owner_ref="B")
    assert row.consent is True and row.channel == "witnessed" and row.witness == "网格员 李"
    api = (await client.get(f"/api/v1/proposals/{pid}/consents", headers=compound.committee)).json()
    assert api["consents"]["consented"] == ["B"] and api["consents"]["pending"] == ["A", "E"]
    # The committee enters one too, and reads who answered what, by name.
    client.cookies.clear()
    await browser_login(client, "sunny-committee")
    listed = await client.get(url)
    assert listed.status_code == 200 and 'name="witness"' in listed.text and "答复情况" in listed.text
    assert "共 3 人：1 人同意，0 人不同意，2 人未答复。" in listed.text
    assert "张三 (A)" in listed.text
    entered = await client.post(
        url,
        data={"csrf_token": csrf_from(listed.text), "owner_ref": "E", "consent": "no", "witness": "楼长 陈"},
    )
    assert entered.status_code == 303
    after = await client.get(entered.headers["location"])
    assert "共 3 人：1 人同意，1 人不同意，1 人未答复。" in after.text
    api = (await client.get(f"/api/v1/proposals/{pid}/consents", headers=compound.committee)).json()
    assert api["consents"]["refused"] == ["E"]
    english = await client.get(url, headers={"accept-language": "en"})
    assert "Who has answered" in english.text and "答复情况" not in english.text
    assert "1 consented, 1 refused, 1 not answered, of 3." in english.text
    assert "Enter an owner's consent with a witness" in english.text.replace("&#39;", "'")
    # A member who is neither asked nor entering one is refused; a proposal asking none has no page.
    client.cookies.clear()
    await set_roles(compound, "tenant-1", "tenant")
    await browser_login(client, "tenant-1")
    assert (await client.get(url)).status_code == 403
    client.cookies.clear()
    plain = await voting_proposal(compound)
    await browser_login(client, "sunny-committee")
    assert (await client.get(f"/proposals/{plain.id}/consents")).status_code == 404
    assert "/consents" not in (await client.get(f"/proposals/{plain.id}")).text

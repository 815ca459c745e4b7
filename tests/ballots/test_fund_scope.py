"""The maintenance-fund scope over HTTP: a spend (art. 278 item 5) is voted by the owners of the units it
charges, and only by them (docs/domain.md, "Who counts": Scope).

The roll: in building 1, A, B, C own one unit each, D owns two, the developer holds two unsold units,
G owns one; E (building 1) and F (building 2) are not charged. The charged units make N = 6 persons
(D once, the developer once) and A = 600 m²; the whole compound would make 8 and 800.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from agora import clock
from agora.ballots.verify import verify_record
from agora.proposals.calendar import earliest_voting_start
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, set_roles, simple_compound
from tests.ballots.pdftext import extract_text
from tests.rooms.factories import XSS, Compound, Row, assert_escaped, import_roll, roll_csv
from tests.support import browser_login, csrf_from

ROWS = [
    Row("1", "101", "100.00", "A", "甲"),
    Row("1", "102", "100.00", "B", "乙"),
    Row("1", "103", "100.00", "C", "丙"),
    Row("1", "104", "50.00", "D", "丁"),
    Row("1", "105", "50.00", "D", "丁"),
    Row("1", "106", "50.00", "DEV", "开发商", status="unsold"),
    Row("1", "107", "50.00", "DEV", "开发商", status="unsold"),
    Row("1", "108", "100.00", "G", "庚"),
    Row("1", "109", "100.00", "E", "戊"),
    Row("2", "101", "100.00", "F", "己"),
]
CHARGED = ["1/101", "1/102", "1/103", "1/104", "1/105", "1/106", "1/107", "1/108"]
SPEND = {
    "title": f"动用维修资金更换1幢屋面防水 {XSS}"[:200],
    "body": f"费用由1幢下列房屋分摊。{XSS}",
    "category": "maintenance_fund",
    "matter": "ordinary",
    "item": 5,
}


async def draft(client: httpx.AsyncClient, headers: dict[str, str], hall: str = "sunny", **extra: Any):
    return await client.post(f"/api/v1/halls/{hall}/proposals", json={**SPEND, **extra}, headers=headers)


async def through_notice(compound: Compound, ids: list[int], party: dict[str, str]) -> None:
    """Consultation, then the notice with its window, then (after the notice period) voting."""
    client = compound.client
    opens = earliest_voting_start(clock.now(), 15)
    closes = (opens + timedelta(days=7)).isoformat()
    for pid in ids:
        url = f"/api/v1/proposals/{pid}/transition"
        assert (await client.post(url, json={"to": "consultation"}, headers=party)).status_code == 200
        notice = await client.post(url, json={"to": "notice", "closes_at": closes}, headers=party)
        assert notice.status_code == 200, notice.text
    clock.travel(opens - clock.now())
    for pid in ids:
        url = f"/api/v1/proposals/{pid}/transition"
        opened = await client.post(url, json={"to": "voting"}, headers=party)
        assert opened.status_code == 200, opened.text


async def test_the_listed_units_are_checked_against_the_hall_roll_all_or_nothing(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    before = await Proposal.all().count()
    unknown = await draft(client, compound.committee, charged_units=["1/101", "1/999", "3/101"])
    assert unknown.status_code == 422, unknown.text
    error = unknown.json()["error"]
    assert error["fields"] == {"charged_units": "unknown_unit"}
    assert "1/999" in error["message"] and "3/101" in error["message"] and "1/101" not in error["message"]
    assert "房屋" in error["message"] or "名册" in error["message"]  # in the user's language (zh-CN)
    english = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={**SPEND, "charged_units": ["1/999"]},
        headers={**compound.committee, "Accept-Language": "en"},
    )
    assert english.status_code == 422 and "not on the roll" in english.json()["error"]["message"]
    empty = await draft(client, compound.committee, charged_units=[])
    assert empty.status_code == 422 and empty.json()["error"]["fields"] == {"charged_units": "empty"}
    twice = await draft(client, compound.committee, charged_units=["1/101", "1/101"])
    assert twice.status_code == 422 and twice.json()["error"]["fields"] == {"charged_units": "duplicate"}
    raising = await draft(client, compound.committee, item=6, matter="major", charged_units=["1/101"])
    assert raising.status_code == 422
    assert raising.json()["error"]["fields"] == {"charged_units": "only_fund_use"}
    other = await draft(client, compound.committee, category="facilities", charged_units=["1/101"])
    assert other.status_code == 422
    assert await Proposal.all().count() == before  # nothing half-written
    a = await compound.owner("A", "owner-a")
    by_owner = await draft(client, a, charged_units=["1/101"])
    assert by_owner.status_code == 403, by_owner.text
    created = await draft(client, compound.committee, charged_units=CHARGED)
    assert created.status_code == 201, created.text
    shown = (await client.get(f"/api/v1/proposals/{created.json()['id']}", headers=a)).json()
    assert shown["charged_units"] == CHARGED
    plain = await draft(client, a)  # without the list: the whole hall votes
    assert plain.status_code == 201
    assert (await client.get(f"/api/v1/proposals/{plain.json()['id']}", headers=a)).json()[
        "charged_units"
    ] is None
    # In a building hall the unit label alone names the unit; the list keeps the full names.
    building = compound.building("1")
    short = await draft(client, compound.committee, hall=building, charged_units=["101", "1/102"])
    assert short.status_code == 201, short.text
    assert (await client.get(f"/api/v1/proposals/{short.json()['id']}", headers=a)).json()[
        "charged_units"
    ] == ["1/101", "1/102"]
    elsewhere = await draft(client, compound.committee, hall=building, charged_units=["2/101"])
    assert elsewhere.status_code == 422 and "2/101" in elsewhere.json()["error"]["message"]


async def test_only_the_charged_units_vote_and_two_thirds_of_them_is_a_quorum(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    party = await set_roles(compound, "party-1", "moderator")
    met = await draft(client, party, charged_units=CHARGED)
    short = await draft(client, party, charged_units=CHARGED)
    assert met.status_code == 201 and short.status_code == 201, met.text
    whole = await draft(client, party)  # the same spend without the list: the whole compound votes
    met_id, short_id, whole_id = met.json()["id"], short.json()["id"], whole.json()["id"]
    await through_notice(compound, [met_id, short_id, whole_id], party)
    owners = {ref: await compound.owner(ref, f"owner-{ref.lower()}") for ref in "ABCDEFG"}
    for outsider in ("E", "F"):
        refused = await cast(client, met_id, owners[outsider], "yes")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "no_vote"
        assert "分摊维修资金的房屋" in refused.json()["error"]["message"]
    result = (await client.get(f"/api/v1/proposals/{met_id}/result", headers=owners["A"])).json()
    assert result["turnout"]["persons_total"] == 6 and result["turnout"]["area_total"] == "600.00"
    # Exactly two thirds of the charged units: 4 of 6 persons (D once, for two units), 400 of 600 m².
    for ref in "ABCD":
        assert (await cast(client, met_id, owners[ref], "yes")).status_code == 201
    for ref in "ABC":  # one person short
        assert (await cast(client, short_id, owners[ref], "yes")).status_code == 201
    await close_now(await Proposal.get(id=met_id))
    record = (await client.get(f"/api/v1/proposals/{met_id}/resolution", headers=owners["A"])).json()
    assert record["result"]["outcome"] == "passed", record["result"]
    assert record["roll"]["totals"] == {"persons": 6, "area": "600.00"}
    assert sorted(f"{u['building']}/{u['unit']}" for u in record["roll"]["units"]) == CHARGED
    assert record["scope"]["kind"] == "charged" and record["scope"]["charged_units"] == CHARGED
    assert record["proposal"]["charged_units"] == CHARGED
    report = verify_record(record)
    assert report.ok, report.problems
    missed = (await client.get(f"/api/v1/proposals/{short_id}/resolution", headers=owners["A"])).json()
    assert missed["result"]["outcome"] == "no_decision" and missed["result"]["reason"] == "quorum_not_met"
    pdf = await client.get(f"/proposals/{met_id}/resolution.pdf", headers=owners["A"])
    assert pdf.status_code == 200
    text = extract_text(pdf.content)
    assert "维修资金分摊范围：8 户" in text and "1/108" in text
    page = await client.get(f"/proposals/{met_id}/resolution", headers=owners["A"])
    assert page.status_code == 200 and "维修资金分摊范围" in page.text
    whole_record = (await client.get(f"/api/v1/proposals/{whole_id}/resolution", headers=owners["A"])).json()
    assert whole_record["roll"]["totals"] == {"persons": 8, "area": "800.00"}
    assert whole_record["scope"]["kind"] == "compound" and verify_record(whole_record).ok
    whole_page = await client.get(f"/proposals/{whole_id}/resolution", headers=owners["A"])
    assert whole_page.status_code == 200 and "维修资金分摊范围" not in whole_page.text


async def test_a_charged_unit_gone_from_the_roll_keeps_the_vote_from_opening(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    party = await set_roles(compound, "party-1", "moderator")
    created = await draft(client, party, charged_units=["1/101", "1/109"])
    pid = created.json()["id"]
    url = f"/api/v1/proposals/{pid}/transition"
    assert (await client.post(url, json={"to": "consultation"}, headers=party)).status_code == 200
    opens = earliest_voting_start(clock.now(), 15)
    closes = (opens + timedelta(days=7)).isoformat()
    assert (
        await client.post(url, json={"to": "notice", "closes_at": closes}, headers=party)
    ).status_code == 200
    rows = [r for r in ROWS if r.unit != "109"]
    assert (await import_roll(client, compound.committee, "sunny", roll_csv(rows))).status_code == 200
    clock.travel(opens - clock.now())
    refused = await client.post(url, json={"to": "voting"}, headers=party)
    assert refused.status_code == 409, refused.text
    assert (
        refused.json()["error"]["code"] == "charged_unit_gone"
        and "1/109" in refused.json()["error"]["message"]
    )
    assert (await Proposal.get(id=pid)).state == "notice"  # nothing half-written


async def test_the_charged_units_change_while_a_draft_and_are_fixed_at_notice(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    party = await set_roles(compound, "party-1", "moderator")
    a = await compound.owner("A", "owner-a")
    pid = (await draft(client, a)).json()["id"]  # an owner drafts; the Party branch lists the units
    url = f"/api/v1/proposals/{pid}/charged-units"
    by_owner = await client.put(url, json={"charged_units": ["1/101"]}, headers=a)
    assert by_owner.status_code == 403
    empty = await client.put(url, json={"charged_units": []}, headers=party)
    assert empty.status_code == 422 and empty.json()["error"]["fields"] == {"charged_units": "empty"}
    unknown = await client.put(url, json={"charged_units": ["1/101", "9/9"]}, headers=party)
    assert unknown.status_code == 422 and "9/9" in unknown.json()["error"]["message"]
    assert (await Proposal.get(id=pid)).charged_units is None  # all or nothing
    listed = await client.put(url, json={"charged_units": CHARGED[:4]}, headers=party)
    assert listed.status_code == 200 and listed.json()["charged_units"] == CHARGED[:4]
    transition = f"/api/v1/proposals/{pid}/transition"
    assert (await client.post(transition, json={"to": "consultation"}, headers=party)).status_code == 200
    assert (
        await client.put(url, json={"charged_units": CHARGED}, headers=compound.committee)
    ).status_code == 200
    closes = (earliest_voting_start(clock.now(), 15) + timedelta(days=7)).isoformat()
    notice = await client.post(transition, json={"to": "notice", "closes_at": closes}, headers=party)
    assert notice.status_code == 200, notice.text
    for body in ({"charged_units": CHARGED[:2]}, {"charged_units": None}):
        fixed = await client.put(url, json=body, headers=party)
        assert fixed.status_code == 409 and fixed.json()["error"]["code"] == "plan_fixed"
        assert "公告" in fixed.json()["error"]["message"]
    assert (await Proposal.get(id=pid)).charged_units == CHARGED
    other = (await draft(client, party, category="facilities")).json()["id"]
    wrong = await client.put(
        f"/api/v1/proposals/{other}/charged-units", json={"charged_units": ["1/101"]}, headers=party
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"] == {"charged_units": "only_fund_use"}


async def test_the_proposal_form_lists_the_charged_units_for_the_party_branch(
    client: httpx.AsyncClient,
) -> None:
    compound = await simple_compound(client, ROWS)
    await set_roles(compound, "party-1", "moderator")
    await compound.owner("A", "owner-a")
    async with httpx.AsyncClient(base_url=str(client.base_url)) as owner:
        await browser_login(owner, "owner-a")
        form = await owner.get("/halls/sunny/proposals/new")
        assert form.status_code == 200 and 'name="charged_units"' not in form.text
    async with httpx.AsyncClient(base_url=str(client.base_url)) as http:
        await browser_login(http, "party-1")
        form = await http.get("/halls/sunny/proposals/new")
        assert form.status_code == 200 and 'name="charged_units"' in form.text
        token = csrf_from(form.text)
        data = {"csrf_token": token, **{k: str(v) for k, v in SPEND.items()}}
        bad = await http.post("/halls/sunny/proposals", data={**data, "charged_units": "1/101\n1/999"})
        assert bad.status_code == 422 and "1/999" in bad.text
        assert_escaped(bad.text)
        created = await http.post(
            "/halls/sunny/proposals", data={**data, "charged_units": "1/101\n1/102，1/103"}
        )
        assert created.status_code == 303, created.text
        pid = int(created.headers["location"].rsplit("/", 1)[1])
        assert (await Proposal.get(id=pid)).charged_units == ["1/101", "1/102", "1/103"]
        page = await http.get(f"/proposals/{pid}")
        assert page.status_code == 200 and "1/101、1/102、1/103" in page.text


async def test_the_party_branch_changes_the_charged_units_on_a_page_until_the_notice(
    client: httpx.AsyncClient,
) -> None:
    """The form behind `PUT …/charged-units`, for phones and no JavaScript: prefilled, all or nothing,
    and a refused list comes back as typed with the reason in Chinese."""
    compound = await simple_compound(client, ROWS)
    party = await set_roles(compound, "party-1", "moderator")
    await compound.owner("A", "owner-a")
    pid = (await draft(client, party, charged_units=CHARGED[:2])).json()["id"]
    url = f"/proposals/{pid}/charged-units"
    async with httpx.AsyncClient(base_url=str(client.base_url)) as owner:
        await browser_login(owner, "owner-a")
        page = await owner.get(f"/proposals/{pid}")
        assert page.status_code == 200 and f'href="{url}"' not in page.text
        assert (await owner.get(url)).status_code == 403
        refused = await owner.post(url, data={"csrf_token": csrf_from(page.text), "charged_units": "1/101"})
        assert refused.status_code == 403
    async with httpx.AsyncClient(base_url=str(client.base_url)) as http:
        await browser_login(http, "party-1")
        detail = await http.get(f"/proposals/{pid}")
        assert f'href="/proposals/{pid}/charged-units"' in detail.text
        form = await http.get(url)
        assert form.status_code == 200 and ">1/101\n1/102</textarea>" in form.text
        assert_escaped(form.text)
        token = csrf_from(form.text)
        typed = "1/101\n1/999\n1/102"
        bad = await http.post(url, data={"csrf_token": token, "charged_units": typed})
        assert bad.status_code == 422 and "1/999" in bad.text and f">{typed}</textarea>" in bad.text
        assert "房屋" in bad.text or "名册" in bad.text
        assert (await Proposal.get(id=pid)).charged_units == CHARGED[:2]  # all or nothing
        saved = await http.post(url, data={"csrf_token": token, "charged_units": "\n".join(CHARGED)})
        assert saved.status_code == 303 and saved.headers["location"] == f"/proposals/{pid}"
        assert (await Proposal.get(id=pid)).charged_units == CHARGED
        again = await http.post(url, data={"csrf_token": token, "charged_units": "\n".join(CHARGED)})
        assert again.status_code == 303  # a double submit is harmless
        whole = await http.post(url, data={"csrf_token": token, "charged_units": ""})
        assert whole.status_code == 303 and (await Proposal.get(id=pid)).charged_units is None
        no_token = await http.post(url, data={"charged_units": "1/101"})
        assert no_token.status_code == 403 and (await Proposal.get(id=pid)).charged_units is None
        await http.post(url, data={"csrf_token": token, "charged_units": "1/101"})
        transition = f"/api/v1/proposals/{pid}/transition"
        assert (await client.post(transition, json={"to": "consultation"}, headers=party)).status_code == 200
        closes = (earliest_voting_start(clock.now(), 15) + timedelta(days=7)).isoformat()
        notice = await client.post(transition, json={"to": "notice", "closes_at": closes}, headers=party)
        assert notice.status_code == 200, notice.text
        assert f'href="/proposals/{pid}/charged-units"' not in (await http.get(f"/proposals/{pid}")).text
        fixed = await http.post(url, data={"csrf_token": token, "charged_units": "1/102"})
        assert fixed.status_code == 409 and "公告" in fixed.text and ">1/102</textarea>" in fixed.text
        assert (await Proposal.get(id=pid)).charged_units == ["1/101"]

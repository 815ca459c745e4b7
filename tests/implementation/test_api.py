"""Carrying a decision out, over HTTP: opening, updates with photos, quotes, the budget, acceptance.

Each refusal is checked for its status, its code and that nothing was written.
"""

from __future__ import annotations

import io
from datetime import timedelta

import httpx
from PIL import Image

from agora import clock
from agora.audit.models import AuditEntry
from agora.implementation.models import Implementation, ImplementationPhoto, ImplementationUpdate
from agora.implementation.services import sweep
from agora.live.models import LiveEvent
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, set_roles
from tests.implementation.factories import finalized, jpeg, opening, post_update, voted
from tests.rooms.factories import assert_escaped, compound_with_roll


async def test_opening_needs_a_final_passed_record_and_the_committee(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    # A vote that failed ("no decision made") is certified, but there is nothing to carry out.
    failed = await voted(client, compound, yes=False, title="否决的议题")
    response = await client.post(failed.url, json=opening(), headers=compound.committee)
    assert response.status_code == 409 and response.json()["error"]["code"] == "decision_not_final"
    # A passed vote whose record is still a draft: refused too.
    draft = await voted(client, compound, owners=failed.owners, certify=False, title="尚未公告")
    response = await client.post(draft.url, json=opening(), headers=compound.committee)
    assert response.status_code == 409 and response.json()["error"]["code"] == "decision_not_final"
    # Certified and posted, but only the preliminary record (its objection period still open): refused,
    # and the page offers no form to open it.
    decision = await voted(client, compound, owners=failed.owners, final=False)
    committee = compound.committee
    record = await client.get(f"/api/v1/proposals/{decision.proposal_id}/resolution", headers=committee)
    assert record.json()["status"] == "preliminary"
    response = await client.post(decision.url, json=opening(), headers=committee)
    assert response.status_code == 409 and response.json()["error"]["code"] == "decision_not_final"
    page = await client.get(f"/proposals/{decision.proposal_id}/implementation", headers=committee)
    assert page.status_code == 200 and 'name="lead"' not in page.text
    # The objection period over and the final record posted, the decision stands.
    await finalized(compound, decision.proposal_id, decision.owners)
    page = await client.get(f"/proposals/{decision.proposal_id}/implementation", headers=committee)
    assert page.status_code == 200 and 'name="lead"' in page.text
    owner = decision.owners["A"]
    assert (await client.post(decision.url, json=opening(), headers=owner)).status_code == 403
    assert (await client.get(decision.url, headers=owner)).status_code == 404
    assert await Implementation.all().count() == 0

    bad = [
        ({**opening(), "budget": "-5"}, "budget"),
        ({**opening(), "budget": 200000.0}, "budget"),
        ({**opening(), "budget": "190000.00"}, "funding"),  # funding adds up to 200,000
        ({**opening(), "lead": "nobody"}, "lead"),
        ({**opening(), "due_at": "next spring"}, "due_at"),
        ({**opening(), "funding": [{"source": "lottery", "amount": "200000"}]}, "funding"),
    ]
    for data, field in bad:
        response = await client.post(decision.url, json=data, headers=compound.committee)
        assert response.status_code == 422, (data, response.text)
        assert field in response.json()["error"]["fields"], response.text
    assert await Implementation.all().count() == 0

    response = await client.post(decision.url, json=opening(), headers=compound.committee)
    assert response.status_code == 201, response.text
    view = response.json()
    assert view["status"] == "planned" and view["progress"] == 0
    assert view["budget"] == "200000.00" and view["spent"] == "0.00"
    assert view["funding"] == [
        {"source": "maintenance_fund", "amount": "150000.00"},
        {"source": "self_raised", "amount": "50000.00"},
    ]
    assert view["spending_ceiling"] == "220000.00" and view["budget_margin_percent"] == 10
    assert view["milestones"] == [] and view["updates"] == []
    assert view["record"]["url"] == f"/proposals/{decision.proposal_id}/resolution"
    again = await client.post(decision.url, json=opening(), headers=compound.committee)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_open"
    assert await AuditEntry.filter(action="implementation.opened").count() == 1
    # An owner reads it; a member of another compound does not know it exists.
    assert (await client.get(decision.url, headers=owner)).json()["budget"] == "200000.00"
    other = await compound_with_roll(client, slug="rainy", name="雨花小区", admin=compound.admin)
    stranger = await other.owner("A", "rainy-a")
    assert (await client.get(decision.url, headers=stranger)).status_code == 404
    assert (await client.get(decision.url, headers=other.committee)).status_code == 404
    assert (
        await client.post(
            decision.url + "/milestones", json={"title": "x", "due_at": "2027-01-01"}, headers=other.committee
        )
    ).status_code == 404


async def test_updates_progress_money_and_photos(client: httpx.AsyncClient) -> None:
    decision = await voted(client)
    committee = decision.compound.committee
    lead = await set_roles(decision.compound, "lead-wang", "canvasser")
    assert (
        await client.post(decision.url, json=opening(lead="lead-wang"), headers=committee)
    ).status_code == 201
    owner = decision.owners["A"]
    seq_before = await LiveEvent.filter(type="implementation.update").count()

    # Only the committee or the named lead report.
    assert (await post_update(decision, owner)).status_code == 403
    response = await post_update(
        decision,
        lead,
        progress=30,
        spent="60000",
        photos=[jpeg((150, 60, 40))],
        stage="before",
        body="**拆除旧防水层** <script>alert(1)</script>",
    )
    assert response.status_code == 201, response.text
    view = (await client.get(decision.url, headers=owner)).json()
    assert view["status"] == "in_progress" and view["progress"] == 30 and view["spent"] == "60000.00"
    update = view["updates"][0]
    assert update["progress"] == 30 and update["spent"] == "60000.00" and update["by"].startswith("lead-wang")
    assert "<strong>拆除旧防水层</strong>" in update["body_html"] and "<script" not in update["body_html"]
    assert [p["stage"] for p in update["photos"]] == ["before"]
    photo = await client.get(update["photos"][0]["url"], headers=owner)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(photo.content))
    assert not image.getexif() and "exif" not in image.info  # the GPS position did not survive
    assert await LiveEvent.filter(type="implementation.update").count() == seq_before + 1
    event = await LiveEvent.filter(type="implementation.update").order_by("-id").first()
    assert event is not None and event.payload["summary"]["progress"] == 30

    refusals = [
        (dict(progress=101), 422, "progress_out_of_range"),
        (dict(progress=-1), 422, "progress_out_of_range"),
        (dict(progress=20), 422, "progress_backwards"),
        (dict(progress=40, spent="50000"), 422, "spent_backwards"),
        (dict(progress=40, spent="-3"), 422, "malformed_amount"),
        (dict(progress=40, spent="12.345"), 422, "malformed_amount"),
        (dict(progress=40, spent="220000.01"), 409, "over_budget"),  # 10 % over 200,000 is 220,000
        (dict(progress=40, stage="someday"), 422, "invalid"),
        (dict(progress=40, photos=[b"%PDF-1.4 not a photo"]), 422, "invalid"),
        (dict(progress=40, body=""), 422, "invalid"),
    ]
    for kwargs, status, code in refusals:
        response = await post_update(decision, committee, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, (kwargs, response.text)
        assert response.json()["error"]["code"] == code, (kwargs, response.text)
    assert await ImplementationUpdate.all().count() == 1 and await ImplementationPhoto.all().count() == 1

    # Going back with a note is allowed; so is spending up to the margin exactly.
    response = await post_update(decision, committee, progress=25, spent="220000.00", note="上次进度估计过高")
    assert response.status_code == 201, response.text
    view = (await client.get(decision.url, headers=owner)).json()
    assert view["progress"] == 25 and view["updates"][-1]["note"] == "上次进度估计过高"

    # Milestones.
    response = await client.post(
        decision.url + "/milestones", json={"title": "防水层施工", "due_at": "2027-03-01"}, headers=lead
    )
    assert response.status_code == 201, response.text
    mid = response.json()["id"]
    assert (
        await client.post(
            decision.url + "/milestones", json={"title": "x", "due_at": "2027-03-01"}, headers=owner
        )
    ).status_code == 403
    assert (
        await client.post(
            decision.url + "/milestones", json={"title": "", "due_at": "2027-03-01"}, headers=lead
        )
    ).status_code == 422
    done = await client.post(f"{decision.url}/milestones/{mid}/done", headers=committee)
    assert done.status_code == 200 and done.json()["milestones"][0]["done_at"] is not None
    assert (await client.post(f"{decision.url}/milestones/{mid}/done", headers=committee)).status_code == 409
    assert (await client.post(f"{decision.url}/milestones/999999/done", headers=committee)).status_code == 404


async def test_quotes_contract_and_a_new_budget_by_a_new_vote(client: httpx.AsyncClient) -> None:
    decision = await voted(client)
    committee = decision.compound.committee
    assert (await client.post(decision.url, json=opening(), headers=committee)).status_code == 201
    quotes = {}
    for supplier, amount in (("甲防水公司", "360000.00"), ("乙建筑", "170000"), ("丙工程", "220000.00")):
        response = await client.post(
            decision.url + "/quotes",
            json={"supplier": supplier, "amount": amount, "date": "2026-11-20"},
            headers=committee,
        )
        assert response.status_code == 201, response.text
        quotes[supplier] = response.json()["id"]
    bad = await client.post(
        decision.url + "/quotes",
        json={"supplier": "丁", "amount": "1.001", "date": "2026-11-20"},
        headers=committee,
    )
    assert bad.status_code == 422
    assert (
        await client.post(
            decision.url + "/quotes",
            json={"supplier": "丁", "amount": "1", "date": "11/20"},
            headers=committee,
        )
    ).status_code == 422
    owner = decision.owners["A"]
    assert (
        await client.post(f"{decision.url}/quotes/{quotes['乙建筑']}/choose", headers=owner)
    ).status_code == 403
    # 360,000 is beyond 200,000 + 10 %: refused until a new vote approves a higher budget.
    over = await client.post(f"{decision.url}/quotes/{quotes['甲防水公司']}/choose", headers=committee)
    assert over.status_code == 409 and over.json()["error"]["code"] == "over_budget"
    edge = await client.post(f"{decision.url}/quotes/{quotes['丙工程']}/choose", headers=committee)
    assert edge.status_code == 200 and [q["chosen"] for q in edge.json()["quotes"]] == [False, False, True]
    chosen = await client.post(f"{decision.url}/quotes/{quotes['乙建筑']}/choose", headers=committee)
    view = chosen.json()
    assert [(q["supplier"], q["amount"], q["chosen"]) for q in view["quotes"]] == [
        ("甲防水公司", "360000.00", False),
        ("乙建筑", "170000.00", True),
        ("丙工程", "220000.00", False),
    ]

    # A new budget needs a later vote of the hall whose record is final and passed.
    new_budget = {"budget": "400000.00", "funding": [{"source": "maintenance_fund", "amount": "400000.00"}]}
    refused = await client.post(
        decision.url + "/budget", json={**new_budget, "proposal": decision.proposal_id}, headers=committee
    )
    assert refused.status_code == 422
    failed = await voted(
        client, decision.compound, owners=decision.owners, yes=False, title="追加预算（未通过）"
    )
    refused = await client.post(
        decision.url + "/budget", json={**new_budget, "proposal": failed.proposal_id}, headers=committee
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "decision_not_final"
    raise_vote = await voted(client, decision.compound, owners=decision.owners, title="追加预算")
    assert (
        await client.post(
            decision.url + "/budget", json={**new_budget, "proposal": raise_vote.proposal_id}, headers=owner
        )
    ).status_code == 403
    amended = await client.post(
        decision.url + "/budget", json={**new_budget, "proposal": raise_vote.proposal_id}, headers=committee
    )
    assert amended.status_code == 200, amended.text
    assert (
        amended.json()["budget"] == "400000.00"
        and amended.json()["budget_amendments"][0]["old_budget"] == "200000.00"
    )
    assert (
        await client.post(f"{decision.url}/quotes/{quotes['甲防水公司']}/choose", headers=committee)
    ).status_code == 200


async def test_done_opens_the_acceptance_poll_and_residents_accept(client: httpx.AsyncClient) -> None:
    decision = await voted(client)
    committee = decision.compound.committee
    # The proposal answers a resident's concern (linked when it was drafted, by agora.concerns).
    raised = await client.post(
        "/api/v1/halls/sunny/concerns",
        json={"title": "屋顶漏水", "body": "顶层漏水严重", "category": "livelihood", "kind": "concern"},
        headers=decision.owners["B"],
    )
    assert raised.status_code == 201, raised.text
    concern_id = raised.json()["id"]
    await Proposal.filter(id=decision.proposal_id).update(concern_id=concern_id)
    assert (await client.post(decision.url, json=opening(), headers=committee)).status_code == 201
    assert (
        await post_update(
            decision,
            committee,
            progress=100,
            spent="180000.00",
            stage="after",
            photos=[jpeg((200, 200, 200))],
        )
    ).status_code == 201
    view = (await client.get(decision.url, headers=decision.owners["A"])).json()
    assert view["status"] == "done" and view["acceptance"]["state"] == "voting"
    poll = view["acceptance"]["proposal"]
    # Residents answer: three accept, one does not (3 / 4 = 0.750).
    for ref, choice in (("A", "accept"), ("B", "accept"), ("D", "accept"), ("E", "reject")):
        response = await cast(client, poll, decision.owners[ref], choice)
        assert response.status_code == 201, response.text
    assert await sweep() == (0, 0)  # the poll is still open
    assert await close_now(await Proposal.get(id=poll)) == 1
    assert await sweep() == (0, 1)
    view = (await client.get(decision.url, headers=decision.owners["A"])).json()
    assert view["status"] == "accepted"
    assert view["acceptance"] == {**view["acceptance"], "accepted": 3, "rejected": 1, "satisfaction": "0.750"}
    assert view["updates"][-1]["kind"] == "acceptance"
    concern = (await client.get(f"/api/v1/concerns/{concern_id}", headers=decision.owners["B"])).json()
    assert concern["status"] == "resolved" and "0.750" in concern["history"][-1]["note"]
    assert await sweep() == (0, 0)
    finished = await post_update(decision, committee, progress=100, spent="180000.00")
    assert finished.status_code == 409 and finished.json()["error"]["code"] == "already_accepted"


async def test_overdue_work_is_stalled_and_the_committee_reminded_once(client: httpx.AsyncClient) -> None:
    decision = await voted(client)
    committee = decision.compound.committee
    due = (clock.now() + timedelta(days=3)).date().isoformat()
    assert (await client.post(decision.url, json=opening(due_at=due), headers=committee)).status_code == 201
    assert await sweep() == (0, 0)
    clock.travel(timedelta(days=5))
    view = (await client.get(decision.url, headers=decision.owners["A"])).json()
    assert view["status"] == "stalled"
    events = await LiveEvent.filter(type="implementation.update").count()
    assert await sweep() == (1, 0)
    assert await sweep() == (0, 0)  # reminded once
    assert await LiveEvent.filter(type="implementation.update").count() == events + 1
    assert await AuditEntry.filter(action="implementation.stalled").count() == 1
    view = (await client.get(decision.url, headers=decision.owners["A"])).json()
    assert view["updates"][-1]["kind"] == "stalled" and view["status"] == "stalled"
    # Finishing the work ends the stall.
    assert (await post_update(decision, committee, progress=100, spent="1")).status_code == 201
    assert (await client.get(decision.url, headers=decision.owners["A"])).json()["status"] == "done"


async def test_pages_link_record_and_work_and_escape_everything(client: httpx.AsyncClient) -> None:
    from tests.support import browser_login, csrf_from

    decision = await voted(client)
    await browser_login(client, "sunny-committee")
    page = await client.get(f"/proposals/{decision.proposal_id}/implementation")
    assert page.status_code == 200 and 'name="lead"' in page.text
    assert_escaped(page.text)
    record = await client.get(f"/proposals/{decision.proposal_id}/resolution")
    assert f'href="/proposals/{decision.proposal_id}/implementation"' in record.text
    token = csrf_from(page.text)
    form = {
        "csrf_token": token,
        "lead": "sunny-committee",
        "due_at": "2027-06-30",
        "budget": "100000",
        "fund_maintenance_fund": "60000",
        "fund_public": "40000.00",
    }
    opened = await client.post(f"/proposals/{decision.proposal_id}/implementation", data=form)
    assert opened.status_code == 303, opened.text
    files = [("photos", ("a.jpg", jpeg((90, 90, 90)), "image/jpeg"))]
    posted = await client.post(
        f"/proposals/{decision.proposal_id}/implementation/updates",
        data={"csrf_token": token, "body": "清理屋面", "progress": "10", "spent": "5000", "stage": "before"},
        files=files,
    )
    assert posted.status_code == 303, posted.text
    page = await client.get(f"/proposals/{decision.proposal_id}/implementation")
    assert_escaped(page.text)
    assert "清理屋面" in page.text and 'value="10"' in page.text and "100000.00" in page.text
    assert f'href="/proposals/{decision.proposal_id}/resolution"' in page.text
    detail = await client.get(f"/proposals/{decision.proposal_id}")
    assert f'id="impl-summary-{decision.proposal_id}"' in detail.text and "60000.00" in detail.text
    # (The proposal's own body shows the payload's quotes as harmless text: only our section is checked.)
    summary = detail.text.split(f'id="impl-summary-{decision.proposal_id}"')[1].split("</section>")[0]
    assert_escaped(summary)
    # Without the CSRF token nothing is posted.
    refused = await client.post(
        f"/proposals/{decision.proposal_id}/implementation/updates",
        data={"body": "x", "progress": "20", "spent": "5000"},
    )
    assert refused.status_code == 403 and await ImplementationUpdate.all().count() == 1

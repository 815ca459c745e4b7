"""A whole owners' vote over HTTP: cast online, on paper and by proxy, close, count, certify, print."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from agora.ballots.verify import verify_record
from agora.live.models import LiveEvent
from agora.proposals.calendar import LOCAL_TZ
from agora.proposals.models import Proposal, ProposalTransition
from tests.ballots.factories import TITLE, cast, close_now, paper, set_roles, voting_proposal
from tests.ballots.pdftext import extract_text
from tests.rooms.factories import assert_escaped, compound_with_roll
from tests.support import browser_login


async def test_a_major_matter_from_first_ballot_to_posted_record(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    pid = proposal.id
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    a, b, d = [await compound.owner(ref, f"owner-{ref.lower()}") for ref in ("A", "B", "D")]
    receipts = {}
    for name, headers in (("A", a), ("B", b), ("D", d)):
        response = await cast(client, pid, headers, "yes")
        assert response.status_code == 201, response.text
        receipts[name] = response.json()["receipt"]
    assert (await paper(client, pid, canvasser, "E", "yes")).status_code == 201
    proxy = {"name": "周阿姨", "id_last4": "0007", "authorization": f"委托书 WT-7：第{pid}号议题表决"}
    assert (await paper(client, pid, canvasser, "G", "no", proxy=proxy)).status_code == 201

    # While voting: turnout only; no ledger, no record.
    during = (await client.get(f"/api/v1/proposals/{pid}/result", headers=a)).json()
    published = during.pop("roll_fingerprint")  # the frozen roll's public fingerprint, from the opening
    assert len(published) == 64 and int(published, 16) >= 0
    assert during == {
        "state": "voting",
        "turnout": {
            "persons": 5,  # a secret vote's turnout moves in steps: five persons, 100 m² (1% is less)
            "area": "500.00",  # 506.80 m² have voted
            "persons_total": 6,
            "area_total": "687.55",
            "persons_needed": 4,
            "area_needed": "458.37",
        },
    }
    ledger = await client.get(f"/api/v1/proposals/{pid}/ledger", headers=a)
    assert ledger.status_code == 409 and ledger.json()["error"]["code"] == "not_closed"
    assert (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).status_code == 409
    buildings = await client.get(f"/api/v1/proposals/{pid}/turnout/buildings", headers=compound.committee)
    assert buildings.json()["buildings"][0] == {
        "building": "1",
        "persons": 4,  # A, B+C, D (two units), G: persons as the count has them
        "persons_voted": 4,
        "units": 5,
        "units_voted": 5,
        "area": "386.80",
        "area_voted": "386.80",
        "percent": 100,
    }
    assert (await client.get(f"/api/v1/proposals/{pid}/turnout/buildings", headers=a)).status_code == 403

    assert await close_now(proposal) == 1
    assert await LiveEvent.filter(type="result.published").count() == 1
    result = (await client.get(f"/api/v1/proposals/{pid}/result", headers=a)).json()
    assert result["state"] == "closed" and result["outcome"] == "passed" and result["reason"] is None
    assert result["participating"] == {"persons": 5, "area": "506.80"}
    assert result["choices"]["yes"] == {"persons": 4, "area": "461.80"}
    assert result["choices"]["no"] == {"persons": 1, "area": "45.00"}
    assert [t["met"] for t in result["tests"]] == [True, True, True, True]
    assert result["channels"] == {"online": 3, "paper": 1, "proxy": 1}
    ledger = (await client.get(f"/api/v1/proposals/{pid}/ledger", headers=a)).json()
    assert [e["seq"] for e in ledger["entries"]] == [1, 2, 3, 4, 5] and ledger["head"] == result["head"]

    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    assert record["status"] == "draft" and re.fullmatch(r"阳光花园-\d{4}-001", record["number"])
    assert verify_record(record).ok, verify_record(record).problems
    text = str(record)
    for private in ("张三", "李四", "owner:", "'A'"):
        assert private not in text
    assert record["participation"][0].keys() == {"building", "unit", "area"}
    assert record["proposal"]["body"] == proposal.body and record["head"] == ledger["head"]

    assert (await client.post(f"/api/v1/proposals/{pid}/resolution/certify", headers=a)).status_code == 403
    certified = await client.post(f"/api/v1/proposals/{pid}/resolution/certify", headers=compound.committee)
    assert certified.status_code == 200, certified.text
    posted = certified.json()
    assert posted["status"] == "preliminary" and posted["certified"][0]["by"] == "业委会 sunny"
    shown, until = (
        datetime.fromisoformat(posted[k]).astimezone(LOCAL_TZ) for k in ("posted_at", "display_until")
    )
    assert until.date() == shown.date() + timedelta(days=15) and until.time() == time(23, 59, 59)
    assert (await Proposal.get(id=pid)).state == "certified"
    again = await client.post(f"/api/v1/proposals/{pid}/resolution/certify", headers=compound.committee)
    assert again.status_code == 409
    frozen = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    assert frozen == posted and verify_record(frozen, expected_head=ledger["head"]).ok
    states = [t.to_state for t in await ProposalTransition.filter(proposal_id=pid).order_by("id")]
    assert states[-2:] == ["closed", "certified"]

    # Pages: the record with the voter's entry found by receipt, the PDF, the archive.
    await browser_login(client, "owner-a")
    page = await client.get(f"/proposals/{pid}/resolution", params={"receipt": receipts["A"].lower()})
    assert page.status_code == 200 and "您的选票是第 1 条记录" in page.text
    assert_escaped(page.text)
    # A record a resident can read: thresholds as sentences, the plan as text, the checks folded
    # under one heading with distinct names, no machine-readable button for residents.
    assert "参与人数 5/6，达到三分之二以上" in page.text
    assert "同意人数（占参与人数） 4/5，达到四分之三以上" in page.text  # a major matter
    assert "&gt;= 2/3" not in page.text and ">= 2/3" not in page.text
    assert '<pre class="plan">' not in page.text and 'class="plan-text"' in page.text
    assert page.text.count('<details class="for-checking"') == 1
    assert "冻结名册内部校验值" in page.text and ">名册指纹<" not in page.text
    assert "公告 JSON" not in page.text
    pdf = await client.get(f"/proposals/{pid}/resolution.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = extract_text(pdf.content)
    assert "业主共同决定表决结果公告" in words and "表决结果：通过" in words
    assert record["number"] in words and ledger["head"] in words
    # Printed to be signed and sealed; times to the minute in Shanghai time; thresholds in words.
    assert "业主委员会（盖章）" in words and "业主委员会主任（签字）" in words and "居委会（已知悉）" in words
    assert "参与人数 5/6，达到三分之二以上" in words and "要求 >=" not in words
    assert not re.search(r"\d{4}-\d{2}-\d{2}T|\d{2}:\d{2}:\d{2}", words), words
    local = datetime.fromisoformat(record["timeline"]["closed_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"计票时间：{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in words
    archive = await client.get("/halls/sunny/resolutions", params={"q": record["number"][-8:]})
    assert archive.status_code == 200 and record["number"] in archive.text
    assert_escaped(archive.text)
    none = await client.get("/halls/sunny/resolutions", params={"q": "没有这个"})
    assert record["number"] not in none.text

    correction = await client.post(
        f"/api/v1/proposals/{pid}/resolution/corrections",
        json={"reason": "更正笔误"},
        headers=compound.committee,
    )
    assert correction.status_code == 201
    assert correction.json()["supersedes"] == record["number"] and correction.json()["number"].endswith(
        "-002"
    )
    old = (await client.get("/api/v1/halls/sunny/resolutions", headers=a)).json()["resolutions"]
    assert [r["number"][-3:] for r in old] == ["002", "001"]


async def test_the_vote_page_takes_two_taps_and_shows_the_receipt_once(client: httpx.AsyncClient) -> None:
    from tests.support import csrf_from

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await compound.owner("D", "owner-d")
    await browser_login(client, "owner-d")
    page = await client.get(f"/proposals/{proposal.id}/vote")
    assert page.status_code == 200 and 'name="choice"' in page.text and 'role="img"' in page.text
    assert_escaped(page.text)
    token = csrf_from(page.text)
    confirm = await client.post(f"/proposals/{proposal.id}/vote", data={"csrf_token": token, "choice": "no"})
    assert confirm.status_code == 200 and "确认" in confirm.text and "150.00" in confirm.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', confirm.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "choice": "no", "idempotency_key": key}
    cast = await client.post(f"/proposals/{proposal.id}/vote/confirm", data=form)
    # Post/redirect/get: Back or reload on the receipt never asks to resend the form.
    assert cast.status_code == 303 and cast.headers["location"] == f"/proposals/{proposal.id}/vote/receipt"
    assert f"Path=/proposals/{proposal.id}/vote/receipt" in cast.headers["set-cookie"]
    assert key not in cast.headers["location"]  # the key stays out of the URL (history, logs)
    receipt = await client.get(cast.headers["location"])
    assert receipt.status_code == 200 and "<svg" in receipt.text and "请保存好您的回执" in receipt.text
    assert receipt.headers["cache-control"] == "no-store"
    code = re.search(r'data-copy="([A-Z0-9-]+)"', receipt.text).group(1)  # type: ignore[union-attr]
    assert (await client.get(cast.headers["location"])).text.count(code) >= 1  # a reload shows it again
    again = await client.post(f"/proposals/{proposal.id}/vote/confirm", data=form)
    assert again.status_code == 303  # a resent form replays the same receipt, nothing is cast twice
    assert code in (await client.get(again.headers["location"])).text
    from agora.ballots.models import LedgerRow

    assert await LedgerRow.filter(proposal_id=proposal.id).count() == 1  # cast once
    after = await client.get(f"/proposals/{proposal.id}/vote")
    assert code not in after.text and "无法再次显示" in after.text and 'name="choice"' not in after.text
    assert 'style="' not in receipt.text  # the CSP forbids inline styles


async def test_the_receipt_page_needs_the_casting_phone(client: httpx.AsyncClient) -> None:
    """Without the cookie set by casting (another phone, or later), the receipt page is the vote page."""
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await compound.owner("D", "owner-d")
    await browser_login(client, "owner-d")
    page = await client.get(f"/proposals/{proposal.id}/vote/receipt")
    assert page.status_code == 303 and page.headers["location"] == f"/proposals/{proposal.id}/vote"
    client.cookies.set("agora_receipt", "forged-key", path=f"/proposals/{proposal.id}/vote/receipt")
    page = await client.get(f"/proposals/{proposal.id}/vote/receipt")
    assert page.status_code == 303


async def test_a_tenant_is_told_why_there_is_no_ballot(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await set_roles(compound, "tenant-1", "tenant")
    await browser_login(client, "tenant-1")
    page = await client.get(f"/proposals/{proposal.id}/vote")
    assert page.status_code == 200 and "没有表决权" in page.text and 'name="choice"' not in page.text


async def test_the_title_is_escaped_on_every_ballots_page(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await browser_login(client, "sunny-committee")
    for path in ("vote", "result"):
        page = await client.get(f"/proposals/{proposal.id}/{path}")
        assert page.status_code == 200, path
        assert_escaped(page.text)
    assert TITLE[:4] in page.text

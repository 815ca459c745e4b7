"""Art. 279 (住改商) end to end: consents while the window is open → close → certify → preliminary →
objections → final record that shows each interested owner's answer, with channel and witness; the
record page, the PDF and `agora verify` (which re-checks every answer and refuses a forged one)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agora import clock
from agora.ballots.models import Resolution
from agora.ballots.resolution import record_is_final_and_passed
from agora.cli import main
from agora.proposals.models import Proposal
from agora.verifier import verify_record
from tests.ballots.factories import close_now, set_roles, set_rules, voting_proposal
from tests.ballots.pdftext import extract_text
from tests.ballots.test_special_matters import through_notice
from tests.implementation.factories import voted
from tests.rooms.factories import XSS, Compound, compound_with_roll
from tests.support import bearer, browser_login


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AGORA_SECRET_KEY", "test-secret")
    monkeypatch.setenv("AGORA_VAR_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("AGORA_LANG", "en")


PLAN = {"title": f"101室改为茶室 {XSS}"[:200], "body": "住改商：营业时间 9–21 时", "matter": "unanimous"}


async def answered(
    compound: Compound, refused: bool = False, registered: bool = False
) -> tuple[int, dict[str, str]]:
    """A proposal asking A, B and E: A online, B entered by a canvasser with a witness, E online
    (refusing when asked to); then the window closes."""
    client = compound.client
    pid, _party = await through_notice(
        compound, "sunny", {**PLAN, "options": [], "affected": ["A", "B", "E"]}
    )
    url = f"/api/v1/proposals/{pid}/consents"
    if registered:  # signed up already (their tokens may have expired as the clock moved)
        a, e = await bearer(client, "owner-a"), await bearer(client, "owner-e")
    else:
        a, e = await compound.owner("A", "owner-a"), await compound.owner("E", "owner-e")
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    assert (await client.post(url, json={"consent": True}, headers=a)).status_code == 201
    entered = await client.post(
        url, json={"owner_ref": "B", "consent": True, "witness": f"网格员 李 {XSS}"[:120]}, headers=canvasser
    )
    assert entered.status_code == 201, entered.text
    assert (await client.post(url, json={"consent": not refused}, headers=e)).status_code == 201
    await close_now(await Proposal.get(id=pid))
    return pid, a


async def test_every_consent_then_the_whole_publication_path(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, objection_days=3)
    pid, owner_a = await answered(compound)
    record_url = f"/api/v1/proposals/{pid}/resolution"
    draft = await client.get(record_url, headers=owner_a)
    assert draft.status_code == 200, draft.text
    record = draft.json()
    assert record["status"] == "draft" and record["proposal"]["matter"] == "unanimous"
    assert record["proposal"]["affected"] == ["A", "B", "E"] and record["proposal"]["item"] is None
    assert record["verdict"] == {"outcome": "passed", "text": "通过"}
    assert record["ledger"]["entries"] == [] and record["participation"] == []
    owners = {o["owner_ref"]: o for o in record["consents"]["owners"]}
    assert [o["owner_ref"] for o in record["consents"]["owners"]] == ["A", "B", "E"]
    assert owners["A"]["answer"] == "consented" and owners["A"]["channel"] == "online"
    assert owners["A"]["witness"] is None and owners["A"]["units"] == ["1/101"]
    assert owners["B"]["channel"] == "witnessed" and owners["B"]["witness"].startswith("网格员 李")
    assert record["consents"]["unanimous"] is True and record["consents"]["required"] == 3
    result = (await client.get(f"/api/v1/proposals/{pid}/result", headers=owner_a)).json()
    assert result["outcome"] == "passed" and result["resolution"] == record["number"]

    certified = await client.post(f"{record_url}/certify", headers=compound.committee)
    assert certified.status_code == 200, certified.text
    assert certified.json()["status"] == "preliminary"
    objection = await client.post(
        f"/api/v1/proposals/{pid}/objections", json={"body": "E 的同意是否本人签字？"}, headers=owner_a
    )
    assert objection.status_code == 201, objection.text
    until = datetime.fromisoformat(certified.json()["objections_until"])
    clock.travel(until - clock.now() + timedelta(seconds=1))
    committee = await bearer(client, "sunny-committee")  # tokens expire while the clock moves
    answer = {str(objection.json()["id"]): "E 于线上本人答复，已核对登录记录"}
    final = await client.post(f"{record_url}/finalize", json={"answers": answer}, headers=committee)
    assert final.status_code == 200, final.text
    done = (await client.get(record_url, headers=committee)).json()
    assert done["status"] == "final" and done["objections"][0]["answer"].startswith("E 于线上")
    assert await record_is_final_and_passed(await Proposal.get(id=pid))

    report = verify_record(done)
    assert report.ok, report.problems
    path = tmp_path / "record.json"
    path.write_text(json.dumps(done, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path)]) == 0

    await browser_login(client, "sunny-committee")
    summary = await client.get(f"/proposals/{pid}/result")
    assert summary.status_code == 200 and record["number"] in summary.text and XSS not in summary.text
    page = await client.get(f"/proposals/{pid}/resolution")
    assert page.status_code == 200 and XSS not in page.text
    assert 'class="consent-consented"' in page.text and "Find your ballot" not in page.text
    words = extract_text((await client.get(f"/proposals/{pid}/resolution.pdf")).content)
    assert "第二百七十九条" in words and "业主 B（1/102）：同意，见证录入（见证人 网格员 李" in words
    assert "选票账本末条哈希" not in words  # no ballots, no ledger head to print


async def test_one_refusal_and_the_record_names_it(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    pid, owner_a = await answered(compound, refused=True)
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner_a)).json()
    assert record["verdict"]["outcome"] == "no_decision" and record["result"]["reason"] == "not_unanimous"
    assert [o["answer"] for o in record["consents"]["owners"]] == ["consented", "consented", "refused"]
    assert verify_record(record).ok


async def test_an_owner_who_never_answered_is_shown_and_nothing_passes(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    pid, _party = await through_notice(compound, "sunny", {**PLAN, "options": [], "affected": ["A", "D"]})
    a = await compound.owner("A", "owner-a")
    url = f"/api/v1/proposals/{pid}/consents"
    assert (await client.post(url, json={"consent": True}, headers=a)).status_code == 201
    await close_now(await Proposal.get(id=pid))
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    silent = record["consents"]["owners"][1]
    assert silent == {
        "owner_ref": "D",
        "units": silent["units"],
        "answer": "not_answered",
        "channel": None,
        "witness": None,
        "at": None,
    }
    assert len(silent["units"]) == 2 and record["verdict"]["outcome"] == "no_decision"
    assert verify_record(record).ok


def forgeries(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}

    def forge(name: str, change: Any) -> None:
        forged = copy.deepcopy(record)
        change(forged)
        cases[name] = forged

    def refused_as_consented(r: dict[str, Any]) -> None:
        r["consents"]["owners"][2]["answer"] = "consented"

    def counts_and_verdict(r: dict[str, Any]) -> None:
        r["consents"].update(consented=3, refused=0, unanimous=True)
        r["verdict"] = {"outcome": "passed", "text": "通过"}
        r["result"]["outcome"] = "passed"

    def owner_dropped(r: dict[str, Any]) -> None:
        r["consents"]["owners"].pop()
        r["consents"].update(required=2, refused=0, unanimous=True)
        r["verdict"] = {"outcome": "passed", "text": "通过"}
        r["result"]["outcome"] = "passed"

    def witness_removed(r: dict[str, Any]) -> None:
        r["consents"]["owners"][1]["witness"] = None

    def after_close(r: dict[str, Any]) -> None:
        r["consents"]["owners"][0]["at"] = r["timeline"]["closed_at"]

    def a_ballot(r: dict[str, Any]) -> None:
        r["participation"] = [{"building": "1", "unit": "101", "area": "89.50"}]

    def an_item(r: dict[str, Any]) -> None:
        r["proposal"]["item"] = 7

    for name, change in (
        ("a refusal shown as consent", refused_as_consented),
        ("counts and verdict rewritten", counts_and_verdict),
        ("the refusing owner dropped", owner_dropped),
        ("witness of an entered consent removed", witness_removed),
        ("a consent at the close", after_close),
        ("a participating unit", a_ballot),
        ("an art. 278 item", an_item),
    ):
        forge(name, change)
    return cases


async def test_agora_verify_refuses_every_forged_consent(client: httpx.AsyncClient, tmp_path: Path) -> None:
    compound = await compound_with_roll(client)
    pid, owner_a = await answered(compound, refused=True)
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner_a)).json()
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path)]) == 0
    for name, forged in forgeries(record).items():
        assert not verify_record(forged).ok, name
        path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
        assert main(["verify", str(path)]) == 1, name


async def test_the_result_page_while_consents_are_asked(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    pid, _party = await through_notice(compound, "sunny", {**PLAN, "options": [], "affected": ["A"]})
    await browser_login(client, "sunny-committee")
    page = await client.get(f"/proposals/{pid}/result")
    assert page.status_code == 200 and f'href="/proposals/{pid}/consents"' in page.text


async def test_the_figures_count_the_decision_but_no_turnout(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    vote = await voted(client, compound, certify=False)  # 4 of 6 persons took part
    await answered(compound, registered=True)
    owner = await bearer(client, "owner-a")
    got = (await client.get("/api/v1/halls/sunny/stats", headers=owner)).json()["votes"]
    assert got == {"held": 2, "passed": 2, "no_decision": 0, "turnout_persons_median": "0.666"}
    assert vote.proposal_id


async def test_a_record_written_before_the_owners_list_and_the_staff_count_still_shows(
    client: httpx.AsyncClient,
) -> None:
    """Records posted by earlier versions stay as they are: without `consents.owners` or
    `residents_committee.staff`, the page and the PDF still render."""
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await close_now(proposal)
    record = await Resolution.get(proposal_id=proposal.id)
    document = dict(record.document)
    document["residents_committee"] = {
        "hall": "sunshine",
        "name": "阳光社区",
        "notified_at": document["timeline"]["notice_at"],
    }
    document["consents"] = {"required": 1, "consented": 1, "refused": 0, "pending": 0, "unanimous": True}
    record.document = document
    await record.save(update_fields=["document"])
    await browser_login(client, "sunny-committee")
    page = await client.get(f"/proposals/{proposal.id}/resolution")
    assert page.status_code == 200 and "阳光社区" in page.text
    assert (await client.get(f"/proposals/{proposal.id}/resolution.pdf")).status_code == 200

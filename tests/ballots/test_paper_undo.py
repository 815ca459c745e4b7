"""The canvasser's undo window: a mistaken paper ballot is withdrawn in the ledger, its slot freed,
audited; after the window only the owners' committee can correct it."""

from __future__ import annotations

import copy
from datetime import timedelta

import httpx
import pytest

from agora import clock
from agora.audit.models import AuditEntry
from agora.ballots.models import BallotSlot, PaperBallot
from agora.ballots.paper_undo import UNDO_SECONDS, may_undo
from agora.ballots.verify import verify_record
from tests.ballots.factories import cast, close_now, paper, set_roles, set_rules, voting_proposal
from tests.rooms.factories import compound_with_roll
from tests.support import browser_login, csrf_from


def undo(client: httpx.AsyncClient, proposal_id: int, seq: int, headers: dict[str, str]):
    return client.post(f"/api/v1/proposals/{proposal_id}/ballots/paper/{seq}/undo", headers=headers)


async def turnout(client: httpx.AsyncClient, proposal_id: int, headers: dict[str, str]) -> dict:
    body = (await client.get(f"/api/v1/proposals/{proposal_id}/result", headers=headers)).json()
    return body["turnout"]


def test_the_window_is_five_minutes_to_the_second() -> None:
    start = clock.now()
    assert may_undo(start, start)
    assert may_undo(start, start + timedelta(seconds=UNDO_SECONDS - 1))
    assert not may_undo(start, start + timedelta(seconds=UNDO_SECONDS))


@pytest.mark.parametrize("secrecy", ["named", "secret"])
async def test_a_mistaken_paper_ballot_is_withdrawn_and_entered_again(
    client: httpx.AsyncClient, secrecy: str
) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, ballot_secrecy=secrecy)
    proposal = await voting_proposal(compound)
    pid = proposal.id
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, pid, a, "yes")).status_code == 201
    wrong = await paper(client, pid, canvasser, "E", "no")
    assert wrong.status_code == 201 and wrong.json()["seq"] == 2
    if secrecy == "named":
        assert (await turnout(client, pid, a))["persons"] == 2

    undone = await undo(client, pid, 2, canvasser)
    assert undone.status_code == 200, undone.text
    assert undone.json() == {"owner_ref": "E", "channel": "paper", "withdrawn": 2, "entry": 3}
    if secrecy == "named":
        assert (await turnout(client, pid, a))["persons"] == 1  # the slot is freed
    assert await BallotSlot.filter(proposal_id=pid, owner_ref="E").count() == 0
    audit = await AuditEntry.get(action="ballot.paper_undone")
    assert audit.detail["owner_ref"] == "E" and audit.detail["seq"] == 2
    assert audit.detail["withdrawal_seq"] == 3
    assert audit.detail["witness"] == "网格员 李" and "choice" not in audit.detail
    # Undone once: a second undo finds nothing.
    assert (await undo(client, pid, 2, canvasser)).status_code == 404

    again = await paper(client, pid, canvasser, "E", "yes")
    assert again.status_code == 201, again.text

    await close_now(proposal)
    result = (await client.get(f"/api/v1/proposals/{pid}/result", headers=a)).json()
    assert result["choices"]["no"]["persons"] == 0 and result["choices"]["yes"]["persons"] == 2
    assert result["participating"]["persons"] == 2
    ledger = (await client.get(f"/api/v1/proposals/{pid}/ledger", headers=a)).json()
    entries = ledger["entries"]
    assert [(e["seq"], e["channel"], e["replaces"]) for e in entries] == [
        (1, "online", None), (2, "paper", None), (3, "paper", 2), (4, "paper", None)
    ]  # fmt: skip
    assert entries[2]["area"] == entries[1]["area"]  # the same weight
    if secrecy == "named":
        assert [e["choice"] for e in entries] == ["yes", "no", "withdrawn", "yes"]
    else:
        assert entries[2]["ciphertext"] == entries[2]["proof"] == "00"  # a withdrawal has no envelope
        assert all(len(e["ciphertext"]) > 2 for e in entries if e["seq"] != 3)
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    report = verify_record(record)
    assert report.ok, report.problems
    # The independent verifier counts the withdrawn entry nowhere: claiming it counted is caught.
    forged = copy.deepcopy(record)
    forged["result"]["participating"]["persons"] = 3
    assert not verify_record(forged).ok
    # A withdrawal that takes back an online ballot is caught.
    if secrecy == "named":
        online = copy.deepcopy(record)
        online["ledger"]["entries"][2]["replaces"] = 1
        assert any("withdraws 1" in p or "撤销了第 1 条" in p for p in verify_record(online).problems)


async def test_after_the_window_only_the_committee_corrects(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    other = await set_roles(compound, "grid-2", "canvasser")
    a = await compound.owner("A", "owner-a")
    seq = (await paper(client, proposal.id, canvasser, "E", "no")).json()["seq"]
    online = (await cast(client, proposal.id, a, "yes")).json()
    assert online["receipt"]
    # Not the canvasser who entered it; not a paper ballot; not a canvasser at all.
    assert (await undo(client, proposal.id, seq, other)).status_code == 403
    assert (await undo(client, proposal.id, seq + 1, canvasser)).status_code == 404
    assert (await undo(client, proposal.id, seq, a)).status_code == 403
    clock.travel(timedelta(seconds=UNDO_SECONDS))
    late = await undo(client, proposal.id, seq, canvasser)
    assert late.status_code == 409 and late.json()["error"]["code"] == "undo_window_passed"
    assert "业委会" in late.json()["error"]["message"]
    assert await BallotSlot.filter(proposal_id=proposal.id, owner_ref="E").count() == 1
    assert await AuditEntry.filter(action="ballot.paper_undone").count() == 0


async def test_nothing_is_undone_after_the_close(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    seq = (await paper(client, proposal.id, canvasser, "E", "no")).json()["seq"]
    fresh = await type(proposal).get(id=proposal.id)
    assert fresh.closes_at is not None
    # Entered a minute before the close: the window outlives the vote, the close wins.
    clock.travel(fresh.closes_at - clock.now() - timedelta(seconds=60))
    seq = (await paper(client, proposal.id, canvasser, "D", "no")).json()["seq"]
    await close_now(proposal)
    closed = await undo(client, proposal.id, seq, canvasser)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "not_open"


async def test_an_undone_proxy_ballot_no_longer_counts_toward_the_cap(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, proxy_cap=1)
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    proxy = {"name": "王 大妈", "id_last4": "201X", "authorization": f"委托书：第{proposal.id}号议题"}
    first = await paper(client, proposal.id, canvasser, "A", "yes", proxy=proxy)
    assert first.status_code == 201 and first.json()["channel"] == "proxy"
    assert (await paper(client, proposal.id, canvasser, "D", "yes", proxy=proxy)).status_code == 409
    undone = await undo(client, proposal.id, first.json()["seq"], canvasser)
    assert undone.status_code == 200 and undone.json()["channel"] == "proxy"
    assert await PaperBallot.filter(proposal_id=proposal.id).count() == 0
    assert (await paper(client, proposal.id, canvasser, "D", "yes", proxy=proxy)).status_code == 201


async def test_the_canvasser_page_offers_the_undo_until_a_time(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    await set_roles(compound, "grid-1", "canvasser")
    await browser_login(client, "grid-1")
    url = f"/proposals/{proposal.id}/paper"
    page = await client.get(url)
    form = {"csrf_token": csrf_from(page.text), "owner_ref": "G", "choice": "abstain", "witness": "陈",
            "action": "ballot", "confirmed": "1"}  # fmt: skip
    done = await client.post(url, data=form)
    assert done.status_code == 200 and "的选票已录入" in done.text
    assert "前可撤销" in done.text and f'action="/proposals/{proposal.id}/paper/undo"' in done.text
    token = csrf_from(done.text)
    assert (await client.post(f"{url}/undo", data={"seq": "1"})).status_code == 403  # no CSRF token
    undone = await client.post(f"{url}/undo", data={"csrf_token": token, "seq": "1"})
    assert undone.status_code == 200 and "孙记商铺，1幢 S01，45.00 平方米 的选票已撤销" in undone.text
    assert await BallotSlot.filter(proposal_id=proposal.id).count() == 0
    twice = await client.post(f"{url}/undo", data={"csrf_token": token, "seq": "1"})
    assert twice.status_code == 404 and "没有这张纸质选票" in twice.text
    again = await client.post(url, data={**form, "choice": "yes"})
    assert again.status_code == 200 and "的选票已录入" in again.text
    assert "前可撤销" in again.text
    clock.travel(timedelta(seconds=UNDO_SECONDS + 1))
    late = await client.post(f"{url}/undo", data={"csrf_token": token, "seq": "3"})
    assert late.status_code == 409 and "业委会" in late.text

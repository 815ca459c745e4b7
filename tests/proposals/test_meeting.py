"""The residents' meeting (居民会议) over HTTP: the Party branch opens it, residents (tenants too) on
the roll frozen at opening attend and vote online or are entered in the room with a witness, the close
decides by 居民委员会组织法 第九条 — more than half of the residents present, more than half of those
present in favour — and the record shows it. Not an owners' vote: no ballots, no area, no art. 278."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agora.audit.models import AuditEntry
from agora.cli import main
from agora.proposals.models import MeetingAttendance
from tests.ballots.factories import set_roles
from tests.live.factories import next_of, open_socket
from tests.rooms.factories import XSS, Compound, compound_with_roll, make_hall
from tests.support import browser_login

TITLE = f"社区停车收费标准调整 {XSS}"[:200]


async def residents(compound: Compound, extra: int = 0) -> dict[str, dict[str, str]]:
    """Six residents of the compound on agora: two bound owners, a tenant, three members (+ extra)."""
    people = {
        "owner-a": await compound.owner("A", "owner-a"),
        "owner-e": await compound.owner("E", "owner-e"),
        "tenant-1": await set_roles(compound, "tenant-1", "tenant"),
    }
    for n in range(1, 4 + extra):
        people[f"member-{n}"] = await set_roles(compound, f"member-{n}", "member")
    return people


async def open_meeting(compound: Compound, party: dict[str, str], hall: str = "sunshine") -> int:
    client = compound.client
    created = await client.post(
        f"/api/v1/halls/{hall}/proposals",
        json={"title": TITLE, "body": f"方案 {XSS}", "matter": "resident_meeting"},
        headers=party,
    )
    assert created.status_code == 201, created.text
    pid = int(created.json()["id"])
    url = f"/api/v1/proposals/{pid}/transition"
    assert (await client.post(url, json={"to": "consultation"}, headers=party)).status_code == 200
    opened = await client.post(url, json={"to": "voting"}, headers=party)  # no window: a meeting
    assert opened.status_code == 200, opened.text
    return pid


async def party_of(compound: Compound) -> dict[str, str]:
    """The Party branch: moderator of the community hall (not a resident on the roll)."""
    return await set_roles(compound, "party-1", "moderator", hall=compound.community)


async def meeting(client: httpx.AsyncClient, pid: int, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/proposals/{pid}/meeting", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def vote(
    client: httpx.AsyncClient, pid: int, headers: dict[str, str], choice: str, **entry: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{pid}/meeting/votes", json={"choice": choice, **entry}, headers=headers
    )


async def attend(
    client: httpx.AsyncClient, pid: int, headers: dict[str, str], **entry: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/meeting/attendance", json=entry, headers=headers)


async def close(client: httpx.AsyncClient, pid: int, headers: dict[str, str]) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": "closed"}, headers=headers)


def resident_id(view: dict[str, Any], login: str) -> int:
    return next(row["resident"] for row in view["roll"] if row["name"].startswith(login))


async def test_a_meeting_from_opening_to_its_decision(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await party_of(compound)
    with_item = await client.post(
        "/api/v1/halls/sunshine/proposals",
        json={"title": "t", "body": "b", "matter": "resident_meeting", "item": 4},
        headers=party,
    )
    assert with_item.status_code == 422 and with_item.json()["error"]["fields"] == {"item": "mismatch"}
    pid = await open_meeting(compound, party)
    view = await meeting(client, pid, people["tenant-1"])
    # The roll frozen at opening: the six residents (owners bound to the roll, the tenant, members);
    # neither the Party branch nor the owners' committee, who hold an office only.
    assert view["status"] == "open" and view["residents"] == 6 and view["present"] == 0
    assert view["rule"] == "居民委员会组织法 第九条" and view["owners_vote"] is False
    assert view["counts"] is None and view["result"] is None and "roll" not in view
    assert view["me"] == {"on_roll": True, "present": False, "voted": False}
    roll = await meeting(client, pid, party)
    assert len(roll["roll"]) == 6 and roll["me"]["on_roll"] is False

    # Not an owners' vote: the ballot box refuses it.
    ballot = await client.post(
        f"/api/v1/proposals/{pid}/ballots", json={"choice": "yes"}, headers=people["owner-a"]
    )
    assert ballot.status_code == 409 and ballot.json()["error"]["code"] == "meeting_not_ballots"

    # Online: the tenant checks in, then votes; an owner votes at once (and is recorded present).
    assert (await attend(client, pid, people["tenant-1"])).status_code == 201
    again = await attend(client, pid, people["tenant-1"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_present"
    assert (await vote(client, pid, people["tenant-1"], "no")).status_code == 201
    assert (await vote(client, pid, people["owner-a"], "yes")).status_code == 201
    twice = await vote(client, pid, people["owner-a"], "no")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_voted"
    bad = await vote(client, pid, people["owner-e"], "invalid")
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == {"choice": "invalid"}
    # The committee holds an office, not a place on the roll; a member who joins later is not on it.
    refused = await attend(client, pid, compound.committee)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_on_roll"
    late = await set_roles(compound, "member-late", "member")
    assert (await vote(client, pid, late, "yes")).status_code == 403

    # In the room: the Party branch enters a resident present, with a witness; nobody else may.
    m1, m2 = resident_id(roll, "member-1"), resident_id(roll, "member-2")
    no_witness = await vote(client, pid, party, "yes", resident=m1)
    assert no_witness.status_code == 422 and no_witness.json()["error"]["fields"] == {"witness": "required"}
    assert await MeetingAttendance.filter(user_id=m1).count() == 0  # nothing half-written
    not_party = await vote(client, pid, people["owner-e"], "yes", resident=m1, witness="王")
    assert not_party.status_code == 403
    entered = await vote(client, pid, party, "yes", resident=m1, witness=f"居委会 王主任 {XSS}"[:120])
    assert entered.status_code == 201 and entered.json()["channel"] == "room"
    assert (await attend(client, pid, party, resident=m2, witness="居委会 王主任")).status_code == 201
    assert (await attend(client, pid, party, resident=999999, witness="王")).status_code == 404
    assert (await vote(client, pid, people["member-3"], "abstain")).status_code == 201

    # While open: attendance and how many voted, never a choice.
    view = await meeting(client, pid, people["owner-e"])
    assert (view["present"], view["voted"], view["counts"]) == (5, 4, None)
    assert {row["channel"] for row in view["attendance"]} == {"online", "room"}
    assert all(set(row) == {"name", "channel", "present_at", "voted"} for row in view["attendance"])
    during = (await client.get(f"/api/v1/proposals/{pid}/result", headers=people["owner-e"])).json()
    assert during["state"] == "voting" and during["outcome"] is None

    # Only the Party branch closes it; the close decides and nothing is accepted after it.
    assert (await close(client, pid, people["owner-a"])).status_code == 409
    assert (await close(client, pid, party)).status_code == 200
    late_vote = await vote(client, pid, people["owner-e"], "yes")
    assert late_vote.status_code == 409 and late_vote.json()["error"]["code"] == "not_open"
    view = await meeting(client, pid, people["owner-e"])
    assert view["status"] == "closed" and view["closed_by"] and view["closed_at"]
    # 5 of 6 present (5/6 > 1/2); 2 yes of 5 present (one no, one abstains, one did not vote): no decision.
    assert view["counts"] == {"present": 5, "yes": 2, "no": 1, "abstain": 1, "not_voted": 1}
    result = view["result"]
    assert result["outcome"] == "no_decision" and result["reason"] == "not_approved"
    assert result["verdict"] == {"outcome": "no_decision", "text": "未形成决定"}
    assert [t["figures"] for t in result["tests"]] == ["5/6", "2/5"]
    assert [t["met"] for t in result["tests"]] == [True, False]
    shown = (await client.get(f"/api/v1/proposals/{pid}/result", headers=people["owner-e"])).json()
    assert shown["outcome"] == "no_decision" and shown["meeting"]["rule"] == "居民委员会组织法 第九条"
    # The audit log names who entered whom and the witness, never the choice.
    entries = await AuditEntry.filter(action="meeting.vote").values_list("detail", flat=True)
    assert len(entries) == 4 and not any("choice" in str(detail) for detail in entries)


async def test_exactly_half_attending_decides_nothing_and_more_than_half_yes_passes(
    client: httpx.AsyncClient,
) -> None:
    compound = await compound_with_roll(client)
    people = await residents(compound)  # six on the roll
    party = await party_of(compound)
    half = await open_meeting(compound, party)
    for login in ("owner-a", "tenant-1", "member-1"):  # 3 of 6: exactly half
        assert (await vote(client, half, people[login], "yes")).status_code == 201
    assert (await close(client, half, party)).status_code == 200
    result = (await meeting(client, half, people["owner-a"]))["result"]
    assert result["reason"] == "quorum_not_met" and result["verdict"]["text"] == "未形成决定"
    assert result["tests"][0] == {"name": "attendance", "required": "> 1/2", "met": False, "figures": "3/6"}

    passes = await open_meeting(compound, party)
    for login, choice in (("owner-a", "yes"), ("tenant-1", "yes"), ("member-1", "no"), ("member-2", "yes")):
        assert (await vote(client, passes, people[login], choice)).status_code == 201
    assert (await close(client, passes, party)).status_code == 200
    result = (await meeting(client, passes, people["owner-a"]))["result"]
    # 4 of 6 present, 3 of 4 in favour: a decision, whatever anyone owns (one owner, one tenant, members).
    assert result["outcome"] == "passed" and result["verdict"]["text"] == "通过"
    assert "area" not in str(result) and "278" not in str(result)


async def test_a_meeting_belongs_to_its_hall_and_other_matters_have_none(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    moon = await compound_with_roll(
        client, slug="moon", name="月光小区", community="moonlight", admin=compound.admin
    )
    stranger = await set_roles(moon, "moon-member", "member")
    assert (await client.get(f"/api/v1/proposals/{pid}/meeting", headers=stranger)).status_code == 404
    assert (await attend(client, pid, stranger)).status_code == 404
    consultation = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={
            "title": "t",
            "body": "b",
            "matter": "consultation",
            "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
        },
        headers=people["member-1"],
    )
    other = consultation.json()["id"]
    missing = await client.get(f"/api/v1/proposals/{other}/meeting", headers=people["member-1"])
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_a_meeting"


async def test_agora_verify_says_it_is_not_an_owners_vote_and_rechecks_the_figures(
    client: httpx.AsyncClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGORA_SECRET_KEY", "test-secret")
    monkeypatch.setenv("AGORA_VAR_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("AGORA_LANG", "zh-CN")
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    for login, choice in (("owner-a", "yes"), ("tenant-1", "yes"), ("member-1", "no"), ("member-2", "yes")):
        assert (await vote(client, pid, people[login], choice)).status_code == 201
    assert (await close(client, pid, party)).status_code == 200
    record = await meeting(client, pid, people["owner-a"])
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "不是业主表决" in out and "居民委员会组织法 第九条" in out and "6 位居民中 4 位到会" in out
    # A record claiming a decision its figures do not give (3 yes of 6 present: exactly half) fails.
    forged = copy.deepcopy(record)
    forged["result"].update(present=6, not_voted=2)
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path)]) == 1
    assert "记录写的是 passed" in capsys.readouterr().out
    forged["result"]["owners_vote"] = True
    forged["owners_vote"] = True
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path)]) == 1


async def test_a_buildings_roll_and_a_hall_with_nobody_to_attend(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await set_roles(compound, "party-b", "moderator")  # the compound's Party branch
    # Building 2: only owner-e is bound to a unit there (the developer and the parking space's owner
    # have no account); the compound's tenant and members hold their roles in the compound, not here.
    pid = await open_meeting(compound, party, hall=compound.building("2"))
    assert (await meeting(client, pid, people["owner-e"]))["residents"] == 1
    assert (await attend(client, pid, people["tenant-1"])).status_code == 403
    # A community hall with no compound under it has nobody to attend: the meeting does not open.
    await make_hall(client, compound.admin, "community", "empty", "空社区")
    lonely = await set_roles(compound, "party-2", "moderator", hall="empty")
    created = await client.post(
        "/api/v1/halls/empty/proposals",
        json={"title": "t", "body": "b", "matter": "resident_meeting"},
        headers=lonely,
    )
    url = f"/api/v1/proposals/{created.json()['id']}/transition"
    assert (await client.post(url, json={"to": "consultation"}, headers=lonely)).status_code == 200
    refused = await client.post(url, json={"to": "voting"}, headers=lonely)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_residents"
    shown = await client.get(f"/api/v1/proposals/{created.json()['id']}", headers=lonely)
    assert shown.json()["state"] == "consultation"  # nothing half-written


async def undo(client: httpx.AsyncClient, pid: int, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/meeting/undo", json=body, headers=headers)


async def test_the_party_branch_undoes_an_entry_made_in_the_room_and_only_that(
    client: httpx.AsyncClient,
) -> None:
    """A wrong name or a wrong button in the room is taken back before the close, with a reason the audit
    log keeps beside the entry undone; a resident's own check-in or vote online is never undone."""
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    roll = await meeting(client, pid, party)
    m1, m2, m3 = (resident_id(roll, f"member-{n}") for n in (1, 2, 3))
    tenant = resident_id(roll, "tenant-1")
    assert (await vote(client, pid, party, "yes", resident=m1, witness="居委会 王主任")).status_code == 201
    assert (await attend(client, pid, party, resident=m2, witness="居委会 王主任")).status_code == 201
    assert (await vote(client, pid, people["tenant-1"], "no")).status_code == 201  # online, by herself
    assert (await attend(client, pid, people["member-3"])).status_code == 201  # online
    assert (await vote(client, pid, party, "abstain", resident=m3, witness="王")).status_code == 201

    flags = {
        row["resident"]: (row["present_in_room"], row["voted_in_room"])
        for row in (await meeting(client, pid, party))["roll"]
    }
    assert flags[m1] == (True, True) and flags[m2] == (True, False) and flags[tenant] == (False, False)
    assert flags[m3] == (False, True)

    refused = await undo(client, pid, people["owner-e"], resident=m1, what="vote", reason="录错")
    assert refused.status_code == 403
    no_reason = await undo(client, pid, party, resident=m1, what="vote", reason=" ")
    assert no_reason.status_code == 422 and no_reason.json()["error"]["fields"] == {"reason": "required"}
    what = await undo(client, pid, party, resident=m1, what="everything", reason="录错")
    assert what.status_code == 422 and what.json()["error"]["fields"] == {"what": "invalid"}
    for resident, what in ((tenant, "vote"), (tenant, "attendance"), (m3, "attendance")):
        own = await undo(client, pid, party, resident=resident, what=what, reason="录错")
        assert own.status_code == 409 and own.json()["error"]["code"] == "not_entered_in_room", own.text
        assert "居民本人" in own.json()["error"]["message"]
    nothing = await undo(client, pid, party, resident=m2, what="vote", reason="录错")
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_undo"

    # A wrong button: the vote goes, the resident stays present and votes again.
    wrong = await undo(client, pid, party, resident=m1, what="vote", reason=f"按错了 {XSS}")
    assert wrong.status_code == 200 and wrong.json() == {
        "resident": m1,
        "what": "vote",
        "name": wrong.json()["name"],
    }
    view = await meeting(client, pid, people["owner-e"])
    assert (view["present"], view["voted"]) == (4, 2)
    assert (await vote(client, pid, party, "no", resident=m1, witness="王")).status_code == 201
    # A wrong name: the attendance goes (with its vote, entered in the room too).
    assert (
        await undo(client, pid, party, resident=m1, what="attendance", reason="不是本人")
    ).status_code == 200
    assert (
        await undo(client, pid, party, resident=m2, what="attendance", reason="走错会场")
    ).status_code == 200
    assert await MeetingAttendance.filter(user_id__in=[m1, m2]).count() == 0
    # The vote entered in the room for a resident who checked in online goes; her check-in stays.
    assert (await undo(client, pid, party, resident=m3, what="vote", reason="录错")).status_code == 200
    view = await meeting(client, pid, people["owner-e"])
    assert (view["present"], view["voted"]) == (2, 1)

    undone = await AuditEntry.filter(action="meeting.undo").order_by("id").values_list("detail", flat=True)
    assert [(d["resident"], d["what"]) for d in undone] == [
        (m1, "vote"),
        (m1, "attendance"),
        (m2, "attendance"),
        (m3, "vote"),
    ]
    assert undone[0]["reason"].startswith("按错了") and undone[0]["witness"] == "居委会 王主任"
    assert not any("choice" in d for d in undone)

    assert (await close(client, pid, party)).status_code == 200
    late = await undo(client, pid, party, resident=tenant, what="vote", reason="录错")
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_open"
    assert (await meeting(client, pid, party))["counts"] == {
        "present": 2,
        "yes": 0,
        "no": 1,
        "abstain": 0,
        "not_voted": 1,
    }


async def test_the_meeting_s_figures_reach_open_pages_and_phones_live(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, server
) -> None:
    """The Party branch counts the room while residents check in on their phones: every open meeting
    page has its line "n of N present, v voted" replaced, JSON clients get the numbers, never a choice."""
    compound = await compound_with_roll(client)
    people = await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    await browser_login(client, "owner-e")
    page = await client.get(f"/proposals/{pid}/meeting")
    assert 'ws-connect="/ws/halls/sunshine"' in page.text and f'id="meeting-figures-{pid}"' in page.text
    watcher = people["owner-e"]
    async with (
        open_socket(server, "sunshine", watcher) as phone,
        open_socket(server, "sunshine", watcher, format=None, lang="zh-CN") as browser,
    ):
        await next_of(phone, "presence")
        assert 'id="presence"' in await asyncio.wait_for(browser.recv(), 3)
        assert (await attend(client, pid, people["tenant-1"])).status_code == 201
        event = await next_of(phone, "meeting.attendance")
        assert (event["proposal"], event["residents"], event["present"], event["voted"]) == (pid, 6, 1, 0)
        text = ""
        while f'id="meeting-figures-{pid}"' not in text:
            text = await asyncio.wait_for(browser.recv(), 3)
        assert "名单上 6 位居民中已有 1 位到会，0 位已表决。" in text and 'hx-swap-oob="true"' in text
        assert (await vote(client, pid, people["owner-a"], "no")).status_code == 201
        event = await next_of(phone, "meeting.attendance")
        assert (event["present"], event["voted"]) == (2, 1)
        assert set(event) == {"type", "seq", "hall", "proposal", "residents", "present", "voted"}

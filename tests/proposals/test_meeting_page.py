"""The residents' meeting page without JavaScript: a tenant checks in and votes, the Party branch
enters a resident present in the room with a witness, everyone reads the decision with its rule."""

from __future__ import annotations

import httpx

from agora.proposals.models import MeetingAttendance
from tests.proposals.test_meeting import close, open_meeting, party_of, residents
from tests.rooms.factories import assert_escaped, compound_with_roll
from tests.support import browser_login, csrf_from


async def test_the_meeting_page_from_check_in_to_the_decision(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    url = f"/proposals/{pid}/meeting"

    await browser_login(client, "tenant-1")
    detail = await client.get(f"/proposals/{pid}")
    assert detail.status_code == 200 and f'href="{url}"' in detail.text and "居民会议" in detail.text
    page = await client.get(url)
    assert (
        page.status_code == 200 and "我已到会" in page.text and "名单上 6 位居民中已有 0 位到会" in page.text
    )
    assert "登记现场到会的居民" not in page.text  # the room's form is the Party branch's
    assert_escaped(page.text)
    token = csrf_from(page.text)
    present = await client.post(url, data={"csrf_token": token, "action": "present"})
    assert present.status_code == 303 and present.headers["location"] == f"{url}?recorded=1"
    shown = await client.get(present.headers["location"])
    assert "您已登记到会。" in shown.text and "我已到会" not in shown.text
    voted = await client.post(url, data={"csrf_token": token, "action": "vote", "choice": "yes"})
    assert voted.status_code == 303
    again = await client.post(url, data={"csrf_token": token, "action": "vote", "choice": "no"})
    assert again.status_code == 409 and "该居民已在本次会议上表决。" in again.text
    assert "您已到会并已表决。" in (await client.get(url)).text

    client.cookies.clear()
    await browser_login(client, "party-1")
    page = await client.get(url)
    assert page.status_code == 200 and "登记现场到会的居民" in page.text and "我已到会" not in page.text
    assert "您不在本次居民会议的居民名单上" in page.text  # the Party branch holds an office, not a place
    assert_escaped(page.text)
    token = csrf_from(page.text)
    roll = (await client.get(f"/api/v1/proposals/{pid}/meeting", headers=party)).json()["roll"]
    member = next(row["resident"] for row in roll if row["name"].startswith("member-1"))
    owner = next(row["resident"] for row in roll if row["name"].startswith("owner-a"))
    missing = await client.post(
        url, data={"csrf_token": token, "action": "vote", "choice": "yes", "resident": member}
    )
    assert missing.status_code == 422 and "登记现场到会的居民须填写见证人。" in missing.text
    assert await MeetingAttendance.filter(user_id=member).count() == 0
    for resident, action in ((member, "vote"), (owner, "present")):
        entered = await client.post(
            url,
            data={
                "csrf_token": token,
                "action": action,
                "choice": "yes",
                "resident": resident,
                "witness": "居委会 王",
            },
        )
        assert entered.status_code == 303, entered.text
    rows = {row.user_id: row for row in await MeetingAttendance.filter(channel="room")}
    assert rows[member].choice == "yes" and rows[owner].choice is None and rows[owner].witness == "居委会 王"

    closed = await client.post(f"/proposals/{pid}/transition", data={"csrf_token": token, "to": "closed"})
    assert closed.status_code == 303, closed.text
    page = await client.get(url)
    # 3 of 6 present: exactly half is not more than half, whatever the votes.
    assert "未形成决定" in page.text and "过半数居民到会：3/6" in page.text and "✗" in page.text
    assert "适用规则：《城市居民委员会组织法》第九条。" in page.text and "登记现场到会的居民" not in page.text
    assert "现场到会，有见证人" in page.text
    assert_escaped(page.text)
    assert (await close(client, pid, party)).status_code == 409  # closed once


async def test_the_ballot_pages_of_a_meeting_send_nobody_into_an_error(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    await browser_login(client, "tenant-1")
    for state in ("voting", "closed"):
        for path in ("result", "vote", "resolution", "resolution.pdf", "ledger"):
            response = await client.get(f"/proposals/{pid}/{path}")
            assert response.status_code < 500, (state, path, response.status_code)
        result = await client.get(f"/proposals/{pid}/result")
        assert result.status_code == 303 and result.headers["location"] == f"/proposals/{pid}/meeting"
        if state == "voting":
            assert (await close(client, pid, party)).status_code == 200


async def test_the_party_branch_undoes_a_room_entry_on_the_page(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await residents(compound)
    party = await party_of(compound)
    pid = await open_meeting(compound, party)
    url = f"/proposals/{pid}/meeting"
    roll = (await client.get(f"/api/v1/proposals/{pid}/meeting", headers=party)).json()["roll"]
    member = next(row["resident"] for row in roll if row["name"].startswith("member-1"))
    await browser_login(client, "party-1")
    page = await client.get(url)
    assert "会场代为录入" not in page.text  # nothing entered yet, nothing to undo
    token = csrf_from(page.text)
    entry = {"csrf_token": token, "action": "vote", "choice": "yes", "resident": member, "witness": "王"}
    assert (await client.post(url, data=entry)).status_code == 303
    page = await client.get(url)
    assert "会场代为录入" in page.text and "撤销表决" in page.text and "撤销到会记录" in page.text
    assert_escaped(page.text)
    undo = {"csrf_token": token, "action": "undo", "resident": member, "what": "vote"}
    no_reason = await client.post(url, data=undo)
    assert no_reason.status_code == 422 and "请填写撤销的理由。" in no_reason.text
    done = await client.post(url, data={**undo, "reason": "按错了"})
    assert done.status_code == 303 and done.headers["location"] == f"{url}?recorded=1"
    row = await MeetingAttendance.get(user_id=member)
    assert row.choice is None and row.channel == "room"
    page = await client.get(url)
    assert "撤销表决" not in page.text and "撤销到会记录" in page.text
    gone = await client.post(url, data={**undo, "what": "attendance", "reason": "不是本人"})
    assert gone.status_code == 303 and await MeetingAttendance.filter(user_id=member).count() == 0

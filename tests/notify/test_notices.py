"""The residents' committee told of every owners' vote: the community's staff (社区/街道工作人员, the
`staff` role in the community hall) get a notification when a proposal's notice is published — in the
inbox, and by e-mail where they left an address — and the resolution record says when and how many."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from agora import clock
from agora.audit.models import AuditEntry
from agora.ballots.models import Resolution
from agora.notify.channels import SmtpConfig, build_channels
from agora.notify.models import Notification
from agora.notify.rules import DEFAULT_LEADS
from agora.notify.services import Notifier, sweep, sweep_notices
from agora.proposals.calendar import earliest_voting_start
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, set_roles
from tests.ballots.pdftext import extract_text
from tests.ballots.test_special_matters import through_notice
from tests.implementation.factories import voted
from tests.notify.test_reminders import smtp  # noqa: F401 — the fixture
from tests.rooms.factories import XSS, Compound, compound_with_roll
from tests.support import bearer, browser_login, make_user


async def noticed(compound: Compound, plan: dict[str, Any]) -> tuple[int, dict[str, str], datetime]:
    """A proposal through consultation into its notice: (id, moderator headers, earliest opening)."""
    client = compound.client
    party = await set_roles(compound, "party-1", "moderator")
    created = await client.post("/api/v1/halls/sunny/proposals", json=plan, headers=party)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    url = f"/api/v1/proposals/{pid}/transition"
    assert (await client.post(url, json={"to": "consultation"}, headers=party)).status_code == 200
    opens = earliest_voting_start(clock.now(), 15)
    closes = (opens + timedelta(days=7)).isoformat()
    notice = await client.post(url, json={"to": "notice", "closes_at": closes}, headers=party)
    assert notice.status_code == 200, notice.text
    return pid, party, opens


async def test_staff_of_the_community_are_told_at_the_notice_and_the_record_says_so(  # type: ignore[no-untyped-def]
    server,
    client: httpx.AsyncClient,
    smtp,  # noqa: F811
) -> None:
    mailbox, port = smtp
    compound = await compound_with_roll(client)
    for login in ("street-1", "street-2", "street-3"):
        await make_user(login, name=f"{login} {XSS}"[:100])
        roles = ["staff"] if login != "street-3" else ["member"]  # a member of the community, not staff
        response = await client.put(
            f"/api/v1/halls/sunshine/members/{login}/roles", json={"roles": roles}, headers=compound.admin
        )
        assert response.status_code == 200, response.text
    owner = await compound.owner("A", "owner-a")
    street_1 = await bearer(client, "street-1")
    await client.put("/api/v1/me/contact", json={"email": "juweihui@example.org"}, headers=street_1)

    plan = {"title": f"更换物业 {XSS}"[:200], "body": "方案", "matter": "ordinary", "item": 4, "options": []}
    pid, party, opens = await noticed(compound, plan)
    proposal = await Proposal.get(id=pid)
    notes = await Notification.filter(proposal_id=pid, kind="vote_notice").order_by("user_id")
    assert len(notes) == 2 and all(n.created_at == proposal.notice_at for n in notes)
    told = await AuditEntry.filter(action="proposal.residents_committee_told", object_id=str(pid)).first()
    assert told is not None and told.detail["staff"] == 2

    inbox = (await client.get("/api/v1/notifications", headers=street_1)).json()
    assert [(n["kind"], n["proposal"], n["needed"]) for n in inbox["notifications"]] == [
        ("vote_notice", pid, True)
    ]
    member = (await client.get("/api/v1/notifications", headers=await bearer(client, "street-3"))).json()
    assert member["notifications"] == []
    await browser_login(client, "street-1")
    page = await client.get("/notifications")
    assert page.status_code == 200 and XSS not in page.text and "更换物业" in page.text

    notifier = Notifier(DEFAULT_LEADS, build_channels(("inbox", "email"), SmtpConfig("127.0.0.1", port)), "x")
    assert await sweep_notices(notifier) == 1  # street-2 left no address: the inbox only
    assert await sweep(notifier) == 0  # passed on once
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["juweihui@example.org"] and "更换物业" in message["Subject"]

    clock.travel(opens - clock.now())
    opened = await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": "voting"}, headers=party)
    assert opened.status_code == 200, opened.text
    assert (await cast(client, pid, owner, "yes")).status_code == 201
    await close_now(await Proposal.get(id=pid))
    client.cookies.clear()  # the API takes a bearer token, not the browser's session
    owner = await bearer(client, "owner-a")
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner)).json()
    committee = record["residents_committee"]
    assert committee["hall"] == "sunshine" and committee["staff"] == 2
    assert datetime.fromisoformat(committee["notified_at"]) == proposal.notice_at
    await browser_login(client, "sunny-committee")
    shown = await client.get(f"/proposals/{pid}/resolution")
    assert "2 名社区工作人员已收到通知" in shown.text or "2 staff members notified" in shown.text
    words = extract_text((await client.get(f"/proposals/{pid}/resolution.pdf")).content)
    assert "通知社区工作人员 2 人" in words


async def test_a_community_without_staff_is_told_in_the_audit_log_only(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    plan = {"title": "更换物业", "body": "方案", "matter": "ordinary", "item": 4, "options": []}
    pid, _party = await through_notice(compound, "sunny", plan)
    assert await Notification.filter(proposal_id=pid).count() == 0
    told = await AuditEntry.filter(action="proposal.residents_committee_told", object_id=str(pid)).first()
    assert told is not None and told.detail["staff"] == 0


async def staff_of_sunshine(compound: Compound) -> None:
    """street-1 (staff, with an e-mail address), street-2 (staff, inbox only), street-3 (a member)."""
    for login in ("street-1", "street-2", "street-3"):
        await make_user(login, name=login)
        roles = ["staff"] if login != "street-3" else ["member"]
        response = await compound.client.put(
            f"/api/v1/halls/sunshine/members/{login}/roles", json={"roles": roles}, headers=compound.admin
        )
        assert response.status_code == 200, response.text
    street_1 = await bearer(compound.client, "street-1")
    await compound.client.put("/api/v1/me/contact", json={"email": "juweihui@example.org"}, headers=street_1)


async def test_staff_of_the_community_are_told_the_final_result_once(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient,
    smtp,  # noqa: F811
) -> None:
    """Domain: the residents' committee is told of every owners' vote *and of its result*. Staff do not
    read a compound's proposals, so the outcome travels in the notification itself."""
    mailbox, port = smtp
    compound = await compound_with_roll(client)
    await staff_of_sunshine(compound)
    decision = await voted(client, compound)  # passed, certified, final record posted
    pid = decision.proposal_id
    notes = await Notification.filter(proposal_id=pid, kind="vote_result").order_by("user_id")
    assert len(notes) == 2
    record = await Resolution.filter(proposal_id=pid).order_by("-id").first()
    assert record is not None and all(n.created_at == record.finalized_at for n in notes)
    told = await AuditEntry.filter(action="resolution.residents_committee_told", object_id=str(record.id))
    assert [entry.detail["staff"] for entry in told] == [2]

    street_1 = await bearer(client, "street-1")
    inbox = (await client.get("/api/v1/notifications", headers=street_1)).json()
    assert [(n["kind"], n["proposal"], n["needed"], n["outcome"]) for n in inbox["notifications"]] == [
        ("vote_result", pid, True, "passed")
    ]
    member = (await client.get("/api/v1/notifications", headers=await bearer(client, "street-3"))).json()
    assert member["notifications"] == []
    await browser_login(client, "street-1")
    page = await client.get("/notifications")
    assert page.status_code == 200 and XSS not in page.text
    assert "业主表决结果" in page.text and "通过" in page.text and "修缮屋顶防水" in page.text
    client.cookies.clear()

    notifier = Notifier(DEFAULT_LEADS, build_channels(("inbox", "email"), SmtpConfig("127.0.0.1", port)), "x")
    assert await sweep_notices(notifier) == 1  # street-2 left no address: the inbox only
    assert await sweep(notifier) == 0  # passed on once
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["juweihui@example.org"] and "修缮屋顶防水" in message["Subject"]
    assert "结果" in message["Subject"]


async def test_a_vote_without_a_decision_is_told_as_such(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await staff_of_sunshine(compound)
    decision = await voted(client, compound, yes=False)
    street_2 = await bearer(client, "street-2")
    inbox = (await client.get("/api/v1/notifications", headers=street_2)).json()
    assert [(n["kind"], n["outcome"]) for n in inbox["notifications"]] == [("vote_result", "no_decision")]
    await browser_login(client, "street-2")
    assert "未形成决定" in (await client.get("/notifications")).text
    # a preliminary record tells nobody: only the final one is the result
    other = await voted(client, compound, final=False, owners=decision.owners, title="加装电梯")
    assert await Notification.filter(proposal_id=other.proposal_id).count() == 0

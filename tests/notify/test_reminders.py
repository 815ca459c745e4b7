"""Reminders before a vote closes: made once per member who has not voted, in the inbox, by e-mail over
a real SMTP server (aiosmtpd), and through the SMS adapter's logging backend."""

from __future__ import annotations

import email
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from agora import clock
from agora.accounts.models import User
from agora.notify import services
from agora.notify.channels import SmtpConfig, build_channels
from agora.notify.models import Delivery, Notification
from agora.notify.rules import DEFAULT_LEADS, RETRY_AFTER
from agora.notify.services import Notifier, sweep_reminders, sweep_replies, sweep_retries
from tests.ballots.factories import paper, set_roles, voting_proposal
from tests.conftest import free_port
from tests.proposals.factories import api, assert_no_xss, create, make_hall, member, move
from tests.rooms.factories import compound_with_roll
from tests.support import browser_login, csrf_from


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def _notifier(server, port: int, channels: tuple[str, ...] = ("inbox", "email", "sms")) -> Notifier:  # type: ignore[no-untyped-def]
    return Notifier(
        DEFAULT_LEADS, build_channels(channels, SmtpConfig(host="127.0.0.1", port=port)), server.url
    )


async def _open_vote(client: httpx.AsyncClient, hours: int = 30) -> int:
    """A consultation in the hall "sunny", voting open; the clock then moved to `hours` before its close."""
    sunny = await make_hall("sunny")
    await member("wang", sunny)
    await member("lili", sunny)
    await member("party", sunny, "moderator")
    await member("outsider", await make_hall("rainy"))
    party = await api(client, "party")
    pid = await create(client, party, "sunny")
    assert (await move(client, party, pid, "consultation")).status_code == 200
    window = timedelta(days=6)  # the rules' shortest window is 5 days
    opened = await move(client, party, pid, "voting", closes_at=(clock.now() + window).isoformat())
    assert opened.status_code == 200, opened.text
    clock.travel(window - timedelta(hours=hours))
    return pid


async def _vote(client: httpx.AsyncClient, login: str, pid: int) -> None:
    response = await client.post(
        f"/api/v1/proposals/{pid}/ballots", json={"choice": "a"}, headers=await api(client, login)
    )
    assert response.status_code == 201, response.text


async def test_a_member_who_has_not_voted_is_reminded_once_per_lead_on_every_channel(  # type: ignore[no-untyped-def]
    server, client, smtp, caplog
) -> None:
    mailbox, port = smtp
    pid = await _open_vote(client)
    wang = await api(client, "wang")
    contact = await client.put(
        "/api/v1/me/contact", json={"email": "wang@example.org", "phone": "+86 138-0013-8000"}, headers=wang
    )
    assert contact.status_code == 200 and contact.json() == {
        "email": "wang@example.org",
        "phone": "+8613800138000",
    }
    await _vote(client, "lili", pid)
    notifier = _notifier(server, port)

    assert await sweep_reminders(notifier) == 0  # 30 hours before the close: nothing yet
    clock.travel(timedelta(hours=7))  # 23 hours before
    with caplog.at_level(logging.INFO, logger="agora.notify"):
        assert await sweep_reminders(notifier) == 2  # wang and party; not lili (voted), not the outsider
    assert await sweep_reminders(notifier) == 0  # once per member and lead
    reminded = {n.user.login for n in await Notification.all().prefetch_related("user")}  # type: ignore[attr-defined]
    assert reminded == {"wang", "party"}

    # E-mail went through a real SMTP exchange, in Chinese by default, with the link to the ballot.
    assert [rcpt for rcpt, _m in mailbox.messages] == [["wang@example.org"]]
    message = mailbox.messages[0][1]
    assert message["Subject"].startswith("表决即将截止")
    text = message.get_content()
    assert "您尚未投票" in text and f"{server.url}/proposals/{pid}/vote" in text
    # The SMS adapter's logging backend, for the member who left a number.
    sms = [r for r in caplog.records if getattr(r, "channel", None) == "sms"]
    assert len(sms) == 1 and f"/proposals/{pid}/vote" in sms[0].getMessage()
    channels = sorted((d.channel, d.ok) for d in await Delivery.all())
    assert channels == [("email", True), ("sms", True)]

    # The inbox says what needs wang now, until wang votes.
    inbox = (await client.get("/api/v1/notifications", headers=wang)).json()
    assert inbox["unread"] == 1 and inbox["notifications"][0]["needed"] is True
    assert inbox["notifications"][0]["proposal"] == pid
    await _vote(client, "wang", pid)
    inbox = (await client.get("/api/v1/notifications", headers=wang)).json()
    assert inbox["notifications"][0]["needed"] is False
    assert (await client.post("/api/v1/notifications/read", headers=wang)).status_code == 204
    assert (await client.get("/api/v1/notifications", headers=wang)).json()["unread"] == 0

    clock.travel(timedelta(hours=22))  # 1 hour before: the 2-hour reminder, for party alone
    assert await sweep_reminders(notifier) == 1
    assert await Notification.filter(user__login="party").count() == 2
    clock.travel(timedelta(hours=2))  # closed
    assert await sweep_reminders(notifier) == 0


async def test_a_failing_smtp_server_is_logged_and_the_inbox_still_has_the_reminder(server, client) -> None:  # type: ignore[no-untyped-def]
    pid = await _open_vote(client, hours=1)
    wang = await api(client, "wang")
    await client.put("/api/v1/me/contact", json={"email": "wang@example.org", "phone": ""}, headers=wang)
    notifier = _notifier(server, free_port(), ("inbox", "email"))  # nobody listens there
    assert await sweep_reminders(notifier) == 3
    failed = await Delivery.get(channel="email")
    assert failed.ok is False and failed.detail.startswith("smtp:")
    inbox = (await client.get("/api/v1/notifications", headers=wang)).json()
    assert [n["proposal"] for n in inbox["notifications"]] == [pid]


async def test_the_pages_work_without_javascript_in_both_languages(server, client, smtp) -> None:  # type: ignore[no-untyped-def]
    _mailbox, port = smtp
    pid = await _open_vote(client, hours=1)
    await sweep_reminders(_notifier(server, port, ("inbox",)))
    await browser_login(client, "wang")
    zh = await client.get("/notifications", headers={"accept-language": "zh-CN"})
    assert zh.status_code == 200 and "您尚未投票" in zh.text and f'href="/proposals/{pid}/vote"' in zh.text
    assert_no_xss(zh.text)
    en = await client.get("/notifications", headers={"accept-language": "en"})
    assert "You have not voted yet" in en.text
    read = await client.post("/notifications/read", data={"csrf_token": csrf_from(zh.text)})
    assert read.status_code == 303
    assert (
        "Mark all as read" not in (await client.get("/notifications", headers={"accept-language": "en"})).text
    )

    form = await client.get("/settings/notifications")
    token = csrf_from(form.text)
    bad = await client.post(
        "/settings/notifications", data={"csrf_token": token, "email": "not an address", "phone": ""}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert (
        await client.post("/settings/notifications", data={"email": "a@example.org", "phone": ""})
    ).status_code == 403
    ok = await client.post(
        "/settings/notifications", data={"csrf_token": token, "email": "a@example.org", "phone": ""}
    )
    assert ok.status_code == 303
    assert 'value="a@example.org"' in (await client.get("/settings/notifications")).text


async def test_contact_addresses_are_checked_and_private(server, client) -> None:  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    await member("wang", sunny)
    await member("lili", sunny)
    wang, lili = await api(client, "wang"), await api(client, "lili")
    bad = await client.put("/api/v1/me/contact", json={"email": "x@", "phone": "call me"}, headers=wang)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"email", "phone"}
    await client.put("/api/v1/me/contact", json={"email": "w@example.org"}, headers=wang)
    assert (await client.get("/api/v1/me/contact", headers=lili)).json() == {"email": None, "phone": None}
    assert (await client.get("/api/v1/me/contact")).status_code == 401


async def test_a_reply_to_my_comment_reaches_me_once_by_e_mail_and_in_the_inbox(server, client, smtp) -> None:  # type: ignore[no-untyped-def]
    mailbox, port = smtp
    pid = await _open_vote(client)
    wang, lili, party = await api(client, "wang"), await api(client, "lili"), await api(client, "party")
    await client.put("/api/v1/me/contact", json={"email": "wang@example.org"}, headers=wang)

    async def comment(headers: dict[str, str], parent: int | None = None) -> int:
        body = {"body": "同意 <script>alert(1)</script>", "parent": parent, "stance": "support"}
        response = await client.post(f"/api/v1/proposals/{pid}/comments", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    mine = await comment(wang)
    await comment(wang, mine)  # answering oneself tells nobody
    reply = await comment(lili, mine)
    hidden = await comment(party, mine)
    hide = await client.post(f"/api/v1/comments/{hidden}/hide", json={"reason": "off topic"}, headers=party)
    assert hide.status_code == 200, hide.text
    notifier = _notifier(server, port, ("inbox", "email"))
    assert await sweep_replies(notifier) == 1
    assert await sweep_replies(notifier) == 0
    [(rcpt, message)] = mailbox.messages
    assert rcpt == ["wang@example.org"] and message["Subject"].startswith("新回复")
    assert f"{server.url}/comments/{reply}" in message.get_content()
    inbox = (await client.get("/api/v1/notifications", headers=wang)).json()
    assert [(n["kind"], n["comment"], n["needed"]) for n in inbox["notifications"]] == [
        ("reply", reply, True)
    ]
    await client.post("/api/v1/notifications/read", headers=wang)
    inbox = (await client.get("/api/v1/notifications", headers=wang)).json()
    assert inbox["notifications"][0]["needed"] is False


async def test_a_failed_e_mail_is_sent_again_once_the_mail_server_is_back(server, client) -> None:  # type: ignore[no-untyped-def]
    """The mail server is down at the reminder: the delivery fails; a minute later it is back and the
    retry reaches the member once. Nothing is retried for a member who has voted since, or for ever."""
    pid = await _open_vote(client, hours=1)
    for login in ("wang", "lili"):
        address = {"email": f"{login}@example.org", "phone": ""}
        await client.put("/api/v1/me/contact", json=address, headers=await api(client, login))
    port = free_port()
    notifier = _notifier(server, port, ("inbox", "email"))  # nobody listens there yet
    assert await sweep_reminders(notifier) == 3
    assert sorted(d.ok for d in await Delivery.all()) == [False, False]
    assert await sweep_retries(notifier) == 0  # the first wait (a minute) has not passed

    await _vote(client, "lili", pid)  # lili no longer needs the reminder
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.travel(timedelta(minutes=1))
        assert await sweep_retries(notifier) == 1
        assert [rcpt for rcpt, _m in mailbox.messages] == [["wang@example.org"]]
        assert "您尚未投票" in mailbox.messages[0][1].get_content()
        clock.travel(timedelta(hours=3))
        assert await sweep_retries(notifier) == 0  # delivered: never again
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()
    wang_deliveries = await Delivery.filter(notification__user__login="wang").order_by("id")
    assert [d.ok for d in wang_deliveries] == [False, True]


async def test_a_channel_that_keeps_failing_is_given_up_after_the_last_wait(server, client) -> None:  # type: ignore[no-untyped-def]
    await _open_vote(client, hours=30)
    wang = await api(client, "wang")
    await client.put("/api/v1/me/contact", json={"email": "wang@example.org", "phone": ""}, headers=wang)
    clock.travel(timedelta(hours=7))  # the 24-hour reminder
    notifier = _notifier(server, free_port(), ("inbox", "email"))  # nobody ever listens
    assert await sweep_reminders(notifier) == 3
    retries = 0
    for _minute in range(6 * 60):  # six hours, a sweep a minute
        clock.travel(timedelta(minutes=1))
        retries += await sweep_retries(notifier)
    assert retries == len(RETRY_AFTER)  # wang alone left an address: tried again once per wait
    deliveries = await Delivery.filter(notification__user__login="wang")
    assert len(deliveries) == 1 + len(RETRY_AFTER) and not any(d.ok for d in deliveries)


async def test_voters_are_not_checked_again_each_minute_unless_their_paper_ballot_is_taken_back(  # type: ignore[no-untyped-def]
    server, client, monkeypatch
) -> None:
    """The sweep runs every minute for 24 hours: a member found to have voted is remembered and skipped,
    while their ballot slot stands. A canvasser's undo frees it, and the owner is reminded after all."""
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound, days=7)
    owner_a = await compound.owner("A", "owner-a")
    await compound.owner("E", "owner-e")
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    assert proposal.closes_at is not None
    clock.travel(proposal.closes_at - clock.now() - timedelta(hours=23))  # the 24-hour reminder is due
    response = await client.post(
        f"/api/v1/proposals/{proposal.id}/ballots", json={"choice": "yes"}, headers=owner_a
    )
    assert response.status_code == 201, response.text
    entered = await paper(client, proposal.id, canvasser, "E", "no")
    assert entered.status_code == 201, entered.text

    checked: list[int] = []
    real = services.my_part_and_person

    async def counting(proposal, access, user):  # type: ignore[no-untyped-def]
        checked.append(user.id)
        return await real(proposal, access, user)

    monkeypatch.setattr(services, "my_part_and_person", counting)
    notifier = _notifier(server, 0, ("inbox",))
    await sweep_reminders(notifier)
    first = len(checked)
    assert first >= 3  # the two voters and the members without a ballot (the committee, the canvasser)
    reminded = {n.user.login for n in await Notification.all().prefetch_related("user")}  # type: ignore[attr-defined]
    assert "owner-a" not in reminded and "owner-e" not in reminded

    clock.travel(timedelta(minutes=1))
    assert await sweep_reminders(notifier) == 0
    assert len(checked) == first  # nobody is checked again: voters and members without a ballot

    undone = await client.post(f"/api/v1/proposals/{proposal.id}/ballots/paper/2/undo", headers=canvasser)
    assert undone.status_code == 200, undone.text
    clock.travel(timedelta(minutes=1))
    assert await sweep_reminders(notifier) == 1  # the slot is free: owner E has not voted after all
    owner_e = (await User.get(login="owner-e")).id  # type: ignore[attr-defined]
    assert checked[first:] == [owner_e]
    assert await Notification.filter(user__login="owner-e").count() == 1

    clock.travel(services.NO_BALLOT_RECHECK)  # members without a ballot are looked at again, now and then
    assert await sweep_reminders(notifier) == 0
    assert len(checked) > first + 1 and owner_e not in checked[first + 1 :]

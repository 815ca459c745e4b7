"""The lawful procedure of an owners' vote over HTTP, end to end (api.md, "Additions — Procedure").

Notice with its window and frozen rules → voting that keeps the window → no early close, one
extension → certification by committee members only → preliminary record, objections, final record.
Times are placed on Asia/Shanghai local days, at the boundaries, by moving the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from agora import clock
from agora.audit.models import AuditEntry
from agora.ballots.resolution import record_is_final_and_passed
from agora.proposals.calendar import LOCAL_TZ, earliest_voting_start, shown
from agora.proposals.models import Proposal
from tests.ballots.factories import cast, close_now, paper, set_roles, set_rules
from tests.rooms.factories import Compound, compound_with_roll
from tests.support import bearer

SECOND = timedelta(seconds=1)


def at_local(moment: datetime) -> None:
    """Move the clock to a given moment."""
    clock.travel(moment - clock.now())


def iso(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat()


def error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], pid: int, to: str, **extra: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": to, **extra}, headers=headers)


async def noticed(
    compound: Compound, *, matter: str = "major", item: int | None = 7, days: int = 7, **extra: Any
) -> tuple[int, dict[str, str], datetime, datetime]:
    """A proposal through consultation into its notice: (id, moderator headers, opens from, closes_at)."""
    client = compound.client
    party = await set_roles(compound, "party-1", "moderator")
    created = await client.post(
        f"/api/v1/halls/{compound.slug}/proposals",
        json={
            "title": "加装电梯",
            "body": "方案全文",
            "matter": matter,
            "item": item,
            "options": [],
            **extra,
        },
        headers=party,
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert (await move(client, party, pid, "consultation")).status_code == 200
    opens = earliest_voting_start(clock.now(), 15)
    closes = opens + timedelta(days=days)
    notice = await move(client, party, pid, "notice", closes_at=iso(closes))
    assert notice.status_code == 200, notice.text
    return pid, party, opens, closes


async def open_noticed(compound: Compound, **kwargs: Any) -> tuple[int, dict[str, str], datetime]:
    pid, party, opens, closes = await noticed(compound, **kwargs)
    at_local(opens)
    opened = await move(compound.client, party, pid, "voting")
    assert opened.status_code == 200, opened.text
    return pid, party, closes


# --- 1. the notice announces the window; the rules are frozen at notice ----------------------------


async def test_the_notice_announces_the_window_and_freezes_the_rules(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    party = await set_roles(compound, "party-1", "moderator")
    created = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={"title": "更换物业", "body": "全文", "matter": "ordinary", "item": 4, "options": []},
        headers=party,
    )
    pid = created.json()["id"]
    await move(client, party, pid, "consultation")
    opens = earliest_voting_start(clock.now(), 15)
    missing = await move(client, party, pid, "notice")
    assert missing.status_code == 422 and error(missing)["fields"] == {"closes_at": "required"}
    short = await move(client, party, pid, "notice", closes_at=iso(opens + timedelta(days=5) - SECOND))
    assert short.status_code == 422 and error(short)["fields"] == {"closes_at": "too_early"}
    earliest = (opens + timedelta(days=5)).astimezone(LOCAL_TZ)
    assert shown(earliest) in error(short)["message"]  # 2026年12月22日 00:00: the date that would be allowed
    long = await move(client, party, pid, "notice", closes_at=iso(opens + timedelta(days=60) + SECOND))
    assert long.status_code == 422 and error(long)["fields"] == {"closes_at": "too_late"}
    assert (await Proposal.get(id=pid)).state == "consultation"  # nothing half-written

    closes = opens + timedelta(days=10)
    notice = await move(client, party, pid, "notice", closes_at=iso(closes))
    assert notice.status_code == 200, notice.text
    data = notice.json()
    assert datetime.fromisoformat(data["closes_at"]) == closes
    assert datetime.fromisoformat(data["opens_from"]) == opens
    assert data["rules"]["proxy_cap"] == 3 and data["rules"]["revote"] is False
    assert data["rules"]["deemed_participation"] is None and data["rules"]["certify_signatures"] == 1

    # Rules changed after the notice do not touch it.
    await set_rules(compound, proxy_cap=1, revote=True, deemed_participation="议事规则第9条")
    again = (await client.get(f"/api/v1/proposals/{pid}", headers=party)).json()
    assert again["rules"] == data["rules"]

    at_local(opens)
    other = await move(client, party, pid, "voting", closes_at=iso(closes + timedelta(days=1)))
    assert other.status_code == 409 and error(other)["code"] == "window_announced"
    same = await move(client, party, pid, "voting", closes_at=iso(closes))
    assert same.status_code == 200 and datetime.fromisoformat(same.json()["closes_at"]) == closes

    # revote is off as frozen, whatever the compound says now; the proxy cap is 3 as frozen.
    a = await compound.owner("A", "owner-a")
    assert (await cast(client, pid, a, "yes")).status_code == 201
    second = await cast(client, pid, a, "no")
    assert second.status_code == 409 and error(second)["code"] == "already_voted"
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    proxy = {"name": "周阿姨", "id_last4": "1234", "authorization": f"委托书：第{pid}号议题"}
    for ref in ("B", "D"):
        assert (await paper(client, pid, canvasser, ref, "yes", proxy=proxy)).status_code == 201

    # The deemed-participation clause added after the notice is not applied at the close.
    await close_now(await Proposal.get(id=pid))
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=a)).json()
    assert record["deemed_participation"] is None
    assert record["rules"]["deemed_participation"] is None and record["rules"]["proxy_cap"] == 3
    # The residents' committee (the compound's community) was told of the notice.
    assert record["residents_committee"]["name"] == "阳光社区"
    assert await AuditEntry.filter(action="proposal.residents_committee_told", object_id=str(pid)).exists()


async def test_a_late_opening_that_would_shorten_the_window_is_refused(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    pid, party, opens, closes = await noticed(compound, days=5)
    at_local(opens - SECOND)
    early = await move(client, party, pid, "voting")
    assert early.status_code == 409 and error(early)["code"] == "notice_period"
    at_local(opens + SECOND)
    late = await move(client, party, pid, "voting")
    assert late.status_code == 409 and error(late)["code"] == "window_too_short"
    assert (await Proposal.get(id=pid)).state == "notice"


# --- 2. no early close; one extension -------------------------------------------------------------


async def test_no_owners_vote_ends_before_its_window_and_one_extension(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    pid, party, closes = await open_noticed(compound, days=7)
    opened_at = clock.now()
    early = await move(client, party, pid, "closed")
    assert early.status_code == 409 and error(early)["code"] == "window_open"
    assert shown(closes) in error(early)["message"]
    assert (await Proposal.get(id=pid)).state == "voting"

    url = f"/api/v1/proposals/{pid}/extend"
    later = closes + timedelta(days=3)
    assert (await client.post(url, json={"closes_at": iso(later)}, headers=party)).status_code == 403
    no_reason = await client.post(url, json={"closes_at": iso(later)}, headers=compound.committee)
    assert no_reason.status_code == 422 and error(no_reason)["fields"] == {"reason": "required"}
    too_far = opened_at + timedelta(days=60) + SECOND
    refused = await client.post(
        url, json={"closes_at": iso(too_far), "reason": "参与不足"}, headers=compound.committee
    )
    assert refused.status_code == 422 and error(refused)["fields"] == {"closes_at": "too_late"}
    latest = shown(opened_at + timedelta(days=60))
    assert latest in error(refused)["message"]
    shorter = await client.post(
        url, json={"closes_at": iso(closes - SECOND), "reason": "提前"}, headers=compound.committee
    )
    assert shorter.status_code == 422 and error(shorter)["fields"] == {"closes_at": "not_later"}
    assert (await Proposal.get(id=pid)).closes_at == closes  # a refused extension changes nothing

    ok = await client.post(
        url, json={"closes_at": iso(later), "reason": "参与不足，延长三天"}, headers=compound.committee
    )
    assert ok.status_code == 200, ok.text
    assert datetime.fromisoformat(ok.json()["closes_at"]) == later
    step = ok.json()["timeline"][-1]
    assert step["state"] == "extended" and "参与不足" in step["reason"]
    assert (
        ok.json()["extension"]["from"] == closes.isoformat()
        or datetime.fromisoformat(ok.json()["extension"]["from"]) == closes
    )
    twice = await client.post(
        url, json={"closes_at": iso(later + SECOND), "reason": "再延"}, headers=compound.committee
    )
    assert twice.status_code == 409 and error(twice)["code"] == "already_extended"

    at_local(later - SECOND)
    assert (await move(client, party, pid, "closed")).status_code == 409
    at_local(later)
    closed = await move(client, party, pid, "closed")
    assert closed.status_code == 200, closed.text
    # One closing time everywhere: the announced (extended) close, in the proposal and the record.
    assert datetime.fromisoformat(closed.json()["closed_at"]) == later
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=party)).json()
    assert datetime.fromisoformat(record["timeline"]["closed_at"]) == later
    assert record["timeline"]["closed_by"].startswith("party-1")
    assert record["timeline"]["extension"]["reason"] == "参与不足，延长三天"
    late = await client.post(
        url, json={"closes_at": iso(later + timedelta(days=1)), "reason": "x"}, headers=compound.committee
    )
    assert late.status_code == 409


async def test_a_consultation_poll_may_still_close_early(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    party = await set_roles(compound, "party-1", "moderator")
    created = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={
            "title": "绿化意见",
            "body": "征求意见",
            "matter": "consultation",
            "options": [{"key": "a", "label": "甲"}, {"key": "b", "label": "乙"}],
        },
        headers=party,
    )
    pid = created.json()["id"]
    await move(client, party, pid, "consultation")
    opened = await move(client, party, pid, "voting", closes_at=iso(clock.now() + timedelta(days=7)))
    assert opened.status_code == 200
    assert (await move(client, party, pid, "closed")).status_code == 200


# --- 3. certification, preliminary record, objections, final record -------------------------------


async def closed_vote(compound: Compound) -> tuple[int, dict[str, str], dict[str, str]]:
    pid, party, _closes = await open_noticed(compound)
    client = compound.client
    owners = {}
    for ref in ("A", "B", "D", "E", "G"):
        owners[ref] = await compound.owner(ref, f"owner-{ref.lower()}")
        assert (await cast(client, pid, owners[ref], "yes")).status_code == 201
    await close_now(await Proposal.get(id=pid))
    return pid, owners["A"], owners["E"]


async def test_certified_by_committee_members_then_objections_then_final(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, certify_signatures=2, objection_days=7)
    pid, owner_a, owner_e = await closed_vote(compound)
    certify = f"/api/v1/proposals/{pid}/resolution/certify"
    admin = await client.post(certify, headers=compound.admin)
    assert admin.status_code == 403  # a platform administrator is not the owners' committee
    first = await client.post(certify, headers=compound.committee)
    assert first.status_code == 200 and first.json()["status"] == "draft"
    assert first.json()["signatures_required"] == 2 and len(first.json()["certified"]) == 1
    assert (await client.post(certify, headers=compound.committee)).status_code == 409
    objection = await client.post(
        f"/api/v1/proposals/{pid}/objections", json={"body": "早了"}, headers=owner_a
    )
    assert objection.status_code == 409 and error(objection)["code"] == "not_preliminary"

    second_member = await set_roles(compound, "committee-2", "committee")
    closed_at = datetime.fromisoformat(first.json()["timeline"]["closed_at"])
    posted = await client.post(certify, headers=second_member)
    assert posted.status_code == 200, posted.text
    record = posted.json()
    assert record["status"] == "preliminary" and len(record["certified"]) == 2
    posted_at = datetime.fromisoformat(record["posted_at"])
    day = posted_at.astimezone(LOCAL_TZ).date()
    assert datetime.fromisoformat(record["display_until"]) == datetime.combine(
        day + timedelta(days=15), datetime.min.time(), tzinfo=LOCAL_TZ
    ) + timedelta(hours=23, minutes=59, seconds=59)
    until = datetime.fromisoformat(record["objections_until"])
    assert until.astimezone(LOCAL_TZ).date() == day + timedelta(days=7)
    assert record["objection_days"] == 7 and record["published_late"] is False
    publish_by = datetime.fromisoformat(record["publish_by"]).astimezone(LOCAL_TZ)
    assert publish_by.date() == closed_at.astimezone(LOCAL_TZ).date() + timedelta(days=3)
    assert not await record_is_final_and_passed(await Proposal.get(id=pid))

    url = f"/api/v1/proposals/{pid}/objections"
    tenant = await set_roles(compound, "tenant-1", "tenant")
    assert (await client.post(url, json={"body": "我有意见"}, headers=tenant)).status_code == 403
    assert (await client.post(url, json={"body": "  "}, headers=owner_a)).status_code == 422
    filed = await client.post(url, json={"body": "2幢的票数<script>x</script>有误"}, headers=owner_e)
    assert filed.status_code == 201, filed.text
    oid = filed.json()["id"]

    finalize = f"/api/v1/proposals/{pid}/resolution/finalize"
    early = await client.post(finalize, json={"answers": {str(oid): "已核对"}}, headers=compound.committee)
    assert early.status_code == 409 and error(early)["code"] == "objection_period_open"
    at_local(until)
    owner_a, committee = (
        await bearer(client, "owner-a"),
        await bearer(client, "sunny-committee"),
    )  # tokens expire
    assert (await client.post(url, json={"body": "最后一秒"}, headers=owner_a)).status_code == 201
    at_local(until + SECOND)
    closed = await client.post(url, json={"body": "晚了"}, headers=owner_a)
    assert closed.status_code == 409 and error(closed)["code"] == "objection_period_over"
    assert (await client.post(finalize, json={"answers": {}}, headers=owner_a)).status_code == 403
    unanswered = await client.post(finalize, json={"answers": {str(oid): "已核对"}}, headers=committee)
    assert unanswered.status_code == 422 and error(unanswered)["code"] == "unanswered_objections"
    listing = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner_a)).json()["objections"]
    answers = {str(o["id"]): f"答复{o['id']}：已逐张核对，票数无误" for o in listing}
    final = await client.post(finalize, json={"answers": answers}, headers=committee)
    assert final.status_code == 200, final.text
    done = final.json()
    assert done["status"] == "final" and len(done["objections"]) == 2
    assert all(o["answer"].startswith("答复") and o["answered_at"] for o in done["objections"])
    assert done["preliminary"]["posted_at"] == record["posted_at"]
    assert await record_is_final_and_passed(await Proposal.get(id=pid))
    again = await client.post(finalize, json={"answers": answers}, headers=committee)
    assert again.status_code == 409
    shown = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner_a)).json()
    assert shown == done


async def test_publication_late_is_flagged_and_display_counts_local_days(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, objection_days=0)
    pid, owner_a, _e = await closed_vote(compound)
    closed_at = datetime.fromisoformat(
        (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=owner_a)).json()["timeline"][
            "closed_at"
        ]
    )
    closed_day = closed_at.astimezone(LOCAL_TZ).date()
    # Posted at 00:00 on the 4th local day after the close: one second too late.
    at_local(datetime.combine(closed_day + timedelta(days=4), datetime.min.time(), tzinfo=LOCAL_TZ))
    posted = (
        await client.post(f"/api/v1/proposals/{pid}/resolution/certify", headers=compound.committee)
    ).json()
    assert posted["status"] == "preliminary" and posted["published_late"] is True
    day = closed_day + timedelta(days=4)
    until = datetime.fromisoformat(posted["display_until"]).astimezone(LOCAL_TZ)
    assert until.date() == day + timedelta(days=15) and (until.hour, until.minute) == (23, 59)
    # objection_days 0: the period ends with the day of posting; final from 00:00 the next day.
    at_local(datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_TZ))
    final = await client.post(
        f"/api/v1/proposals/{pid}/resolution/finalize",
        json={"answers": {}},
        headers=await bearer(client, "sunny-committee"),
    )
    assert final.status_code == 200 and final.json()["status"] == "final"


async def test_the_record_page_takes_objections_and_posts_the_final_answers(
    client: httpx.AsyncClient,
) -> None:
    from agora.ballots.models import Objection
    from tests.ballots.pdftext import extract_text
    from tests.rooms.factories import XSS, assert_escaped
    from tests.support import browser_login, csrf_from

    compound = await compound_with_roll(client)
    pid, _a, _e = await closed_vote(compound)
    certified = await client.post(f"/api/v1/proposals/{pid}/resolution/certify", headers=compound.committee)
    assert certified.json()["status"] == "preliminary"
    page_url = f"/proposals/{pid}/resolution"

    await browser_login(client, "owner-a")
    page = await client.get(page_url)
    assert page.status_code == 200 and f'action="/proposals/{pid}/resolution/objections"' in page.text
    assert "finalize" not in page.text  # an owner does not post the final record
    filed = await client.post(
        f"{page_url}/objections", data={"csrf_token": csrf_from(page.text), "body": f"计票有误 {XSS}"}
    )
    assert filed.status_code in (302, 303)
    page = await client.get(page_url)
    assert "计票有误" in page.text
    assert_escaped(page.text)

    until = datetime.fromisoformat(certified.json()["objections_until"])
    at_local(until + SECOND)
    await browser_login(client, "sunny-committee")
    page = await client.get(page_url)
    assert f'action="/proposals/{pid}/resolution/finalize"' in page.text
    assert f'action="/proposals/{pid}/resolution/objections"' not in page.text  # the period is over
    oid = (await Objection.get(proposal_id=pid)).id
    form = {"csrf_token": csrf_from(page.text), f"answer-{oid}": "已复核，计票无误"}
    assert (await client.post(f"{page_url}/finalize", data=form)).status_code in (302, 303)
    page = await client.get(page_url)
    assert "已复核，计票无误" in page.text and f'{page_url}/finalize"' not in page.text
    assert_escaped(page.text)
    words = extract_text((await client.get(f"{page_url}.pdf")).content)
    assert "最终结果" in words and "计票有误" in words and "已复核，计票无误" in words
    assert "表决期满自动结束" in words and "议事规则（公告时锁定）" in words


async def test_the_pdf_scope_names_the_entrance(client: httpx.AsyncClient) -> None:
    from tests.ballots.factories import voting_proposal
    from tests.ballots.pdftext import extract_text
    from tests.support import browser_login

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound, hall=compound.building("1"), entrance="1")
    await close_now(proposal)
    await browser_login(client, "sunny-committee")
    words = extract_text((await client.get(f"/proposals/{proposal.id}/resolution.pdf")).content)
    assert "1单元" in words


async def test_the_roll_is_counted_with_the_parking_setting_frozen_at_notice(
    client: httpx.AsyncClient,
) -> None:
    """A parking setting changed between the notice and the opening does not apply; `agora verify
    --rules` with the fingerprint published with the notice vouches for the record's rules."""
    from agora.ballots.verify import verify_record

    compound = await compound_with_roll(client)
    await set_rules(compound, parking_counts=True)
    pid, party, opens, closes = await noticed(compound)
    published = (await client.get(f"/api/v1/proposals/{pid}", headers=party)).json()["rules_fingerprint"]
    assert published and len(published) == 64
    await set_rules(compound, parking_counts=False)
    at_local(opens)
    assert (await move(client, party, pid, "voting")).status_code == 200
    await close_now(await Proposal.get(id=pid))
    record = (await client.get(f"/api/v1/proposals/{pid}/resolution", headers=compound.committee)).json()
    assert record["rules"]["parking_counts"] is True and record["roll"]["parking_counts"] is True
    assert record["rules_fingerprint"] == published
    assert verify_record(record, expected_rules=published).ok
    assert not verify_record(record, expected_rules="0" * 64).ok


async def test_a_stall_counts_as_the_parking_setting_says(client: httpx.AsyncClient) -> None:
    """Stalls (摊位) follow the parking setting (docs/domain.md, "Who counts"): left out of N and A when
    parking does not count, counted like any unit when it does; `agora verify` recounts both."""
    from agora.ballots.verify import verify_record
    from tests.ballots.factories import simple_compound, voting_proposal
    from tests.rooms.factories import Row

    rows = [
        Row("1", "101", "100.00", "A", "甲"),
        Row("1", "102", "100.00", "B", "乙"),
        Row("1", "摊位-1", "6.00", "S", "丙", entrance="", kind="摊位"),
    ]
    compound = await simple_compound(client, rows)
    owners = {ref: await compound.owner(ref, f"st-{ref}") for ref in "ABS"}
    for setting, persons, area in ((False, 2, "200.00"), (True, 3, "206.00")):
        await set_rules(compound, parking_counts=setting)
        proposal = await voting_proposal(compound)
        for ref in "AB":
            assert (await cast(client, proposal.id, owners[ref], "yes")).status_code == 201
        stall = await cast(client, proposal.id, owners["S"], "yes")
        assert stall.status_code == (201 if setting else 403), stall.text
        await close_now(proposal)
        record = (
            await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=compound.committee)
        ).json()
        assert record["roll"]["totals"] == {"persons": persons, "area": area}
        assert [u["kind"] for u in record["roll"]["units"]].count("stall") == 1
        assert record["result"]["participating"] == {"persons": persons, "area": area}
        report = verify_record(record)
        assert report.ok, report.problems

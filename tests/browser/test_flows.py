"""Every flow of agora on a 360×800 phone, each reached within three taps from the hall.

The world is the demo's halls, rolls and accounts plus proposals in every state (tests/browser/world.py).
Every page a flow visits passes `Phone.check()`: axe-core, CSP, no sideways scroll, pictures with text
alternatives, 44 px touch targets. Screenshots of the main pages go to docs/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.world import HALL, PASSWORD, TEXT, World, seed_world

pytestmark = pytest.mark.browser
ZH = TEXT["zh"]


@pytest.fixture
async def world(server: Any) -> World:  # type: ignore[misc]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await seed_world(server, client, lang="zh")


async def signed_in(phone_factory: Any, login: str) -> Any:
    """A phone signed in as `login`, standing in the hall of 阳光花园 (taps are counted from here)."""
    phone = await phone_factory()
    await phone.sign_in(login, PASSWORD)
    assert "/login" not in phone.page.url, f"{login} could not sign in"
    await phone.goto(f"/halls/{HALL}")
    await phone.check()
    phone.taps = 0
    return phone


async def test_finding_my_halls_reading_a_thread_replying_and_seconding(
    world: World, phone_factory: Any
) -> None:
    phone = await phone_factory()
    await phone.goto("/login")
    await phone.check()
    await phone.sign_in("owner2", PASSWORD)
    assert phone.page.url.endswith("/halls")
    await phone.check()
    await phone.screenshot("halls")
    hall_link = phone.page.get_by_role("link", name="阳光花园", exact=True)
    assert await hall_link.count() == 1
    await phone.tap("a[href='/halls/sunny-garden']")
    await phone.screenshot("hall")
    phone.taps = 0

    # Reading a proposal and its thread: one tap.
    await phone.tap(f"a[href='/proposals/{world.ids['talk']}']")
    assert phone.taps == 1
    page = phone.page
    await page.wait_for_selector(f"#comment-{world.comments['official']} .badge.official")
    hidden = page.locator(f"#comment-{world.comments['hidden']}")
    assert "人身攻击" in await hidden.inner_text()
    assert ZH["comments"]["hidden"] not in await page.content()
    await page.locator("#discussion-heading").scroll_into_view_if_needed()
    await phone.screenshot("proposal-thread")

    # Replying: the comment's own page, a second tap.
    await phone.tap(f"#comment-{world.comments['official']} footer a")
    assert phone.taps == 2
    await page.fill("#body-" + str(world.comments["official"]), "谢谢党支部，希望尽快施工。")
    await page.locator("form.comment-form button[type=submit]").click()
    # htmx posts it and answers with a fresh form; the reply itself arrives over the hall's live feed.
    await page.wait_for_selector("form.comment-form p.ok[role=status]")
    await page.locator(".comment-body", has_text="谢谢党支部").wait_for()
    await phone.check()

    # Seconding a draft: back in the hall, one tap to the draft.
    await phone.goto(f"/halls/{HALL}")
    phone.taps = 0
    await phone.tap(f"a[href='/proposals/{world.ids['draft']}']")
    async with page.expect_navigation():
        await page.get_by_role("button", name="附议").click()
    await phone.check()
    assert "1 位" in await page.inner_text("article") or "2" in await page.inner_text("article")


async def test_voting_keeping_the_receipt_and_finding_it_in_the_ledger(
    world: World, phone_factory: Any
) -> None:
    phone = await signed_in(phone_factory, "owner1")
    page = phone.page
    vote = world.ids["vote"]
    # What needs me now: the open vote is the first card after the hall's name, with its deadline,
    # turnout and 「您尚未投票」.
    needs = page.locator("section.needs")
    assert await needs.count() == 1
    card = needs.locator("li.open-vote", has=page.locator(f"a[href='/proposals/{vote}/vote']"))
    text = await card.inner_text()
    assert "您尚未投票" in text and "截止" in text and "位业主" in text
    box = await needs.bounding_box()
    assert box is not None and box["y"] < 800, f"the open vote starts {box} down the hall page"
    await phone.tap(f"section.needs a.button[href='/proposals/{vote}/vote']")
    assert phone.taps == 1
    meter = page.locator(f"#turnout-{vote} svg[role=img]")
    assert "三分之二" in (await meter.get_attribute("aria-label") or "")
    await phone.screenshot("vote")
    # Two taps: choose, then confirm in place (no page between them).
    await page.locator("label.choice", has_text="同意").click()
    confirm = page.locator("form[data-confirm-in-place] .confirm-here button")
    await confirm.wait_for(state="visible")
    assert "同意" in await page.locator("form[data-confirm-in-place] [data-chosen]").inner_text()
    await phone.check()
    async with page.expect_navigation():
        await confirm.click()
    await phone.check()
    assert page.url.endswith(f"/proposals/{vote}/vote/receipt")
    receipt = (await page.locator(".receipt strong").inner_text()).strip()
    assert len(receipt) >= 8
    size = await page.locator(".receipt strong").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 1.5 * 17, "the receipt code is larger than body text"
    await page.locator("button[data-copy]").click()
    await page.locator("#copy-status", has_text="已复制").wait_for()
    assert await page.locator("button[data-print]").is_visible()
    await phone.screenshot("receipt")
    # Back from the receipt is the vote page (post/redirect/get: no "Confirm Form Resubmission");
    # the choice is shown, the receipt is not (it was shown only once).
    await page.go_back()
    assert page.url.endswith(f"/proposals/{vote}/vote")
    await page.reload()
    await phone.check()
    assert receipt not in await page.content()

    # A closed vote: its result (one tap more) and the resolution record with the ledger.
    await phone.goto(f"/halls/{HALL}")
    phone.taps = 0
    done = world.ids["done"]
    await phone.tap(f"a[href='/proposals/{done}']")
    await phone.tap(f"a[href='/proposals/{done}/result']")
    chart = page.locator(f"#result-{done} svg[role=img]")
    assert "同意" in (await chart.get_attribute("aria-label") or "")
    await phone.screenshot("result")
    await phone.tap(f"a[href='/proposals/{done}/resolution']")
    assert phone.taps == 3
    await phone.screenshot("resolution")
    await page.fill("#receipt", world.receipts["done:owner1"])
    async with page.expect_navigation():
        await page.locator("#ledger button[type=submit]").click()
    await phone.check()
    found = await page.locator("#ledger p.ok[role=status]").inner_text()
    # Secret ballots (the default): the entry is found, its choice is not shown to anyone.
    assert "您的选票是第" in found and await page.locator("#ledger tr.found").count() == 1


async def test_moderator_queue_hiding_pinning_and_moving_a_proposal_on(
    world: World, phone_factory: Any
) -> None:
    phone = await signed_in(phone_factory, "party")
    page = phone.page
    await phone.tap(f"a[href='/halls/{HALL}/moderation']")
    assert phone.taps == 1
    reported = world.comments["reported"]
    assert ZH["report_reason"] in await page.inner_text("main")
    await phone.screenshot("moderation-queue")
    await phone.tap(f"a[href='/comments/{reported}']")
    await page.fill("#hide-reason", "与议题无关")
    # Hiding asks for a confirmation first: without it the form does not go.
    await page.get_by_role("button", name="隐藏", exact=True).click()
    assert "/comments/" in page.url and await page.locator("#hide-reason").count() == 1
    await page.locator("form[action$='/hide'] input[name=confirm]").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="隐藏", exact=True).click()
    await phone.check()
    assert "与议题无关" in await page.locator(f"#comment-{reported}").inner_text()

    # An official answer, posted as such from the proposal page.
    await phone.goto(f"/proposals/{world.ids['talk']}")
    await phone.check()
    form = page.locator(f"#comment-form-{world.ids['talk']}-root")
    await form.locator("textarea").fill("党支部答复：施工时间定于下月初。")
    await form.locator("input[name=official]").check()
    await form.locator("button[type=submit]").click()
    official = page.locator(".comment.official", has_text="施工时间定于下月初")
    await official.wait_for()
    assert await official.locator(".badge.official").count() == 1

    # Moving the draft on to consultation.
    await phone.goto(f"/halls/{HALL}")
    phone.taps = 0
    await phone.tap(f"a[href='/proposals/{world.ids['draft']}']")
    async with page.expect_navigation():
        await page.locator("form.transition:has(input[value=consultation]) button").click()
    await phone.check()
    assert await page.locator(f"#proposal-state-{world.ids['draft']}").inner_text() == "征求意见"


async def test_committee_roll_import_with_preview_slips_and_joining_from_a_slip(
    world: World, phone_factory: Any, server: Any, tmp_path: Any
) -> None:
    phone = await signed_in(phone_factory, "committee")
    page = phone.page
    await phone.tap(f"a[href='/halls/{HALL}/roll']")
    async with httpx.AsyncClient(base_url=server.url) as client:
        roll = (
            await client.get(f"/api/v1/halls/{HALL}/roll.csv", headers=await world.auth("committee"))
        ).text
    header = roll.splitlines()[0].lstrip("\ufeff").split(",")
    new = {"building": "8", "entrance": "2", "unit": "2-699", "area": "88.88", "owner_ref": "SG-NEW1",
           "owner_name": "新业主", "kind": "home", "status": "owned"}  # fmt: skip
    changed = roll.rstrip("\n") + "\n" + ",".join(new.get(column, "") for column in header) + "\n"
    await page.set_input_files(
        "#roll", files=[{"name": "roll.csv", "mimeType": "text/csv", "buffer": changed.encode()}]
    )
    async with page.expect_navigation():
        await page.locator("form button.primary").click()
    await phone.check()
    await page.locator("summary", has_text="新增").click()
    assert "2-699" in await page.inner_text("main")
    await phone.screenshot("roll-preview")
    async with page.expect_navigation():
        await page.get_by_role("button", name=re.compile("导入")).click()
    await phone.check()
    assert page.url.endswith("done=" + page.url.rsplit("=", 1)[1]) and "done=" in page.url

    await phone.goto(f"/halls/{HALL}")
    phone.taps = 0
    await phone.tap(f"a[href='/halls/{HALL}/invites']")
    async with page.expect_navigation():
        await page.locator(f"form[action='/halls/{HALL}/invites/slips'] button").click()
    await phone.check()
    slip = page.locator("article.slip", has_text="新业主")
    code = (await slip.locator(".invite-code").inner_text()).strip()
    assert await slip.locator("svg.qr[role=img] title").count() == 1
    await phone.screenshot("invite-slips")
    # Printed: eight slips to an A4 page (212 slips are 27 pages, not 53).
    slips = await page.locator("article.slip").count()
    pdf = await page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert slips > 8 and pages == -(-slips // 8), (slips, pages)
    # Nothing on a slip is cut off: the printable width of A4 (194 mm), print styles.
    await page.set_viewport_size({"width": 733, "height": 1062})
    await page.emulate_media(media="print")
    clipped = await page.evaluate(
        "[...document.querySelectorAll('article.slip')].filter(s => s.scrollHeight > s.clientHeight + 1"
        " || s.scrollWidth > s.clientWidth + 1).length"
    )
    await page.screenshot(path="/tmp/phone-slips-print.png")
    await page.emulate_media(media="screen")
    await page.set_viewport_size({"width": 360, "height": 800})
    assert clipped == 0

    # The new owner scans the slip's QR code: /join#code=… with the code filled in (by app.js, from
    # the fragment, which never reaches the server or its logs).
    newcomer = await phone_factory()
    await newcomer.goto("/join#code=" + code.replace("-", "").replace(" ", ""))
    await newcomer.check()
    assert (await newcomer.page.input_value("#invite")).replace("-", "").replace(" ", "") == code.replace(
        "-", ""
    ).replace(" ", "")
    await newcomer.page.fill("#display_name", "新业主")
    await newcomer.page.fill("#login", "newowner")
    await newcomer.page.fill("#password", "a long enough password")
    async with newcomer.page.expect_navigation():
        await newcomer.page.locator("form button.primary").click()
    await newcomer.check()
    assert newcomer.page.url.endswith("/halls")
    assert await newcomer.page.get_by_role("link", name="阳光花园", exact=True).count() == 1


async def test_canvasser_enters_a_paper_ballot(world: World, phone_factory: Any) -> None:
    phone = await signed_in(phone_factory, "canvasser")
    page = phone.page
    vote = world.ids["vote"]
    await phone.tap(f"a[href='/proposals/{vote}']")
    await phone.tap(f"a[href='/proposals/{vote}/vote']")
    await phone.tap(f"a[href='/proposals/{vote}/paper']")
    assert phone.taps == 3
    # The canvasser finds the owner by what the door says, sees name, unit and area, and confirms.
    await page.fill("#q", "7幢1单元102")
    async with page.expect_navigation():
        await page.locator("form[role=search] button").click()
    await phone.check()
    found = page.locator("ul.found-owners li a").first
    line = await found.inner_text()
    assert "7幢 1-102" in line and "平方米" in line
    name = line.split("，")[0]
    async with page.expect_navigation():
        await found.click()
    await phone.check()
    assert name in await page.locator(".selected-owner").inner_text()
    await page.locator("label.choice", has_text="反对").click()
    await page.fill("#witness", "业委会 张主任")
    async with page.expect_navigation():
        await page.locator("button[name=action][value=ballot]").click()
    await phone.check()
    review = await page.locator(".confirm-box").inner_text()
    assert name in review and "反对" in review and "业委会 张主任" in review
    async with page.expect_navigation():
        await page.locator(".confirm-box button[type=submit]").click()
    await phone.check()
    status = page.locator("[role=status]").first
    assert name in await status.inner_text()
    assert len((await page.locator("strong.receipt").inner_text()).strip()) >= 8
    await phone.screenshot("paper-ballot")


async def test_a_proposal_from_draft_to_certified_record_with_live_updates(
    world: World, phone_factory: Any
) -> None:
    from datetime import timedelta

    from agora import clock
    from agora.ballots.voting import close_overdue
    from tests.browser.world import SHANGHAI

    author = await signed_in(phone_factory, "owner1")
    neighbour = await signed_in(phone_factory, "owner2")
    party = await signed_in(phone_factory, "party")
    page = author.page

    # owner1 drafts an owners' matter from the hall (one tap to the form).
    await author.tap(f"a[href='/halls/{HALL}/proposals/new']")
    await page.fill("#title", "更换小区大门门禁系统")
    await page.fill("#body", "门禁经常损坏，拟更换为刷卡加人脸识别的门禁。\n\n- 预算约8万元")
    await page.select_option("#matter", "ordinary")
    await page.select_option("#item", "9")
    async with page.expect_navigation():
        await page.locator("form button.primary").click()
    await author.check()
    pid = int(page.url.rsplit("/", 1)[1])

    # owner2 seconds it; the Party branch opens the consultation.
    await neighbour.goto(f"/proposals/{pid}")
    async with neighbour.page.expect_navigation():
        await neighbour.page.get_by_role("button", name="附议").click()
    await neighbour.check()
    await party.goto(f"/proposals/{pid}")
    async with party.page.expect_navigation():
        await party.page.locator("form.transition:has(input[value=consultation]) button").click()
    await party.check()

    # Both owners read the discussion; a comment from one reaches the other live within a second.
    for phone in (author, neighbour):
        async with phone.page.expect_websocket() as socket_info:
            await phone.goto(f"/proposals/{pid}")
        socket = await socket_info.value
        await phone.check()
        assert "/ws/halls/" in socket.url
    await author.page.wait_for_timeout(300)  # the sockets are subscribed
    form = neighbour.page.locator(f"#comment-form-{pid}-root")
    await form.locator("textarea").fill("支持更换，现在的门禁三天两头坏。")
    await form.locator("select").select_option("support")
    await form.locator("button[type=submit]").click()
    await neighbour.page.wait_for_selector(f"#comment-form-{pid}-root p.ok")
    arrived = author.page.locator(".comment", has_text="三天两头坏")
    await arrived.wait_for(timeout=1000)
    comment_id = int((await arrived.get_attribute("id") or "").split("-")[1])

    # The moderator hides it with a reason: both owners see the "hidden" notice in its place, live.
    await party.goto(f"/comments/{comment_id}")
    await party.page.fill("#hide-reason", "测试隐藏理由")
    await party.page.locator("form[action$='/hide'] input[name=confirm]").check()
    async with party.page.expect_navigation():
        await party.page.get_by_role("button", name="隐藏", exact=True).click()
    await party.check()
    for phone in (author, neighbour):
        notice = phone.page.locator(f"#comment-{comment_id} .moderated", has_text="测试隐藏理由")
        await notice.wait_for(timeout=1000)
        assert "三天两头坏" not in await phone.page.locator(f"#comment-{comment_id}").inner_text()
    await author.check()

    # Notice, then (after the 15-day notice period) voting, moved on by the Party branch.
    # The notice announces the voting window (it opens after 15 days and closes 7 days later).
    await party.goto(f"/proposals/{pid}")
    closes = (clock.now() + timedelta(days=23, hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    await party.page.fill("#closes-at-notice", closes)
    async with party.page.expect_navigation():
        await party.page.locator("form.transition:has(input[value=notice]) button").click()
    await author.page.locator(f"#proposal-state-{pid}", has_text="公示").wait_for(timeout=1000)
    clock.travel(timedelta(days=16, hours=1))
    await party.goto(f"/proposals/{pid}")
    assert await party.page.locator("#closes-at").count() == 0  # opening keeps the announced window
    async with party.page.expect_navigation():
        await party.page.locator("form.transition:has(input[value=voting]) button").click()
    await party.check()

    # owner1 votes and keeps the receipt; the canvasser records a neighbour's paper ballot.
    await author.goto(f"/halls/{HALL}")
    author.taps = 0
    await author.tap(f"a[href='/proposals/{pid}']")
    await author.tap(f"a[href='/proposals/{pid}/vote']")
    await page.locator("label.choice", has_text="同意").click()
    async with page.expect_navigation():
        await page.locator("form[data-confirm-in-place] .confirm-here button").click()
    await author.check()
    receipt = (await page.locator(".receipt strong").inner_text()).strip()
    canvasser = await signed_in(phone_factory, "canvasser")
    await canvasser.goto(f"/proposals/{pid}/paper")
    await canvasser.page.fill("#owner_ref", "SG0004")
    await canvasser.page.locator("label.choice", has_text="同意").click()
    await canvasser.page.fill("#witness", "业委会 张主任")
    async with canvasser.page.expect_navigation():
        await canvasser.page.locator("button[name=action][value=ballot]").click()
    await canvasser.check()
    async with canvasser.page.expect_navigation():
        await canvasser.page.locator(".confirm-box button[type=submit]").click()
    await canvasser.check()
    assert await canvasser.page.locator("strong.receipt").count() == 1

    # The window passes and the vote closes by itself; the committee certifies the record.
    clock.travel(timedelta(days=7, hours=1))
    assert await close_overdue() >= 1
    committee = await signed_in(phone_factory, "committee")
    await committee.tap(f"a[href='/proposals/{pid}']")
    await committee.tap(f"a[href='/proposals/{pid}/resolution']")
    async with committee.page.expect_navigation():
        await committee.page.locator(f"form[action='/proposals/{pid}/resolution/certify'] button").click()
    await committee.check()
    assert await committee.page.locator(f"form[action='/proposals/{pid}/resolution/certify']").count() == 0

    # owner1 reads the result (未形成决定: two ballots are far from the quorum) and finds the ballot.
    await author.goto(f"/proposals/{pid}/result")
    await author.check()
    assert "未形成决定" in await page.inner_text(f"#result-{pid}")
    await author.goto(f"/proposals/{pid}/resolution?receipt={receipt}")
    await author.check()
    assert await page.locator("#ledger tr.found").count() == 1


async def test_large_text_on_the_busiest_pages(world: World, phone_factory: Any) -> None:
    phone = await signed_in(phone_factory, "owner1")
    async with phone.page.expect_navigation():
        await phone.page.locator("button[name=size][value=large]").click()
    assert await phone.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    for path in (
        f"/halls/{HALL}",
        f"/proposals/{world.ids['talk']}",
        f"/proposals/{world.ids['vote']}/vote",
        f"/proposals/{world.ids['done']}/result",
        f"/proposals/{world.ids['done']}/resolution",
    ):
        await phone.goto(path)
        assert await phone.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
        await phone.check()
    await phone.screenshot("large-text")

"""The demo's works in 阳光花园: the bicycle shed decided three weeks ago, built and accepted, with
before / during / after photos, and a roof repair decided since, in progress.

Runs after the ballots step (which posts the shed's final record). Everything goes through the real
use cases: the roof's record is certified (preliminary), its objection period let pass and the final
record posted before its work opens (opening refuses without a final passed record); photos go
through the imaging pipeline; the acceptance poll is a real consultation that demo owners answer and
the scheduler's sweep settles. The clock is moved back and forward, then reset.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from PIL import Image, ImageDraw

from agora import clock
from agora.ballots.casting import cast_ballot
from agora.ballots.models import Resolution
from agora.ballots.publication import finalize_record
from agora.ballots.resolution import certify
from agora.ballots.seed import SHED_TITLE, _online, _open, _proposal
from agora.ballots.voting import close_overdue
from agora.implementation import services, updates
from agora.implementation.models import Quote
from agora.proposals.calendar import finalize_from
from agora.proposals.models import Proposal

ROOF_TITLE = "3幢屋面防水层翻新"
ROOF_BODY = """## 方案
3 幢屋面防水层老化，顶层多户渗漏。翻新屋面防水层约 600 平方米，使用专项维修资金，
业主自筹部分用于顶层室内修补。依据《民法典》第二百七十八条第一款第（六）项，使用专项维修资金。
"""


def picture(sky: tuple[int, int, int], ground: tuple[int, int, int], shed: bool, bikes: int) -> bytes:
    """A drawn photo of the green space: grass and sky, a shed roof when built, bicycles under it."""
    image = Image.new("RGB", (800, 600), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 380, 800, 600), fill=ground)
    if shed:
        draw.polygon([(120, 250), (680, 250), (720, 300), (80, 300)], fill=(60, 90, 130))
        for x in (110, 400, 690):
            draw.rectangle((x - 6, 300, x + 6, 470), fill=(90, 90, 90))
    for k in range(bikes):
        x = 140 + k * 60
        draw.ellipse((x, 430, x + 30, 460), outline=(20, 20, 20), width=4)
        draw.ellipse((x + 34, 430, x + 64, 460), outline=(20, 20, 20), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def _shed(ctx: Any, shed: Proposal) -> None:
    committee = ctx.users["committee"]
    clock.travel(timedelta(days=-9))
    try:
        await services.open_implementation(
            committee,
            shed.id,
            {
                "lead": "committee",
                "due_at": (clock.now() + timedelta(days=30)).isoformat(),
                "budget": "180000.00",
                "funding": [
                    {"source": "other", "amount": "150000.00"},
                    {"source": "self_raised", "amount": "30000"},
                ],
            },
        )
        for title, days in (("材料进场", 3), ("车棚主体完工", 15), ("充电设施通电", 25)):
            due = (clock.now() + timedelta(days=days)).isoformat()
            await services.add_milestone(committee, shed.id, {"title": title, "due_at": due})
        quotes = (("甲钢构工程有限公司", "236000.00"), ("乙建设集团", "171500.00"))
        for supplier, amount in quotes:
            await services.add_quote(
                committee,
                shed.id,
                {"supplier": supplier, "amount": amount, "date": clock.now().date().isoformat()},
            )
        view = await services.access_implementation(committee, shed.id)
        chosen = await Quote.get(implementation_id=view[2].id, supplier="乙建设集团")
        await services.choose_quote(committee, shed.id, chosen.id)
        steps = (
            (
                "施工前：东侧绿地现状，非机动车沿步道乱停。",
                0,
                "0",
                "before",
                picture((200, 220, 240), (90, 160, 80), False, 5),
            ),
            (
                "车棚钢结构已立起，南侧步道保持通行。",
                55,
                "96000.00",
                "during",
                picture((200, 220, 240), (150, 140, 120), True, 0),
            ),
            (
                "车棚与 40 个充电口完工通电，占用绿地已在北侧补种。",
                100,
                "171500.00",
                "after",
                picture((200, 220, 240), (90, 160, 80), True, 8),
            ),
        )
        for body, progress, spent, stage, photo in steps:
            form = {"body": body, "progress": progress, "spent": spent, "stage": stage}
            await updates.post_update(committee, shed.id, form, [photo])
            clock.travel(timedelta(days=1))
        implementation = (await services.access_implementation(committee, shed.id))[2]
        poll = implementation.acceptance_proposal_id
        for login, choice in (
            ("owner1", "accept"),
            ("owner4", "accept"),
            ("owner5", "accept"),
            ("owner6", "reject"),
        ):
            if login in ctx.users and poll:
                await cast_ballot(ctx.users[login], poll, choice)
        closing = await Proposal.get(id=poll)
        assert closing.closes_at is not None
        clock.travel(closing.closes_at - clock.now() + timedelta(minutes=1))
        await close_overdue()
        await services.sweep()
    finally:
        clock.reset()


async def _roof(ctx: Any, sunny: Any, skip: set[str]) -> None:
    committee = ctx.users["committee"]
    clock.travel(timedelta(days=-30))
    try:
        roof = await _proposal(ctx, sunny, title=ROOF_TITLE, body=ROOF_BODY, item=6, entrance=None)
        roof = await _open(roof, ctx, 7)
        await _online(roof, 0.85, skip, seed=280, yes=0.92)
        clock.travel(timedelta(days=7, minutes=1))
        await close_overdue()
        await certify(committee, roof.id)  # the preliminary record: objections open for the rule's days
        record = await Resolution.filter(proposal_id=roof.id).order_by("-id").first()
        assert record is not None and record.posted_at is not None
        days = int(record.document.get("objection_days", 7))
        clock.travel(finalize_from(record.posted_at, days) - clock.now() + timedelta(hours=9))
        await finalize_record(committee, roof.id, {})  # no objection was filed: the final record
        await services.open_implementation(
            committee,
            roof.id,
            {
                "lead": "committee",
                "due_at": (clock.now() + timedelta(days=60)).isoformat(),
                "budget": "320000.00",
                "funding": [
                    {"source": "maintenance_fund", "amount": "280000.00"},
                    {"source": "self_raised", "amount": "40000.00"},
                ],
            },
        )
        await services.add_milestone(
            committee,
            roof.id,
            {"title": "旧防水层铲除", "due_at": (clock.now() + timedelta(days=20)).isoformat()},
        )
        await services.add_milestone(
            committee,
            roof.id,
            {"title": "新防水层铺设与闭水试验", "due_at": (clock.now() + timedelta(days=50)).isoformat()},
        )
        clock.travel(timedelta(days=6))
        form = {"body": "屋面现状：防水卷材起鼓开裂。", "progress": 0, "spent": "0", "stage": "before"}
        await updates.post_update(
            committee, roof.id, form, [picture((170, 170, 175), (110, 100, 95), False, 0)]
        )
        clock.travel(timedelta(days=6))
        form = {
            "body": "旧防水层已铲除约一半，基层找平中。",
            "progress": 35,
            "spent": "98000.00",
            "stage": "during",
        }
        await updates.post_update(committee, roof.id, form, [])
    finally:
        clock.reset()


async def seed(ctx: Any) -> None:
    sunny = ctx.data.get("sunny")
    if sunny is None or "committee" not in ctx.users:
        return
    shed = await Proposal.get_or_none(hall_id=sunny.id, title=SHED_TITLE, state="certified")
    if shed is not None:
        await _shed(ctx, shed)
    await _roof(ctx, sunny, set(ctx.data.get("owner_refs", {}).values()))
    ctx.lines.append(
        "  (works: the bicycle shed built and accepted with photos, the roof of building 3 in progress)"
    )

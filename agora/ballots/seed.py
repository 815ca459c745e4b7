"""The demo's votes in 阳光花园: one with its final record (an objection answered), one whose
preliminary record is in its objection period, one open, and an art. 279 change of use (住改商) asking
its interested owners' consent.

Runs after the rooms (and proposals) steps. Ballots go through the real casting code: the hash chain,
the slots, paper ballots with a witness and one proxy; the records go through certification, the
objection and the final record as the committee would do it. The clock is moved back to open the
first votes in the past, forward through the procedure, then reset.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from agora import clock
from agora.ballots import electorate, ledger
from agora.ballots.casting import cast_paper
from agora.ballots.consenting import record_consent
from agora.ballots.ledger import Ballot, Refused
from agora.ballots.publication import finalize_record, object_to_record
from agora.ballots.resolution import certify
from agora.ballots.voting import close_overdue, open_vote
from agora.live.events import atomic
from agora.proposals.models import Proposal, ProposalTransition
from agora.rooms.models import Hall
from agora.rooms.rules import frozen_rules, rules_from
from agora.rooms.snapshots import frozen_persons

SHED_TITLE = "在小区东侧绿地增设非机动车棚及充电设施"
SHED_BODY = """## 方案
在小区东侧（5 幢与 6 幢之间）绿地上增设非机动车棚一处，约 120 平方米，配 40 个智能充电口。

- 费用：约 18 万元，由公共收益列支，不动用专项维修资金；
- 施工期：30 天，施工期间保留南侧步道通行；
- 占用绿地另行补种，补种面积不少于占用面积。

依据《民法典》第二百七十八条第一款第（八）项（改变共有部分用途），须经专有部分面积占比三分之二以上、
人数占比三分之二以上的业主参与表决，并经参与表决面积四分之三以上、人数四分之三以上的业主同意。
"""
PARKING_TITLE = "利用西门闲置场地增设 12 个临时停车位"
PARKING_BODY = """## 方案
在西门内侧闲置硬化场地划设 12 个临时停车位，按月出租，收益纳入公共收益账户。

依据《民法典》第二百七十八条第一款第（八）项（改变共有部分用途），须经专有部分面积占比三分之二以上、
人数占比三分之二以上的业主参与表决，并经参与表决面积四分之三以上、人数四分之三以上的业主同意。
"""
ELEVATOR_TITLE = "1幢1单元加装电梯"
ELEVATOR_BODY = """## 方案
在 1 幢 1 单元北侧加装电梯一部，平层入户。费用按楼层系数分摊，一楼不分摊；
政府补贴按每台 20 万元申请。由本单元业主表决（《民法典》第二百七十八条第一款第（七）项）。
"""


SHOP_TITLE = "1幢1-301室由住宅改为社区茶室"
SHOP_BODY = """## 方案
1 幢 1-301 室业主申请将住宅改为社区茶室（营业时间 9:00–21:00，不设明火，不外放音乐）。

依据《民法典》第二百七十九条，业主将住宅改变为经营性用房，除遵守法律、法规以及管理规约外，
应当经有利害关系的业主一致同意：本议题列出的每一位业主都同意方为通过，不以多数表决决定。
"""


async def _proposal(
    ctx: Any,
    hall: Hall,
    *,
    title: str,
    body: str,
    item: int | None,
    entrance: str | None,
    affected: list[str] | None = None,
) -> Proposal:
    committee = ctx.users["committee"]
    party = ctx.users.get("party", committee)
    now = clock.now()
    compound = hall if hall.kind == "compound" else await Hall.get(id=hall.compound_id)
    proposal = await Proposal.create(
        hall=hall,
        author=committee,
        title=title,
        body=body,
        category="elevator" if item == 7 else ("facilities" if affected else "parking"),
        matter="unanimous" if affected else "major",  # art. 279 lists the interested owners
        item=item,
        affected=affected,
        entrance=entrance,
        state="notice",
        notice_at=now - timedelta(days=17),
        rules=frozen_rules(rules_from(compound.rules)),  # as frozen at its notice
    )
    for state, days in (("consultation", 40), ("notice", 17)):
        await ProposalTransition.create(
            proposal=proposal,
            from_state="draft" if state == "consultation" else "consultation",
            to_state=state,
            at=now - timedelta(days=days),
            by=party,
        )
    return proposal


async def _open(proposal: Proposal, ctx: Any, days: int) -> Proposal:
    party = ctx.users.get("party", ctx.users["committee"])
    await open_vote(proposal, closes_at=clock.now() + timedelta(days=days), actor=party)
    await Proposal.filter(id=proposal.id).update(state="voting")
    await ProposalTransition.create(
        proposal=proposal, from_state="notice", to_state="voting", at=clock.now(), by=party
    )
    return await Proposal.get(id=proposal.id)


async def _online(proposal: Proposal, share: float, skip: set[str], seed: int, yes: float) -> int:
    """Online ballots for a share of the persons on the frozen roll (demo owners without accounts)."""
    rng = random.Random(seed)
    snapshot = await electorate.load_snapshot(proposal)
    cast = 0
    async with atomic():
        book = await ledger.open_book(proposal.id, [p.key for p in frozen_persons(snapshot)])
        book.check_open()
        for person, refs, area in frozen_persons(snapshot):
            if set(refs) & skip or rng.random() > share:
                continue
            roll = rng.random()
            choice = "yes" if roll < yes else ("no" if roll < yes + (1 - yes) * 0.7 else "abstain")
            voter = electorate.Voter(person, 1, int(area), refs[0] if refs else "")
            outcome = book.add(Ballot(voter, choice))
            if isinstance(outcome, Refused):
                raise outcome.error()
            cast += 1
        await book.write()
    return cast


async def seed(ctx: Any) -> None:
    sunny: Hall | None = ctx.data.get("sunny")
    if sunny is None or "committee" not in ctx.users or "canvasser" not in ctx.users:
        return
    refs: dict[str, str] = ctx.data.get("owner_refs", {})
    demo_refs = set(refs.values())
    canvasser = ctx.users["canvasser"]

    # 1. A major matter voted three weeks ago: closed, counted, certified and posted.
    clock.travel(timedelta(days=-24))
    try:
        shed = await _proposal(ctx, sunny, title=SHED_TITLE, body=SHED_BODY, item=8, entrance=None)
        shed = await _open(shed, ctx, 14)
        await _online(shed, 0.86, demo_refs, seed=278, yes=0.9)
        papers: list[tuple[str | None, str, dict[str, str] | None]] = [
            (refs.get("owner5"), "yes", None),
            (refs.get("owner6"), "no", None),
        ]
        authorization = f"委托书 2026-017：委托周小明就第 {shed.id} 号议题「{SHED_TITLE}」表决"
        papers.append(
            (
                refs.get("owner4"),
                "yes",
                {"name": "周小明", "id_last4": "017X", "authorization": authorization},
            )
        )
        for ref, choice, proxy in papers:
            if ref:
                data = {"owner_ref": ref, "choice": choice, "witness": "楼长 陈阿姨", "proxy": proxy}
                await cast_paper(canvasser, shed.id, data)
        clock.travel(timedelta(days=14, minutes=1))
        await close_overdue()
        await certify(ctx.users["committee"], shed.id)  # the preliminary record, objections open 7 days
        clock.travel(timedelta(days=1))
        objector = ctx.users.get("owner2")
        if objector is not None:
            objection = await object_to_record(
                objector, shed.id, "车棚选址离 5 幢 1 单元窗户太近，请核实纸质票的见证人签名是否齐全。"
            )
            clock.travel(timedelta(days=8))
            answer = "已逐张核对纸质表决票，见证人签名齐全；车棚距 5 幢外墙 8 米，符合规划要求。"
            await finalize_record(ctx.users["committee"], shed.id, {str(objection["id"]): answer})
    finally:
        clock.reset()

    # 2. A parking matter closed three days ago: its preliminary record is in the objection period.
    clock.travel(timedelta(days=-9))
    try:
        parking = await _proposal(ctx, sunny, title=PARKING_TITLE, body=PARKING_BODY, item=8, entrance=None)
        parking = await _open(parking, ctx, 6)
        await _online(parking, 0.8, demo_refs, seed=280, yes=0.8)
        clock.travel(timedelta(days=6, minutes=1))
        await close_overdue()
        clock.travel(timedelta(days=1))
        await certify(ctx.users["committee"], parking.id)
    finally:
        clock.reset()

    # 2. An elevator for building 1, entrance 1: voting now; owner1 has not voted yet.
    building = await Hall.get_or_none(kind="building", compound_id=sunny.id, label="1")
    if building is not None:
        lift = await _proposal(ctx, building, title=ELEVATOR_TITLE, body=ELEVATOR_BODY, item=7, entrance="1")
        lift = await _open(lift, ctx, 10)
        await _online(lift, 0.5, demo_refs, seed=279, yes=0.7)
    # 4. Art. 279 (住改商): a home to become a tea room needs the consent of every interested owner.
    # owner6's was entered by the canvasser with a witness; owner1 answers on the consents page.
    asked = [ref for ref in (refs.get("owner1"), refs.get("owner6")) if ref]
    if len(asked) == 2:
        shop = await _proposal(
            ctx, sunny, title=SHOP_TITLE, body=SHOP_BODY, item=None, entrance=None, affected=asked
        )
        shop = await _open(shop, ctx, 10)
        entered = {"owner_ref": asked[1], "consent": True, "witness": "楼长 陈阿姨"}
        await record_consent(canvasser, shop.id, entered)
    ctx.lines.append(
        "  (votes in 阳光花园: a final record with an answered objection, a preliminary record in its"
        " objection period, an open elevator vote for owner1, and an art. 279 change of use asking"
        " owner1's consent)"
    )

"""The proposals part of the demo: a lively consultation, a notice, a draft with seconds, and a
residents' meeting held and closed (attendance online and in the room, its decision).

Runs after the rooms step (which leaves `ctx.data["sunny"]`, its buildings and the users party,
committee, owner1..6 and tenant1) and goes through the real use cases, so the timeline, the
moderation log and the audit trail look exactly as they would after real use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agora import clock
from agora.proposals import calendar, discussion, meeting, moderation, services
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall, Unit

PARKING_BODY = """\
小区地面停车位只有 120 个，晚上常有车辆停在消防通道上。

**建议**：
1. 将东门内侧的闲置空地改为 30 个临时停车位；
2. 夜间消防通道由物业每晚巡查；
3. 外来车辆收费标准另行讨论。

欢迎大家发表意见，党支部将汇总后答复。"""

ELEVATOR_BODY = """\
1 号楼 1 单元为 7 层无电梯住宅，老人上下楼困难。拟申请加装电梯一部。

- 费用估算：约 60 万元，按楼层分摊，政府补贴按市里政策申请；
- 施工期约 4 个月；
- 一层住户的采光与通行影响将单独协商并需本人书面同意。"""

PM_BODY = """\
现物业服务合同将于年底到期。近一年来垃圾清运不及时、门禁经常损坏。

提议：由业委会启动选聘程序，公开招标，候选企业的报价和服务方案在议事厅公示。"""


MEETING_BODY = """\
楼道里堆放杂物、电动车在楼道内充电，存在消防隐患。

**居民会议议题**：
1. 本月底前清理各楼道堆放的杂物，逾期由物业统一清运；
2. 在 3 号楼北侧设置集中充电棚，禁止电动车进楼道充电。

租户和业主一样参加会议，每人一票。"""


def _access(hall: Hall, *roles: str) -> HallAccess:
    return HallAccess(hall=hall, roles=frozenset({"member", *roles}))


async def seed(ctx: Any) -> None:
    sunny: Hall = ctx.data["sunny"]
    users = ctx.users
    party, committee = users["party"], users["committee"]
    as_party = _access(sunny, "moderator")
    as_member = _access(sunny)

    parking = await services.create_proposal(
        as_member,
        users["owner1"],
        {
            "title": "东门空地改建临时停车位",
            "body": PARKING_BODY,
            "category": "parking",
            "matter": "consultation",
            "options": [
                {"key": "yes", "label": "赞成改建"},
                {"key": "no", "label": "不赞成，保留绿地"},
                {"key": "later", "label": "先做方案再议"},
            ],
        },
    )
    await services.transition(as_party, parking, "consultation", party)
    first = await discussion.post_comment(
        as_member, parking, users["owner2"], "赞成！每天晚上回来都找不到车位。", stance="support"
    )
    await discussion.post_comment(
        as_member,
        parking,
        users["owner5"],
        "空地旁边就是儿童游乐区，车辆进出不安全，**反对**。",
        stance="oppose",
    )
    question = await discussion.post_comment(
        as_member, parking, users["tenant1"], "租户的车可以申请这些车位吗？", stance="question"
    )
    await discussion.post_comment(
        as_member,
        parking,
        users["owner3"],
        "同意楼上，可以把入口改到北侧，避开游乐区。",
        parent=first.id,
        stance="support",
    )
    await discussion.post_comment(
        as_party,
        parking,
        party,
        "感谢大家的意见。临时车位优先安排本小区业主和登记在册的租户；"
        "入口位置请物业出两个方案，下周在议事厅公示。",
        parent=question.id,
        official=True,
    )
    spam = await discussion.post_comment(
        as_member, parking, users["owner6"], "出租车位，价格优惠，加微信 xxx 详谈", stance="neutral"
    )
    await moderation.hide(as_party, spam, party, "与议题无关的商业广告（议事规则第 5 条）")

    building = (ctx.data.get("sunny_buildings") or {}).get("1")
    lift_hall = building or sunny
    entrance = None
    if building is not None:
        unit = await Unit.filter(building_id=building.id).exclude(entrance="").first()
        entrance = unit.entrance if unit else None
    elevator = await services.create_proposal(
        _access(lift_hall),
        users["owner1"],
        {
            "title": "1 号楼 1 单元加装电梯",
            "body": ELEVATOR_BODY,
            "category": "elevator",
            "matter": "major",
            "item": 7,
            "entrance": entrance,
        },
    )
    await services.transition(_access(lift_hall, "moderator"), elevator, "consultation", party)
    # The notice announces the voting window: 14 days from the first day voting may open.
    closes = calendar.earliest_voting_start(clock.now(), 15) + timedelta(days=14)
    await services.transition(_access(lift_hall, "moderator"), elevator, "notice", party, closes_at=closes)

    management = await services.create_proposal(
        as_member,
        committee,
        {
            "title": "启动物业服务企业选聘程序",
            "body": PM_BODY,
            "category": "property_management",
            "matter": "ordinary",
            "item": 4,
        },
    )
    for login in ("owner1", "owner4", "owner5"):
        await services.second(as_member, management, users[login])
    held = await _residents_meeting(ctx, sunny, as_party, as_member)
    ctx.data.update(
        parking_proposal=parking, elevator_proposal=elevator, pm_proposal=management, meeting_proposal=held
    )


async def _residents_meeting(ctx: Any, sunny: Hall, as_party: HallAccess, as_member: HallAccess) -> Any:
    """A residents' meeting the Party branch held: five of the seven residents on agora present (a
    tenant among them, one entered in the room with a witness), four in favour: passed."""
    users, party = ctx.users, ctx.users["party"]
    held = await services.create_proposal(
        as_member,
        party,
        {
            "title": "楼道堆物清理与集中充电棚",
            "body": MEETING_BODY,
            "category": "facilities",
            "matter": "resident_meeting",
        },
    )
    await services.transition(as_party, held, "consultation", party)
    await services.transition(as_party, held, "voting", party)
    for login, choice in (("owner1", "yes"), ("owner2", "yes"), ("tenant1", "yes"), ("owner5", "no")):
        await meeting.record_vote(users[login], held.id, {"choice": choice})
    entry = {"choice": "yes", "resident": users["owner4"].id, "witness": "居委会 王主任"}
    await meeting.record_vote(party, held.id, entry)
    await services.transition(as_party, held, "closed", party)
    return held

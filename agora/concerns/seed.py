"""The concerns part of the demo: three dozen worries and wishes across 阳光花园's buildings in every
status, a few in 江景苑, entered by residents and (on behalf of elderly residents) by the canvasser.

Goes through the real use cases with the clock moved back, so history, timestamps, the audit trail,
the live events and the search index are exactly what real use leaves: items raised over the last
seven weeks, triaged by the Party branch a day or two later, some done, some overdue, duplicates
merged, follow-ups answered. Runs after the rooms step (which leaves the users and halls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agora import clock
from agora.concerns import categories, linking, services  # noqa: F401 — linking: a proposal names its concern
from agora.concerns.access import viewer_in
from agora.concerns.models import Concern
from agora.proposals import services as proposal_services
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall

# A step: (days after it was raised, action, argument).
#   triage: (route, urgency, category, due in days or None, assignee)
#   status: (to, note); merge: key of the survivor; reply: text; feedback: (satisfied, comment)


@dataclass
class Spec:
    key: str
    days_ago: float
    who: str  # a demo login, or "canvasser:<name>" for an entry on behalf
    building: str | None
    kind: str
    category: str
    title: str
    body: str
    steps: list[tuple[float, str, Any]] = field(default_factory=list)
    private: bool = False


PROPERTY = "物业服务中心 王经理"
SPECS: list[Spec] = [
    # --- resolved, with follow-ups ---------------------------------------------------------------
    Spec(
        "lift3",
        48,
        "owner4",
        "3",
        "concern",
        "livelihood",
        "3号楼电梯一周坏了三次",
        "3号楼2单元的电梯这周停了三次，最长一次困了人二十分钟。楼里老人多，上下楼非常困难，希望尽快彻底检修。",
        [
            (1, "triage", ("refer", 3, "livelihood", 10, "物业服务中心 + 电梯维保公司")),
            (2, "status", ("in_progress", "已通知维保公司，更换曳引机钢丝绳。")),
            (2, "reply", "党支部已与物业和维保公司约谈，本周内完成大修，期间安排专人值守。"),
            (8, "status", ("resolved", "电梯大修完成，已通过特种设备检验。")),
            (10, "feedback", (True, "修好后一直正常，谢谢！")),
        ],
    ),
    Spec(
        "lift3b",
        46,
        "owner5",
        "3",
        "concern",
        "livelihood",
        "电梯又困人了",
        "今天早上3号楼电梯又停在5楼和6楼之间，里面有老人，物业半小时才到。",
        [(2, "merge", "lift3")],
    ),
    Spec(
        "lamp2",
        41,
        "tenant1",
        "2",
        "concern",
        "livelihood",
        "2号楼楼道灯不亮",
        "2号楼1单元三楼到五楼的楼道灯坏了快两周，晚上上楼看不见台阶。",
        [
            (1, "triage", ("refer", 2, "livelihood", 5, PROPERTY)),
            (3, "status", ("in_progress", "")),
            (4, "status", ("resolved", "已更换感应灯 6 盏。")),
            (6, "feedback", (True, "")),
        ],
    ),
    Spec(
        "bench",
        39,
        "canvasser:王桂英",
        "5",
        "wish",
        "livelihood",
        "希望在5号楼下放两张长椅",
        "王奶奶八十多岁，每天下楼晒太阳没地方坐，希望楼下能放两张长椅。",
        [
            (2, "triage", ("self_help", 1, "livelihood", 20, "5号楼楼长 + 志愿者")),
            (9, "status", ("in_progress", "居民捐了两张长椅，志愿者周末安装。")),
            (12, "status", ("resolved", "两张长椅已安装在5号楼南侧。")),
            (15, "feedback", (True, "坐着晒太阳很舒服。")),
        ],
    ),
    Spec(
        "bp",
        37,
        "owner6",
        "6",
        "wish",
        "health",
        "给小区老人配一台血压计",
        "很多老人有高血压，希望活动室能放一台电子血压计，方便大家随时量。",
        [
            (1, "triage", ("self_help", 1, "health", 14, "社区卫生服务站")),
            (6, "status", ("resolved", "社区卫生服务站捐赠血压计一台，放在党群服务站。")),
            (8, "feedback", (True, "")),
        ],
    ),
    Spec(
        "trash",
        34,
        "owner2",
        "2",
        "concern",
        "livelihood",
        "垃圾分类点气味太大",
        "2号楼北侧的垃圾分类点夏天清运不及时，气味很大，苍蝇多。",
        [
            (2, "triage", ("list", 2, "livelihood", 10, PROPERTY)),
            (3, "status", ("in_progress", "清运改为每天两次。")),
            (9, "status", ("resolved", "增加清运频次并每日冲洗。")),
            (11, "feedback", (False, "早上还是有味道，希望再改善。")),
        ],
    ),
    Spec(
        "doctor",
        33,
        "canvasser:刘德明",
        "4",
        "concern",
        "health",
        "希望家庭医生上门测血糖",
        "刘大爷腿脚不便，糖尿病需要定期测血糖，希望家庭医生能上门。",
        [
            (1, "triage", ("refer", 2, "health", 7, "社区卫生服务站 家庭医生团队")),
            (5, "status", ("resolved", "家庭医生已签约，每两周上门一次。")),
        ],
    ),
    Spec(
        "water",
        30,
        "owner1",
        "1",
        "concern",
        "livelihood",
        "1号楼自来水发黄",
        "最近一周1号楼早上放出来的水发黄，担心水箱没清洗。",
        [
            (0.5, "status", ("resolved", "当天已清洗二次供水水箱，水质检测合格。")),
            (2, "feedback", (True, "处理很快。")),
        ],
    ),
    Spec(
        "study",
        28,
        "owner3",
        None,
        "wish",
        "education",
        "假期给孩子们办个四点半课堂",
        "双职工家庭孩子放学没人管，希望暑假和平时下午能有个托管和作业辅导的地方。",
        [
            (2, "triage", ("self_help", 1, "education", 21, "党员志愿者 + 退休教师")),
            (10, "status", ("in_progress", "招募到 6 名退休教师志愿者。")),
            (20, "status", ("resolved", "四点半课堂已在党群服务站开班，每周一至周五。")),
        ],
    ),
    # --- closed unresolved --------------------------------------------------------------------
    Spec(
        "gate",
        32,
        "owner5",
        None,
        "concern",
        "policy",
        "希望开通北门方便买菜",
        "北门常年关闭，去菜市场要绕一大圈。",
        [
            (2, "triage", ("list", 1, "policy", None, "业委会")),
            (
                12,
                "status",
                ("closed_unresolved", "北门外为市政道路施工区域，安全原因暂不能开放；施工结束后再议。"),
            ),
        ],
    ),
    Spec(
        "dogs",
        25,
        "owner4",
        "5",
        "concern",
        "livelihood",
        "有人遛狗不牵绳",
        "晚上有好几条大狗不牵绳在广场跑，孩子很害怕。",
        [],
    ),
    # --- in progress (some overdue) ---------------------------------------------------------------
    Spec(
        "ev",
        36,
        "owner1",
        "1",
        "concern",
        "livelihood",
        "电动车在楼道充电太危险",
        "1号楼好几户把电动车推进楼道充电，晚上插线板拖一地，万一着火后果不堪设想。希望建集中充电桩。",
        [
            (2, "triage", ("proposal", 3, "livelihood", 30, "业委会")),
            (3, "propose", None),
            (4, "status", ("in_progress", "业委会起草充电桩议题，征求意见中。")),
        ],
    ),
    Spec(
        "ev2",
        27,
        "owner6",
        "6",
        "concern",
        "livelihood",
        "能不能装电动车充电桩",
        "6号楼没有充电的地方，大家只能飞线充电。",
        [(1, "merge", "ev")],
    ),
    Spec(
        "roof",
        29,
        "owner4",
        "3",
        "concern",
        "livelihood",
        "3号楼顶层漏水",
        "下雨时3号楼顶层两户天花板渗水，墙皮都泡起来了。",
        [
            (1, "triage", ("refer", 3, "livelihood", 14, "物业服务中心 + 维修资金申请")),
            (3, "status", ("in_progress", "已勘察，防水层老化，需使用维修资金。")),
            (4, "reply", "此事涉及使用专项维修资金，需按程序由业主表决，党支部会全程跟进。"),
        ],
    ),
    Spec(
        "noise",
        22,
        "owner2",
        "2",
        "concern",
        "livelihood",
        "广场舞音响太响",
        "晚上八点以后广场舞音响声音很大，影响老人和孩子休息。",
        [
            (1, "triage", ("self_help", 2, "livelihood", 7, "党支部 + 舞蹈队队长")),
            (2, "status", ("in_progress", "已约舞蹈队协商，试行降低音量、九点前结束。")),
        ],
    ),
    Spec(
        "parking",
        20,
        "owner3",
        None,
        "concern",
        "停车管理",
        "外来车辆占用业主车位",
        "晚上经常有外来车辆停在业主车位上，物业登记不严。",
        [
            (2, "triage", ("list", 2, "停车管理", 10, PROPERTY)),
            (4, "status", ("in_progress", "物业加强门岗登记，试行访客车辆扫码。")),
        ],
    ),
    Spec(
        "ramp",
        18,
        "canvasser:赵秀兰",
        "4",
        "wish",
        "livelihood",
        "4号楼门口加一条无障碍坡道",
        "赵阿姨坐轮椅，4号楼门口三级台阶出不去门。",
        [
            (1, "triage", ("list", 3, "livelihood", 10, "社区 + 物业服务中心")),
            (3, "status", ("in_progress", "已报社区适老化改造项目。")),
        ],
    ),
    # --- accepted (triaged, not started) -------------------------------------------------------
    Spec(
        "green",
        16,
        "owner6",
        "6",
        "concern",
        "环境卫生",
        "6号楼前绿化带被改成菜地",
        "有人把6号楼前的绿化带翻了种菜，还浇粪水，气味很大。",
        [(1, "triage", ("self_help", 2, "环境卫生", 14, "楼长 + 党员志愿者"))],
    ),
    Spec(
        "mail",
        14,
        "owner5",
        "4",
        "wish",
        "livelihood",
        "快递柜能不能多放几组",
        "快递柜经常满，快递员就放在门口，丢过好几次。",
        [(2, "triage", ("refer", 1, "livelihood", 30, PROPERTY))],
    ),
    Spec(
        "sign",
        12,
        "owner1",
        None,
        "concern",
        "policy",
        "小区公示栏信息太旧",
        "公示栏里还贴着去年的通知，物业费收支也没有公示。",
        [(1, "triage", ("list", 2, "policy", 10, "业委会"))],
    ),
    Spec(
        "fitness",
        11,
        "tenant1",
        None,
        "wish",
        "health",
        "健身器材坏了好几件",
        "广场上的漫步机和扭腰器坏了，有安全隐患。",
        [(1, "triage", ("refer", 2, "health", 14, PROPERTY))],
    ),
    Spec(
        "school",
        9,
        "owner3",
        "2",
        "concern",
        "education",
        "上学路口没有红绿灯",
        "小区东门出去到小学的路口车很多，没有红绿灯和斑马线，孩子过马路很危险。",
        [(1, "triage", ("refer", 3, "education", 30, "社区 → 交警大队"))],
    ),
    Spec(
        "gym",
        8,
        "owner2",
        None,
        "wish",
        "education",
        "周末给老年人开智能手机课",
        "很多老人不会用手机挂号、付款，希望有人教。",
        [(1, "triage", ("self_help", 1, "education", 30, "党员志愿者"))],
    ),
    # --- received (awaiting triage) --------------------------------------------------------------
    Spec(
        "cats",
        5,
        "owner4",
        "5",
        "concern",
        "环境卫生",
        "流浪猫太多",
        "5号楼地下室附近流浪猫越来越多，晚上叫声很大。",
    ),
    Spec(
        "window",
        4,
        "canvasser:陈国强",
        "1",
        "concern",
        "livelihood",
        "楼道窗户玻璃碎了",
        "1号楼2单元四楼楼道窗户玻璃碎了，风一吹很危险。",
    ),
    Spec(
        "light7",
        3,
        "owner6",
        "7",
        "concern",
        "livelihood",
        "7号楼路灯不亮",
        "7号楼门口的路灯坏了，晚上很黑。",
    ),
    Spec(
        "neighbour",
        3,
        "owner5",
        "4",
        "concern",
        "livelihood",
        "楼上装修超时施工",
        "楼上装修晚上九点以后还在打电钻。",
        private=True,
    ),
    Spec(
        "library",
        2,
        "owner1",
        None,
        "wish",
        "education",
        "想在党群服务站设一个图书角",
        "家里有不少闲置的书，可以捐出来大家一起看。",
    ),
    Spec(
        "bike",
        1,
        "owner3",
        "8",
        "wish",
        "livelihood",
        "8号楼旁加一个自行车棚",
        "自行车停在露天，下雨都淋坏了。",
    ),
    Spec(
        "pet",
        0.3,
        "tenant1",
        "2",
        "concern",
        "环境卫生",
        "草坪上狗粪没人清理",
        "2号楼前草坪上狗粪很多，孩子玩的时候容易踩到。",
    ),
]
RIVER_SPECS = [
    Spec("river-lift", 10, "riverowner", "2", "concern", "livelihood", "2号楼电梯按钮失灵",
         "2号楼电梯的6楼按钮按了没反应。"),
    Spec("river-bench", 6, "riverowner", None, "wish", "livelihood", "小区河边步道加几盏灯",
         "晚上散步的老人多，步道太暗。"),
]  # fmt: skip
SUNNY_CATEGORIES = ("停车管理", "环境卫生")


def _at(days_ago: float) -> None:
    """Set the clock to `days_ago` days before the real now (the demo's history)."""
    clock.reset()
    clock.travel(-timedelta(days=days_ago))


async def seed(ctx: Any) -> None:
    sunny: Hall = ctx.data["sunny"]
    river: Hall = ctx.data["river"]
    users = ctx.users
    try:
        _at(50)
        party = await viewer_in(users["party"], sunny)
        for label in SUNNY_CATEGORIES:
            await categories.add_category(party, label)
        made: dict[str, Concern] = {}
        codes: list[str] = []
        timeline: list[tuple[float, int, Spec, float, str, Any]] = []
        for order, spec in enumerate([*SPECS, *RIVER_SPECS]):
            timeline.append((spec.days_ago, order, spec, 0, "raise", None))
            for index, (after, action, argument) in enumerate(spec.steps):
                timeline.append(
                    (spec.days_ago - after, order * 100 + index + 1, spec, after, action, argument)
                )
        timeline.sort(key=lambda item: (-item[0], item[1]))
        for days_ago, _order, spec, _after, action, argument in timeline:
            _at(days_ago)
            compound = river if spec.key.startswith("river") else sunny
            if action == "raise":
                made[spec.key], code = await _raise(ctx, compound, spec)
                if code:
                    codes.append(f"{spec.who.split(':', 1)[1]} {code}")
                continue
            await _step(ctx, compound, made, spec, action, argument)
    finally:
        clock.reset()
    counts = {
        s: await Concern.filter(compound_id=sunny.id, status=s).count() for s in ("received", "resolved")
    }
    waiting, resolved = counts["received"], counts["resolved"]
    ctx.lines.append(
        f"  concerns     {len(SPECS)} in 阳光花园 ({waiting} awaiting triage, {resolved} resolved):"
        " /halls/sunny-garden/concerns, /halls/sunny-garden/governance"
    )
    if codes:
        ctx.lines.append(f"  follow codes (entered by the canvasser, open /concerns/follow): {codes[0]}")


async def _raise(ctx: Any, compound: Hall, spec: Spec) -> tuple[Concern, str | None]:
    login, _sep, name = spec.who.partition(":")
    viewer = await viewer_in(ctx.users[login], compound)
    building = None
    if spec.building is not None:
        building = await Hall.get(kind="building", compound_id=compound.id, label=spec.building)
    data = {
        "title": spec.title,
        "body": spec.body,
        "category": spec.category,
        "kind": spec.kind,
        "visibility": "moderators" if spec.private else "public",
        "building": building.slug if building else None,
        "on_behalf": name or None,
    }
    return await services.raise_concern(viewer, None, data)


async def _step(
    ctx: Any, compound: Hall, made: dict[str, Concern], spec: Spec, action: str, argument: Any
) -> None:
    concern = await Concern.get(id=made[spec.key].id)
    party = await viewer_in(ctx.users["party"], compound)
    if action == "triage":
        route, urgency, category, due, assignee = argument
        due_at = (
            (clock.now() + timedelta(days=due)).astimezone(clock.LOCAL_TZ).date().isoformat()
            if due
            else None
        )
        await services.triage(
            party,
            concern,
            {
                "route": route,
                "urgency": urgency,
                "category": category,
                "due_at": due_at,
                "assignee": assignee,
            },
        )
    elif action == "status":
        to, note = argument
        await services.set_status(concern, to, note, party.user)
    elif action == "merge":
        await services.merge(party, concern, made[argument].id)
    elif action == "reply":
        await services.reply(party, concern, argument)
    elif action == "feedback":
        satisfied, comment = argument
        if concern.submitter_id is not None:  # type: ignore[attr-defined]
            submitter = await viewer_in(await concern.submitter, compound)  # type: ignore[misc]
            await services.feedback(submitter, concern, satisfied, comment)
    elif action == "propose":
        committee = ctx.users["committee"]
        access = HallAccess(hall=compound, roles=frozenset({"member", "committee"}))
        await proposal_services.create_proposal(access, committee, {
            "title": "在1号楼和6号楼旁建电动车集中充电棚",
            "body": "回应居民关于电动车楼道充电的诉求：在1号楼东侧和6号楼北侧各建一处集中充电棚，"
                    "共 40 个充电口，费用由充电收益分期回收。\n\n欢迎大家发表意见。",
            "category": "facilities", "matter": "consultation",
            "options": [{"key": "yes", "label": "赞成建设"}, {"key": "no", "label": "不赞成"}],
            "concern": concern.id,
        })  # fmt: skip

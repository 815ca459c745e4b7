"""The demo plus proposals in every state: the world the browser, page-language and page-weight tests use.

`seed_world` seeds the real demo (`agora.demo.seed_demo`: halls, rolls, staff and owner accounts) and
adds, through the public API, one proposal per interesting state of 阳光花园 (sunny-garden):

- a draft by owner1 that owner3 has seconded (owner2 has not),
- a consultation with a thread: a reply, an official answer by the Party branch, a hidden comment,
  and a comment owner2 reported (so the moderator's queue has an entry),
- an owners' vote that is open (owner1 and owner2 have not voted; owner4 voted online),
- an owners' vote that closed (online, paper and proxy ballots) with its resolution record certified,
- an art. 279 change of use (住改商) asking owner1's and owner2's consent, open,
- two concerns: one triaged onto the governance list with an official reply, one wish awaiting triage.

`lang="en"` seeds only the demo's rooms step, renames every hall, person and unit label to plain
ASCII and writes the proposals in English, so a page rendered in English must not show a single
Chinese character.
Time moves forward (agora.clock) by the notice period and a voting window; the browser tests keep
their sessions alive across that jump with long session lifetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from agora import clock
from agora.demo import DEMO_PASSWORD, seed_demo
from agora.proposals.models import Proposal
from tests.support import TEST_PASSWORDS

SHANGHAI = ZoneInfo("Asia/Shanghai")
HALL = "sunny-garden"
PASSWORD = DEMO_PASSWORD

TEXT = {
    "zh": {
        "draft": ("在2号楼旁加装自行车棚", "建议在2号楼东侧空地加装一个有顶的自行车棚，约20个车位。"),
        "talk": (
            "小区东门夜间照明改造",
            "东门路灯太暗，老人晚上回家不安全。建议更换为LED路灯。\n\n- 预算约3万元\n- 由物业组织施工",
        ),
        "vote": ("1幢1单元加装电梯", "在1幢1单元加装电梯，费用按楼层分摊，低层住户给予补偿。"),
        "done": ("使用维修资金更换屋顶防水层", "3幢屋顶漏水，使用专项维修资金更换防水层，预算12万元。"),
        "shop": ("1幢1-302室改为茶室", "住宅改为经营性用房，须经有利害关系的业主一致同意。"),
        "comments": {
            "first": "赞成，晚上确实太黑了。",
            "reply": "同意楼上，我母亲上周差点摔倒。",
            "hidden": "物业都是骗子，全是垃圾！",
            "official": "党支部答复：已联系供电所，预计下月施工。",
            "reported": "这个提议是浪费钱，没必要。",
        },
        "hide_reason": "人身攻击",
        "report_reason": "语气不友好",
        "concerns": {
            "lamp": ("2号楼楼道灯不亮", "2单元三楼到五楼的灯坏了两周，晚上看不见台阶。"),
            "bench": ("希望5号楼下放两张长椅", "老人下楼晒太阳没地方坐。"),
            "reply": "已通知物业，本周内更换。",
            "assignee": "物业 电工老李",
        },
    },
    "en": {
        "draft": (
            "Bicycle shelter by building 2",
            "A covered shelter for about twenty bicycles east of building 2.",
        ),
        "talk": (
            "East gate lights at night",
            "The east gate is too dark at night.\n\n- Budget about 30000\n- Works by the manager",
        ),
        "vote": ("Elevator for building 1 entrance 1", "Install an elevator, costs shared by floor."),
        "done": ("Roof waterproofing from the fund", "Replace the leaking roof of building 3 from the fund."),
        "shop": ("Unit 1-302 to become a tea room", "A home turned into a business needs every consent."),
        "comments": {
            "first": "Agreed, it is far too dark.",
            "reply": "My mother nearly fell there last week.",
            "hidden": "The manager are all crooks and liars!",
            "official": "The branch has asked the power company; works next month.",
            "reported": "A waste of money, we do not need it.",
        },
        "hide_reason": "personal attack",
        "report_reason": "rude tone",
        "concerns": {
            "lamp": ("Stair lights out in building 2", "Floors three to five have been dark for two weeks."),
            "bench": ("Two benches below building 5", "Older residents have nowhere to sit in the sun."),
            "reply": "The manager will replace them this week.",
            "assignee": "Electrician Li",
        },
    },
}


@dataclass
class World:
    client: httpx.AsyncClient
    lang: str
    ids: dict[str, int] = field(default_factory=dict)
    comments: dict[str, int] = field(default_factory=dict)
    receipts: dict[str, str] = field(default_factory=dict)
    concerns: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    async def auth(self, login: str) -> dict[str, str]:
        if login not in self._tokens:
            response = await self.client.post(
                "/api/v1/auth/token", json={"login": login, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[login] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self._tokens[login]

    async def call(self, login: str, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=await self.auth(login), **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def propose(self, login: str, key: str, **data: Any) -> int:
        title, body = TEXT[self.lang][key]
        payload = {
            "title": title,
            "body": body,
            "category": "facilities",
            "options": [],
            "item": None,
            **data,
        }
        created = await self.call(login, "POST", f"/api/v1/halls/{HALL}/proposals", 201, json=payload)
        self.ids[key] = created["id"]
        return created["id"]

    async def move(self, key: str, to: str, **extra: Any) -> None:
        await self.call(
            "party", "POST", f"/api/v1/proposals/{self.ids[key]}/transition", json={"to": to, **extra}
        )

    async def comment(self, login: str, key: str, name: str, stance: str = "neutral", **extra: Any) -> int:
        body = TEXT[self.lang]["comments"][name]
        data = {"body": body, "stance": stance, **extra}
        created = await self.call(
            login, "POST", f"/api/v1/proposals/{self.ids[key]}/comments", 201, json=data
        )
        self.comments[name] = created["id"]
        return created["id"]

    async def cast(self, login: str, key: str, choice: str) -> str:
        cast = await self.call(
            login, "POST", f"/api/v1/proposals/{self.ids[key]}/ballots", 201, json={"choice": choice}
        )
        self.receipts[f"{key}:{login}"] = cast["receipt"]
        return cast["receipt"]

    async def paper(self, key: str, owner_ref: str, choice: str, proxy: dict[str, str] | None = None) -> str:
        witness = "网格员 李" if self.lang == "zh" else "Canvasser Li"
        data = {"owner_ref": owner_ref, "choice": choice, "witness": witness, "proxy": proxy}
        cast = await self.call(
            "canvasser", "POST", f"/api/v1/proposals/{self.ids[key]}/ballots/paper", 201, json=data
        )
        return cast["receipt"]


def closes_in(days: int) -> str:
    return (clock.now() + timedelta(days=days)).astimezone(SHANGHAI).isoformat()


async def asciify() -> None:
    """Plain ASCII names for every hall, person, owner and unit label the demo made."""
    from agora.accounts.models import User
    from agora.rooms.models import Hall, Owner, Unit

    for hall in await Hall.all():
        names = {"demo-community": "Sunshine Community", "sunny-garden": "Sunny Garden"}
        names["river-view"] = "River View"
        hall.name = names.get(hall.slug, hall.slug.replace("-", " ").title())
        await hall.save(update_fields=["name"])
    for user in await User.all():
        user.display_name = f"Resident {user.login}"
        await user.save(update_fields=["display_name"])
    for owner in await Owner.all():
        owner.name = f"Owner {owner.owner_ref}"
        await owner.save(update_fields=["name"])
    for unit in await Unit.all():
        if not unit.label.isascii():
            unit.label = unit.label.replace("车位", "P").replace("商铺", "S")
            await unit.save(update_fields=["label"])


async def seed_rooms_only() -> None:
    """The demo's halls, rolls and accounts without its (Chinese) proposals and records."""
    from agora.demo import DemoContext
    from agora.rooms.seed import seed as seed_rooms

    ctx = DemoContext(passwords=TEST_PASSWORDS)
    await ctx.user("admin", "Administrator", is_admin=True)
    await seed_rooms(ctx)


async def seed_world(
    server: Any, client: httpx.AsyncClient, *, lang: str = "zh", votes: bool = True, full_demo: bool = False
) -> World:
    """`full_demo` adds the demo's own (Chinese) proposals and records: slower, for the screenshots."""
    from agora.ballots.voting import close_overdue

    if full_demo:
        await seed_demo(server.settings, TEST_PASSWORDS)
    else:
        await seed_rooms_only()
    if lang == "en":
        await asciify()
    world = World(client=client, lang=lang)

    await world.propose("owner1", "draft", matter="consultation", options=[])
    await world.call("owner3", "POST", f"/api/v1/proposals/{world.ids['draft']}/second", expect=200)

    await world.propose("owner1", "talk", matter="consultation")
    await world.move("talk", "consultation")
    first = await world.comment("owner2", "talk", "first", "support")
    await world.comment("owner3", "talk", "reply", "support", parent=first)
    await world.comment("party", "talk", "official", official=True)
    hidden = await world.comment("owner5", "talk", "hidden", "oppose")
    await world.call(
        "party", "POST", f"/api/v1/comments/{hidden}/hide", json={"reason": TEXT[lang]["hide_reason"]}
    )
    reported = await world.comment("owner6", "talk", "reported", "oppose")
    await world.call(
        "owner2",
        "POST",
        f"/api/v1/comments/{reported}/report",
        201,
        json={"reason": TEXT[lang]["report_reason"]},
    )

    # Concerns: one triaged onto the governance list with an official reply, one wish awaiting triage.
    words = TEXT[lang]["concerns"]
    for key, login, kind in (("lamp", "tenant1", "concern"), ("bench", "owner5", "wish")):
        title, body = words[key]
        data = {"title": title, "body": body, "category": "livelihood", "kind": kind}
        created = await world.call(login, "POST", f"/api/v1/halls/{HALL}/concerns", 201, json=data)
        world.concerns[key] = created["id"]
    lamp = world.concerns["lamp"]
    due = (clock.now() + timedelta(days=60)).astimezone(SHANGHAI).date().isoformat()
    await world.call("party", "POST", f"/api/v1/concerns/{lamp}/triage",
                     json={"route": "list", "urgency": 2, "category": "livelihood", "due_at": due,
                           "assignee": words["assignee"]})  # fmt: skip
    await world.call("party", "POST", f"/api/v1/concerns/{lamp}/replies", 201, json={"body": words["reply"]})

    if votes:
        for key, item in (("vote", 7), ("done", 5)):
            await world.propose("committee", key, matter="major" if item == 7 else "ordinary", item=item,
                                category="renovation" if item == 7 else "facilities")  # fmt: skip
            await world.move(key, "consultation")
            # The notice announces the window: from the first day voting may open (16 days on).
            await world.move(key, "notice", closes_at=closes_in(16 + (6 if key == "done" else 30)))
        # Art. 279 (住改商): the consents of the interested owners, asked while the others vote.
        await world.propose("committee", "shop", matter="unanimous", affected=["SG-OWNER1", "SG-OWNER2"])
        await world.move("shop", "consultation")
        await world.move("shop", "notice", closes_at=closes_in(16 + 30))
        clock.travel(timedelta(days=16, hours=1))
        await world.move("done", "voting")
        await world.move("vote", "voting")
        await world.move("shop", "voting")
        await world.cast("owner4", "vote", "yes")
        for login, choice in (("owner1", "yes"), ("owner2", "yes"), ("owner4", "yes"), ("owner5", "no"),
                              ("owner6", "abstain")):  # fmt: skip
            await world.cast(login, "done", choice)
        await world.paper("done", "SG0001", "yes")
        words = f"WT-2026-001 {'第' if lang == 'zh' else 'proposal '}{world.ids['done']}"
        name = "王小明" if lang == "zh" else "Wang Xiaoming"
        proxy = {"name": name, "id_last4": "001X", "authorization": words}
        await world.paper("done", "SG0002", "yes", proxy=proxy)
        clock.travel(timedelta(days=6, hours=1))
        await close_overdue()  # the demo's own open vote may close with it
        assert (await Proposal.get(id=world.ids["done"])).state == "closed"
        await world.call("committee", "POST", f"/api/v1/proposals/{world.ids['done']}/resolution/certify")
    return world

"""The demo's halls and rolls: 阳光社区 with 阳光花园 (8 buildings) and 江景苑 (4 buildings).

The rolls go through the same import as a committee's CSV, so the demo exercises the real code path.
Deterministic: the same demo every time.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from agora.rooms.access import HallAccess
from agora.rooms.models import Hall, MemberRole, Owner
from agora.rooms.roll_import import import_roll
from agora.rooms.services import create_hall, set_rules

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国志平红玲桂兰凤霞"
COLUMNS = ("building", "entrance", "unit", "area", "owner_ref", "owner_name", "kind", "status")

# login -> (compound, building, unit, owner_ref, name); co-owners share a unit, owner4 holds two.
DEMO_OWNERS = {
    "owner1": ("sunny", "1", "1-302", "SG-OWNER1", "陈建国"),
    "owner2": ("sunny", "2", "1-501", "SG-OWNER2", "王丽华"),
    "owner3": ("sunny", "2", "1-501", "SG-OWNER3", "刘志强"),
    "owner4": ("sunny", "3", "2-201", "SG-OWNER4", "周明"),
    "owner5": ("sunny", "4", "2-402", "SG-OWNER5", "孙桂兰"),
    "owner6": ("sunny", "6", "1-102", "SG-OWNER6", "林秀英"),
    "riverowner": ("river", "2", "1-301", "RV-OWNER1", "江海涛"),
}
OWNER4_SECOND_UNIT = ("5", "1-101")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _area(rng: random.Random) -> str:
    cents = rng.randint(5830, 14375)
    return f"{cents // 100}.{cents % 100:02d}"


def demo_roll(
    prefix: str, buildings: int, floors: int, *, unsold: int, parking: int, shops: int, seed: int
) -> str:
    """A compound's roll as CSV: 2 entrances × `floors` × 2 homes per building, plus special units."""
    rng = random.Random(seed)
    compound = "sunny" if prefix == "SG" else "river"
    fixed: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for _login, (where, building, unit, ref, name) in DEMO_OWNERS.items():
        if where == compound:
            fixed.setdefault((building, unit), []).append((ref, name))
    if compound == "sunny":
        fixed[OWNER4_SECOND_UNIT] = [("SG-OWNER4", "周明")]
    rows: list[tuple[str, ...]] = []
    homes = [
        (str(b), entrance, f"{entrance}-{floor}{room:02d}")
        for b in range(1, buildings + 1)
        for entrance in ("1", "2")
        for floor in range(1, floors + 1)
        for room in (1, 2)
    ]
    developer = set(homes[-unsold:]) if unsold else set()
    for n, (building, entrance, unit) in enumerate(homes, start=1):
        area = _area(rng)
        if (building, unit) in fixed:
            for ref, name in fixed[(building, unit)]:
                rows.append((building, entrance, unit, area, ref, name, "home", "owned"))
        elif (building, entrance, unit) in developer:
            rows.append((building, entrance, unit, area, f"{prefix}-DEV", "开发商（未售）", "home", "unsold"))
        else:
            name = _name(rng)
            rows.append((building, entrance, unit, area, f"{prefix}{n:04d}", name, "home", "owned"))
            if n % 6 == 0:  # co-owners: a couple on one certificate
                rows.append(
                    (building, entrance, unit, area, f"{prefix}{n:04d}B", _name(rng), "home", "owned")
                )
    for k in range(1, parking + 1):
        cents = rng.randint(1150, 1450)
        space = f"{cents // 100}.{cents % 100:02d}"
        rows.append(("1", "", f"车位-{k:02d}", space, f"{prefix}P{k:02d}", _name(rng), "parking", "owned"))
    for k in range(1, shops + 1):
        rows.append(
            (
                str(buildings),
                "",
                f"商铺-{k:02d}",
                _area(rng),
                f"{prefix}S{k:02d}",
                _name(rng) + "商行",
                "shop",
                "owned",
            )
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


async def _compound(
    ctx: Any, slug: str, name: str, community: Hall, roll: str, rules: dict[str, Any]
) -> Hall:
    admin = ctx.users["admin"]
    hall = await create_hall(
        admin, {"kind": "compound", "slug": slug, "name": name, "parent": community.slug}
    )
    access = HallAccess(hall=hall, roles=frozenset({"admin", "member"}))
    await set_rules(access, admin, rules)
    hall = await Hall.get(id=hall.id)
    await import_roll(HallAccess(hall=hall, roles=access.roles), admin, roll.encode("utf-8"))
    return await Hall.get(id=hall.id)


async def seed(ctx: Any) -> None:
    admin = ctx.users["admin"]
    community = await create_hall(admin, {"kind": "community", "slug": "demo-community", "name": "阳光社区"})
    sunny_roll = demo_roll("SG", 8, 6, unsold=15, parking=6, shops=4, seed=2026)
    river_roll = demo_roll("RV", 4, 5, unsold=0, parking=4, shops=0, seed=2027)
    sunny = await _compound(ctx, "sunny-garden", "阳光花园", community, sunny_roll, {"parking_counts": False})
    river = await _compound(ctx, "river-view", "江景苑", community, river_roll, {"parking_counts": True})
    buildings = {h.label: h for h in await Hall.filter(kind="building", compound_id=sunny.id)}

    staff = [
        ("party", "阳光花园党支部 李书记", sunny, "moderator", "Party branch, moderator of 阳光花园"),
        ("committee", "业委会 张主任", sunny, "committee", "owners' committee of 阳光花园"),
        ("canvasser", "网格员 小王", sunny, "canvasser", "canvasser (paper ballots) in 阳光花园"),
        ("tenant1", "租户 赵先生", buildings["2"], "tenant", "tenant member of 阳光花园 building 2"),
    ]
    for login, name, hall, role, note in staff:
        user = await ctx.user(login, name)
        await MemberRole.create(user=user, hall=hall, role=role)
        ctx.lines.append(f"  {login:<12} {note}")
    notes = {
        "owner1": "owner, 阳光花园 building 1 entrance 1, unit 1-302",
        "owner2": "co-owner (with owner3) of 阳光花园 building 2 unit 1-501",
        "owner3": "co-owner (with owner2) of 阳光花园 building 2 unit 1-501",
        "owner4": "owner of two units: 阳光花园 building 3 unit 2-201 and building 5 unit 1-101",
        "owner5": "owner, 阳光花园 building 4 unit 2-402",
        "owner6": "owner, 阳光花园 building 6 unit 1-102",
        "riverowner": "owner in 江景苑 building 2 unit 1-301 (sees nothing of 阳光花园)",
    }
    for login, (where, _building, _unit, ref, name) in DEMO_OWNERS.items():
        user = await ctx.user(login, name)
        compound = sunny if where == "sunny" else river
        await Owner.filter(compound_id=compound.id, owner_ref=ref).update(user_id=user.id)
        ctx.lines.append(f"  {login:<12} {notes[login]}")
    ctx.data.update(
        community=community,
        sunny=sunny,
        river=river,
        sunny_buildings=buildings,
        owner_refs={login: spec[3] for login, spec in DEMO_OWNERS.items()},
    )

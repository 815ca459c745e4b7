"""Test factories for halls, rolls and owner accounts, through the public API (reused by other features).

Stable interface (other features' tests import these):
- `XSS` — a hostile string; `assert_escaped(html)` checks no payload came through raw.
- `admin_headers(client)` — bearer headers of a fresh administrator "admin".
- `make_hall(client, headers, kind, slug, name, parent=None)` — POST /api/v1/halls, asserts 201.
- `roll_csv(rows)` — CSV text from `Row`s; `SMALL_ROLL` and `SMALL_COUNTS` — a hand-counted roll.
- `big_roll(...)` — a realistic 2,000+ unit roll and its hand count.
- `import_roll(client, headers, slug, text, encoding="utf-8")` — PUT the roll, returns the response.
- `register(client, code, login, ...)` — POST /api/v1/auth/register, returns the response.
- `compound_with_roll(client, ...)` -> `Compound`: admin, community, compound, a committee account,
  rules (parking_counts False by default), the small roll imported, and `owner(ref, login)` to turn an
  owner on the roll into a signed-in account (bearer headers).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import TEST_PASSWORD, bearer, make_user

XSS = '<script>alert(1)</script>" onmouseover="alert(2)" hx-get="/evil"'
RAW_PAYLOADS = ("<script>alert(1)", '" onmouseover="', 'hx-get="/evil')


def assert_escaped(html: str) -> None:
    for raw in RAW_PAYLOADS:
        assert raw not in html, f"unescaped payload {raw!r} in the page"


async def admin_headers(client: httpx.AsyncClient, login: str = "admin") -> dict[str, str]:
    await make_user(login, admin=True)
    return await bearer(client, login)


async def make_hall(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    slug: str,
    name: str,
    parent: str | None = None,
    **extra: Any,
) -> str:
    response = await client.post(
        "/api/v1/halls",
        json={"kind": kind, "slug": slug, "name": name, "parent": parent, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return slug


@dataclass(frozen=True)
class Row:
    building: str
    unit: str
    area: str
    owner_ref: str
    owner_name: str
    entrance: str = "1"
    kind: str = "home"
    status: str = "owned"


COLUMNS = ("building", "entrance", "unit", "area", "owner_ref", "owner_name", "kind", "status")


def roll_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r.building, r.entrance, r.unit, r.area, r.owner_ref, r.owner_name, r.kind, r.status])
    return out.getvalue()


# A roll small enough to count by hand (see SMALL_COUNTS): co-owners, one owner of two units, three
# developer units, a shop, a parking space, and a hostile owner name and unit label.
SMALL_ROWS = [
    Row("1", "101", "89.50", "A", "张三"),
    Row("1", "102", "102.30", "B", "李四"),
    Row("1", "102", "102.30", "C", "王五"),
    Row("1", "201", "75.00", "D", "赵六", entrance="2"),
    Row("1", "202", "75.00", "D", "赵六", entrance="2"),
    Row("1", "S01", "45.00", "G", "孙记商铺", entrance="", kind="shop"),
    Row("2", "101", "120.00", "E", XSS),
    Row("2", "102", "60.25", "DEV", "阳光置业", status="unsold"),
    Row("2", "201", "60.25", "DEV", "阳光置业", status="unsold"),
    Row("2", "202", "60.25", "DEV", "阳光置业", status="undelivered"),
    Row("2", "P01" + XSS[:20], "12.50", "F", "周七", entrance="", kind="parking"),
]
SMALL_ROLL = roll_csv(SMALL_ROWS)
# Parking not counted: A, B+C, D (two units), G (shop), E, the developer (three units) = 6 persons.
SMALL_COUNTS = {
    "units": 10,
    "persons": 6,
    "area": "687.55",  # 89.50 + 102.30 + 75 + 75 + 45 + 120 + 3 × 60.25
    "buildings": {
        "1": {"units": 5, "persons": 4, "area": "386.80"},
        "2": {"units": 5, "persons": 2, "area": "300.75"},
    },
    "owner_refs": ["A", "B", "C", "D", "DEV", "E", "F", "G"],
}


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
]


def big_roll(
    buildings: int = 20, floors: int = 18, per_floor: int = 3, seed: int = 278
) -> tuple[str, dict[str, Any]]:
    """A realistic roll (20 × 2 entrances × 18 floors × 3 = 2,160 homes, 40 parking spaces), hand-counted.

    Every 9th home has two co-owners, 12 investors hold 4 homes each, 30 homes are unsold; parking is
    left out of the count (parking_counts False). The hand count tallies people as they are generated.
    """
    rng = random.Random(seed)
    rows: list[Row] = []
    persons = 0
    area = 0
    units = 0
    investors = {f"INV{k:02d}": f"投资人{k:02d}" for k in range(12)}
    investor_slots = list(investors) * 4
    developer_seen = False
    n = 0
    for b in range(1, buildings + 1):
        for entrance in ("1", "2"):
            for floor in range(1, floors + 1):
                for room in range(1, per_floor + 1):
                    n += 1
                    label = f"{entrance}-{floor}{room:02d}"
                    cents = rng.randint(5830, 14375)
                    text = f"{cents // 100}.{cents % 100:02d}"
                    units += 1
                    area += cents
                    building = str(b)
                    if n % 71 == 0 and investor_slots:
                        ref = investor_slots.pop()
                        rows.append(Row(building, label, text, ref, investors[ref], entrance=entrance))
                        continue
                    if n % 67 == 0 and n // 67 <= 30:
                        rows.append(
                            Row(building, label, text, "DEV", "开发商", entrance=entrance, status="unsold")
                        )
                        if not developer_seen:
                            persons += 1
                            developer_seen = True
                        continue
                    name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
                    rows.append(Row(building, label, text, f"O{n:05d}", name, entrance=entrance))
                    if n % 9 == 0:
                        rows.append(
                            Row(building, label, text, f"O{n:05d}b", name + "配偶", entrance=entrance)
                        )
                    persons += 1
    used_investors = {r.owner_ref for r in rows if r.owner_ref.startswith("INV")}
    persons += len(used_investors)
    for k in range(40):
        rows.append(
            Row(
                "车库",
                f"P{k:03d}",
                "13.20",
                f"O{k + 1:05d}",
                _name_of(rows, f"O{k + 1:05d}"),
                entrance="",
                kind="parking",
            )
        )
    return roll_csv(rows), {"units": units + 40, "persons": persons, "area_cents": area}


def _name_of(rows: list[Row], ref: str) -> str:
    return next((r.owner_name for r in rows if r.owner_ref == ref), "车位业主")


async def import_roll(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, text: str, *, encoding: str = "utf-8"
) -> httpx.Response:
    return await client.put(
        f"/api/v1/halls/{slug}/roll",
        content=text.encode(encoding),
        headers={**headers, "Content-Type": "text/csv"},
    )


async def register(
    client: httpx.AsyncClient, code: str, login: str, *, password: str = TEST_PASSWORD, display_name: str = ""
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/register",
        json={"invite": code, "login": login, "password": password, "display_name": display_name or login},
    )


@dataclass
class Compound:
    """A compound ready for tests: `admin` and `committee` are bearer headers; `invites` owner_ref -> code
    from the import (`roll`, the import's JSON answer; `roll_text`, the CSV imported)."""

    client: httpx.AsyncClient
    community: str
    slug: str
    admin: dict[str, str]
    committee: dict[str, str]
    roll: dict[str, Any]
    invites: dict[str, str] = field(default_factory=dict)
    roll_text: str = ""

    def building(self, label: str) -> str:
        return f"{self.slug}-b{label}"

    async def owner(self, owner_ref: str, login: str) -> dict[str, str]:
        """Register the owner with their invite from the import; their bearer headers."""
        response = await register(self.client, self.invites[owner_ref], login)
        assert response.status_code == 201, response.text
        return await bearer(self.client, login)


async def compound_with_roll(
    client: httpx.AsyncClient,
    *,
    slug: str = "sunny",
    name: str = "阳光花园",
    community: str = "sunshine",
    text: str = SMALL_ROLL,
    parking_counts: bool | None = False,
    admin: dict[str, str] | None = None,
    committee_login: str | None = None,
) -> Compound:
    admin = admin or await admin_headers(client)
    if (await client.get(f"/api/v1/halls/{community}", headers=admin)).status_code == 404:
        await make_hall(client, admin, "community", community, "阳光社区")
    await make_hall(client, admin, "compound", slug, name, community)
    committee_login = committee_login or f"{slug}-committee"
    await make_user(committee_login, name="业委会 " + slug)
    response = await client.put(
        f"/api/v1/halls/{slug}/members/{committee_login}/roles", json={"roles": ["committee"]}, headers=admin
    )
    assert response.status_code == 200, response.text
    committee = await bearer(client, committee_login)
    response = await client.put(
        f"/api/v1/halls/{slug}/rules", json={"parking_counts": parking_counts}, headers=committee
    )
    assert response.status_code == 200, response.text
    response = await import_roll(client, committee, slug, text)
    assert response.status_code == 200, response.text
    roll = response.json()
    invites = {i["owner_ref"]: i["code"] for i in roll["invites"]}
    return Compound(client, community, slug, admin, committee, roll, invites, text)

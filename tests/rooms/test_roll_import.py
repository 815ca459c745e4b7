"""Importing the owners' roll: realistic sizes and encodings, every bad input, re-imports and snapshots."""

from __future__ import annotations

import base64
import re

import httpx

from agora.audit.models import AuditEntry
from agora.rooms.counting import count_electorate, fingerprint
from agora.rooms.models import Hall, Invite, Owner, RollSnapshot, Unit
from agora.rooms.snapshots import freeze_roll, snapshot_person_of, snapshot_units
from tests.rooms.factories import (
    SMALL_ROLL,
    SMALL_ROWS,
    Row,
    admin_headers,
    big_roll,
    compound_with_roll,
    import_roll,
    make_hall,
    roll_csv,
)
from tests.support import browser_login, csrf_from, make_user


async def _empty_compound(client: httpx.AsyncClient, parking_counts: bool | None = False) -> dict[str, str]:
    admin = await admin_headers(client)
    await make_hall(client, admin, "compound", "big", "江景苑")
    await client.put("/api/v1/halls/big/rules", json={"parking_counts": parking_counts}, headers=admin)
    return admin


async def test_a_2000_unit_gb18030_roll_through_the_api_agrees_with_a_hand_count(
    client: httpx.AsyncClient,
) -> None:
    admin = await _empty_compound(client)
    text, hand = big_roll()
    assert hand["units"] >= 2000
    response = await import_roll(client, admin, "big", text, encoding="gb18030")
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert body["units"] == hand["units"]
    assert body["persons"] == hand["persons"]
    assert body["area"] == f"{hand['area_cents'] // 100}.{hand['area_cents'] % 100:02d}"
    assert len(body["buildings"]) == 21  # 20 buildings and the garage, each with its own hall
    assert sum(b["units"] for b in body["buildings"].values()) == hand["units"]
    garage = [slug for slug in body["buildings"] if not re.fullmatch(r"big-b\d+", slug)]
    assert len(garage) == 1 and re.fullmatch(r"big-b[0-9a-f]{6}", garage[0])
    assert body["buildings"][garage[0]] == {"units": 40, "persons": 0, "area": "0.00"}
    owner_refs = {line.split(",")[4] for line in text.splitlines()[1:]}
    assert len(body["invites"]) == len(owner_refs)
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", i["code"]) for i in body["invites"])
    # Codes are stored only as hashes.
    stored = set(await Invite.all().values_list("code_hash", flat=True))
    assert not stored & {i["code"] for i in body["invites"]}
    detail = (await client.get("/api/v1/halls/big", headers=admin)).json()
    assert detail["totals"] == {k: body[k] for k in ("units", "persons", "area")}


async def test_the_same_roll_through_the_preview_page(client: httpx.AsyncClient) -> None:
    await _empty_compound(client)
    await make_user("weiyuan", name="业委会")
    admin = await admin_headers(client, "root")
    await client.put("/api/v1/halls/big/members/weiyuan/roles", json={"roles": ["committee"]}, headers=admin)
    await browser_login(client, "weiyuan")
    page = await client.get("/halls/big/roll")
    assert page.status_code == 200
    text, hand = big_roll()
    preview = await client.post(
        "/halls/big/roll/preview",
        data={"csrf_token": csrf_from(page.text)},
        files={"roll": ("名册.csv", text.encode("gb18030"), "text/csv")},
    )
    assert preview.status_code == 200, preview.text[:2000]
    assert f"<td>0</td><td>{hand['units']}</td>" in preview.text
    assert f"<td>{hand['persons']}</td>" in preview.text
    assert await Unit.all().count() == 0  # a preview writes nothing
    payload = re.search(r'name="roll_b64" value="([^"]+)"', preview.text)
    assert payload and base64.b64decode(payload.group(1)) == text.encode("gb18030")
    confirm = await client.post(
        "/halls/big/roll", data={"csrf_token": csrf_from(preview.text), "roll_b64": payload.group(1)}
    )
    assert (
        confirm.status_code == 303 and confirm.headers["location"] == f"/halls/big/roll?done={hand['units']}"
    )
    done = await client.get(confirm.headers["location"])
    assert f"{hand['persons']}" in done.text and "已导入" in done.text
    assert await Unit.filter(active=True).count() == hand["units"]
    entry = await AuditEntry.get(action="roll.imported")
    assert entry.actor_login == "weiyuan" and entry.detail["persons"] == hand["persons"]


async def _refused(client: httpx.AsyncClient, admin: dict[str, str], data: bytes) -> list[dict]:
    response = await client.put(
        "/api/v1/halls/big/roll", content=data, headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code in (413, 422), response.text
    assert await Unit.all().count() == 0 and await Owner.all().count() == 0
    assert await Hall.filter(kind="building").count() == 0
    return response.json()["error"].get("lines", [])


async def test_every_bad_input_is_refused_with_its_lines_and_nothing_imported(
    client: httpx.AsyncClient,
) -> None:
    admin = await _empty_compound(client)
    good = [Row("1", "101", "89.50", "A", "张三"), Row("1", "102", "90.00", "B", "李四")]
    cases = {
        "negative area": [*good, Row("1", "103", "-5.00", "C", "王五")],
        "non-numeric area": [*good, Row("1", "103", "八十", "C", "王五")],
        "unit twice, two areas": [*good, Row("1", "101", "89.00", "Z", "赵六")],
        "owner_ref renamed": [*good, Row("1", "104", "70.00", "A", "张叁")],
        "three decimals": [*good, Row("1", "105", "70.001", "D", "孙七")],
    }
    for name, rows in cases.items():
        lines = await _refused(client, admin, roll_csv(rows).encode())
        assert [entry["line"] for entry in lines] == [4], (name, lines)
        assert lines[0]["message"], name
    # Several bad lines: every one is reported at once.
    many = roll_csv([*good, Row("1", "103", "-1", "C", "王五"), Row("1", "104", "x", "D", "赵六")])
    assert [entry["line"] for entry in await _refused(client, admin, many.encode())] == [4, 5]
    for data in (
        b"",
        b"\n\n",
        b"building,unit,area,owner_ref,owner_name\n",
        "楼栋,房号\n1,101\n".encode("utf-16"),
        b"\x81\x30\xff\xfe\xfd garbage that is neither utf-8 nor gb18030 \xff\xff",
        b"PK\x03\x04 an excel workbook",
    ):
        lines = await _refused(client, admin, data)
        assert lines and lines[0]["line"] in (0, 1), (data[:20], lines)
    # Chinese messages by default.
    lines = await _refused(client, admin, roll_csv(cases["negative area"]).encode())
    assert re.search(r"[\u4e00-\u9fff]", lines[0]["message"]), lines


async def test_a_50_mb_file_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    admin = await _empty_compound(client)
    chunk = roll_csv([Row("1", "101", "89.50", "A", "张三")]).encode()
    huge = chunk + b"1,1,999,89.50,A,\xe5\xbc\xa0\xe4\xb8\x89,home,owned\n" * (50 * 1024 * 1024 // 40)
    response = await client.put(
        "/api/v1/halls/big/roll", content=huge, headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 413
    assert await Unit.all().count() == 0
    # Just over the parser's 10 MB limit but under the upload limit: 422, line 0.
    mid = chunk + b"#" * (10 * 1024 * 1024)
    lines = await _refused(client, admin, mid)
    assert lines[0]["line"] == 0


async def test_reimport_replaces_the_roll_but_not_a_frozen_snapshot(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    compound = await Hall.get(slug=c.slug)
    frozen = await freeze_roll(compound)
    before = (frozen.fingerprint, frozen.units, frozen.persons, frozen.persons_total, frozen.area_cents_total)
    assert frozen.persons_total == 6 and frozen.area_cents_total == 68755
    assert snapshot_person_of(frozen)["B"] == snapshot_person_of(frozen)["C"] == "owner:B"
    assert snapshot_person_of(frozen)["DEV"] == "developer"
    units = snapshot_units(frozen)
    assert frozen.fingerprint == fingerprint(units, False)
    assert count_electorate(units, parking_counts=False).persons_total == 6
    entrance = await freeze_roll(await Hall.get(slug=c.building("1")), entrance="2")
    assert entrance.persons_total == 1 and entrance.area_cents_total == 15000
    assert entrance.scope == {"kind": "entrance", "hall": c.building("1"), "entrance": "2"}

    # New roll: A's unit grows, D sells one unit to H, G's shop leaves the roll, a new building 3 appears.
    rows = [r for r in SMALL_ROWS if r.owner_ref != "G"]
    rows = [
        Row(r.building, r.unit, "91.00", r.owner_ref, r.owner_name) if r.owner_ref == "A" else r for r in rows
    ]
    rows = [r for r in rows if (r.unit, r.owner_ref) != ("202", "D")]
    rows += [Row("1", "202", "75.00", "H", "钱八", entrance="2"), Row("3", "101", "66.60", "I", "冯九")]
    response = await import_roll(client, c.committee, c.slug, roll_csv(rows))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["units"] == 10 and body["persons"] == 7
    assert body["area"] == "710.65"  # 687.55 + 1.50 (A) - 45.00 (shop) + 66.60 (new)
    assert body["buildings"][c.building("3")] == {"units": 1, "persons": 1, "area": "66.60"}
    shop = await Unit.get(label="S01")
    assert shop.active is False  # kept for history, never deleted
    assert await Owner.get(owner_ref="G").values_list("active", flat=True) is not None
    assert (await Owner.get(owner_ref="G")).active is False
    again = await RollSnapshot.get(id=frozen.id)
    assert (
        again.fingerprint,
        again.units,
        again.persons,
        again.persons_total,
        again.area_cents_total,
    ) == before
    try:
        await again.save()
        raise AssertionError("a snapshot must not be saved twice")
    except RuntimeError:
        pass


async def test_export_round_trips_and_is_for_the_committee(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    exported = await client.get(f"/api/v1/halls/{c.slug}/roll.csv", headers=c.committee)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0].lstrip("\ufeff") == (
        "building,entrance,unit,area,kind,status,owner_ref,owner_name"
    )
    before = (await client.get(f"/api/v1/halls/{c.slug}", headers=c.committee)).json()["totals"]
    again = await import_roll(client, c.committee, c.slug, exported.text)
    assert again.status_code == 200
    assert {k: again.json()[k] for k in ("units", "persons", "area")} == before
    compound = await Hall.get(slug=c.slug)
    assert (await freeze_roll(compound)).fingerprint == fingerprint(
        snapshot_units(await freeze_roll(compound)), False
    )
    c.invites = {i["owner_ref"]: i["code"] for i in again.json()["invites"]}
    owner = await c.owner("A", "owner-a")
    assert (await client.get(f"/api/v1/halls/{c.slug}/roll.csv", headers=owner)).status_code == 403
    assert (await import_roll(client, owner, c.slug, SMALL_ROLL)).status_code == 403
    building = await import_roll(client, c.committee, c.building("1"), SMALL_ROLL)
    assert building.status_code == 422 and building.json()["error"]["code"] == "not_a_compound"


async def test_the_stored_roll_is_the_files_after_each_reimport(client: httpx.AsyncClient) -> None:
    """Units, owners and who owns what, read back from the database, equal the file after every import:
    changed areas and owners, co-owners added and removed, a unit and an owner leaving and coming back."""
    from agora.rooms.models import Ownership
    from agora.rooms.roll_csv import parse_roll
    from agora.rooms.roll_store import load_roll

    c = await compound_with_roll(client)
    compound = await Hall.get(slug=c.slug)

    async def stored_is(rows: list[Row]) -> None:
        parsed = parse_roll(roll_csv(rows).encode())
        assert await load_roll(compound.id) == list(parsed.units)
        active = await Owner.filter(compound_id=compound.id, active=True).values_list("owner_ref", "name")
        assert dict(active) == parsed.owner_names
        links = await Ownership.filter(unit__compound_id=compound.id).count()
        assert links == sum(len(u.owners) for u in parsed.units) + len(inactive_links)

    inactive_links: list[int] = []
    await stored_is(SMALL_ROWS)
    changed = [r for r in SMALL_ROWS if r.owner_ref not in ("G", "C")]  # the shop leaves, C leaves unit 102
    changed = [
        Row(r.building, r.unit, "91.00", r.owner_ref, "张三丰") if r.owner_ref == "A" else r for r in changed
    ]
    changed = [r for r in changed if (r.unit, r.owner_ref) != ("202", "D")]
    changed += [
        Row("1", "202", "75.00", "H", "钱八", entrance="2"),
        Row("1", "202", "75.00", "I", "冯九", entrance="2"),  # 202 now has two owners
        Row("1", "101", "91.00", "J", "陈十"),  # A gets a co-owner
    ]
    for rows in (changed, SMALL_ROWS, changed):
        response = await import_roll(client, c.committee, c.slug, roll_csv(rows))
        assert response.status_code == 200, response.text
        shop = await Unit.get(label="S01")
        inactive_links[:] = [1] if not shop.active else []  # the shop's link to G is kept for history
        await stored_is(rows)
    assert (await Owner.get(owner_ref="C")).active is False and (await Owner.get(owner_ref="H")).active

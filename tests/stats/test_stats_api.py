"""Figures over HTTP: a compound and its community, counted by hand; ranges; 404; the dashboard and
its CSV (UTF-8 with BOM, formulas neutralised) and XLSX exports.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import httpx
from openpyxl import load_workbook

from tests.implementation.factories import opening, post_update, voted
from tests.rooms.factories import assert_escaped, compound_with_roll
from tests.support import bearer, browser_login, make_user

EVIL = '=HYPERLINK("http://evil","点我")'


async def world(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    sunny = await compound_with_roll(client)
    passed = await voted(client, sunny)  # 4 of 6 persons took part, all yes
    await voted(client, sunny, owners=passed.owners, yes=False, title="否决的议题")  # all no: no decision
    draft = await client.post(
        "/api/v1/halls/sunny/proposals",
        json={"title": "草稿议题", "body": "……", "category": "greening", "matter": "consultation",
              "options": [{"key": "a", "label": "甲"}, {"key": "b", "label": "乙"}]},
        headers=sunny.committee,
    )  # fmt: skip
    assert draft.status_code == 201, draft.text
    assert (await client.post(passed.url, json=opening(), headers=sunny.committee)).status_code == 201
    assert (await post_update(passed, sunny.committee, progress=40, spent="60000.00")).status_code == 201
    rainy = await compound_with_roll(client, slug="rainy", name=EVIL, admin=sunny.admin)
    await voted(client, rainy, owners={ref: await rainy.owner(ref, f"rainy-{ref.lower()}") for ref in "ABDE"})
    return sunny, rainy, passed


async def test_figures_of_a_compound_and_its_community(client: httpx.AsyncClient) -> None:
    sunny, rainy, passed = await world(client)
    owner = passed.owners["A"]
    got = (await client.get("/api/v1/halls/sunny/stats", headers=owner)).json()
    assert got["votes"] == {"held": 2, "passed": 1, "no_decision": 1, "turnout_persons_median": "0.666"}
    assert got["proposals"] == {"by_state": {"certified": 2, "draft": 1}}
    assert got["implementation"] == {"active": 1, "done": 0, "accepted": 0, "spent": "60000.00"}
    assert got["concerns"]["received"] == 0 and got["wishes"] == {"received": 0, "fulfilled": 0}
    assert [c["slug"] for c in got["children"]] == ["sunny-b1", "sunny-b2"]  # the compound's buildings
    assert got["hall"] == {"slug": "sunny", "name": "阳光花园", "kind": "compound"}

    community = (await client.get("/api/v1/halls/sunshine/stats", headers=owner)).json()
    assert community["votes"] == {"held": 3, "passed": 2, "no_decision": 1, "turnout_persons_median": "0.666"}
    assert community["proposals"] == {"by_state": {"certified": 3, "draft": 1}}
    assert community["implementation"]["spent"] == "60000.00"
    by_slug = {c["slug"]: c for c in community["children"]}
    assert set(by_slug) == {"sunny", "rainy"}
    assert by_slug["sunny"]["votes"]["held"] == 2 and by_slug["rainy"]["votes"]["held"] == 1
    assert by_slug["rainy"]["implementation"] == {"active": 0, "done": 0, "accepted": 0, "spent": "0.00"}

    # A range long past: nothing was created or closed then (works are counted as they stand).
    old = (
        await client.get("/api/v1/halls/sunshine/stats?from=2020-01-01&to=2020-12-31", headers=owner)
    ).json()
    assert old["votes"]["held"] == 0 and old["proposals"]["by_state"] == {}
    assert old["range"] == {"from": "2020-01-01", "to": "2020-12-31"}
    # A range around today holds every proposal (created now) and every vote (closed a week on).
    first, last = date.today() - timedelta(days=2), date.today() + timedelta(days=60)
    now = (await client.get(f"/api/v1/halls/sunshine/stats?from={first}&to={last}", headers=owner)).json()
    assert now["proposals"] == community["proposals"] and now["votes"] == community["votes"]
    before = (await client.get(f"/api/v1/halls/sunshine/stats?to={first}", headers=owner)).json()
    assert before["proposals"]["by_state"] == {} and before["votes"]["held"] == 0


async def test_bad_ranges_are_422_and_strangers_get_404(client: httpx.AsyncClient) -> None:
    sunny = await compound_with_roll(client)
    for query in ("from=2026-12-01&to=2026-11-01", "from=yesterday", "to=2026-02-30", "from=2026-1-1",
                  "to=２０２６-11-01"):  # fmt: skip
        response = await client.get(f"/api/v1/halls/sunny/stats?{query}", headers=sunny.committee)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "bad_range"
    same_day = await client.get(
        "/api/v1/halls/sunny/stats?from=2026-11-01&to=2026-11-01", headers=sunny.committee
    )
    assert same_day.status_code == 200
    rainy = await compound_with_roll(
        client, slug="rainy", name="雨花", community="rainland", admin=sunny.admin
    )
    for slug in ("sunny", "sunshine", "sunny-b1", "nowhere"):
        assert (await client.get(f"/api/v1/halls/{slug}/stats", headers=rainy.committee)).status_code == 404
    await make_user("loner")
    loner = await bearer(client, "loner")
    assert (await client.get("/api/v1/halls/sunny/stats", headers=loner)).status_code == 404
    assert (await client.get("/api/v1/halls/sunny/stats")).status_code == 401


async def test_dashboard_and_exports(client: httpx.AsyncClient) -> None:
    sunny, rainy, passed = await world(client)
    await browser_login(client, "sunny-committee")
    page = await client.get("/halls/sunshine/dashboard")
    assert page.status_code == 200
    assert_escaped(page.text)
    # states, votes, works, halls, and one per urgency of the open items (4)
    assert page.text.count('role="img"') == 8 and "<title>" in page.text
    assert "60000.00" in page.text and 'href="/halls/rainy/dashboard"' in page.text
    bad = await client.get("/halls/sunshine/dashboard?from=2026-13-01")
    assert bad.status_code == 422

    exported = await client.get("/halls/sunshine/dashboard?format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens Chinese intact
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert ["表决次数", "3"] in rows and ["落实工程支出（元）", "60000.00"] in rows
    names = [r[0] for r in rows if len(r) == 8]
    assert "阳光花园" in names and "'" + EVIL in names  # a formula becomes text
    assert EVIL not in names

    xlsx = await client.get("/halls/sunshine/dashboard.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    book = load_workbook(io.BytesIO(xlsx.content))
    figures = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert figures["表决次数"] == "3" and figures["落实工程支出（元）"] == "60000.00"
    halls = [row[0] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)]
    assert "'" + EVIL in halls
    assert all(cell.data_type == "s" for row in book.worksheets[2].iter_rows() for cell in row if cell.value)


async def test_concern_figures_counted_by_hand(client: httpx.AsyncClient) -> None:
    from tests.ballots.factories import set_roles

    sunny = await compound_with_roll(client)
    party = await set_roles(sunny, "party", "moderator")
    a, b = await sunny.owner("A", "owner-a"), await sunny.owner("B", "owner-b")

    async def raise_(
        headers: dict[str, str], title: str, kind: str = "concern", building: str | None = None
    ) -> int:
        data = {"title": title, "body": "……", "category": "livelihood", "kind": kind}
        if building:
            data["building"] = building
        response = await client.post("/api/v1/halls/sunny/concerns", json=data, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def move(cid: int, *steps: tuple[str, str]) -> None:
        for to, note in steps:
            response = await client.post(
                f"/api/v1/concerns/{cid}/status", json={"to": to, "note": note}, headers=party
            )
            assert response.status_code == 200, response.text

    fixed = await raise_(a, "路灯不亮", building="1")
    await move(fixed, ("accepted", ""), ("in_progress", ""), ("resolved", "已更换灯泡"))
    feedback = await client.post(
        f"/api/v1/concerns/{fixed}/feedback", json={"satisfied": True, "comment": "好"}, headers=a
    )
    assert feedback.status_code in (200, 201), feedback.text
    await move(await raise_(b, "楼道堆物"), ("closed_unresolved", "物业无法处理"))
    await raise_(b, "噪音扰民")
    await move(await raise_(a, "想要一个晾衣架", kind="wish"), ("resolved", "志愿者已安装"))

    got = (await client.get("/api/v1/halls/sunny/stats", headers=sunny.committee)).json()
    concerns = got["concerns"]
    assert {k: concerns[k] for k in ("received", "resolved", "closed_unresolved", "open")} == {
        "received": 3, "resolved": 1, "closed_unresolved": 1, "open": 1,
    }  # fmt: skip
    assert concerns["resolution_rate"] == "0.333" and concerns["median_days_to_resolve"] == "0.0"
    assert (concerns["satisfied"], concerns["feedback"], concerns["satisfaction_rate"]) == (1, 1, "1.000")
    assert concerns["by_category"] == {"livelihood": {"received": 3, "resolved": 1, "open": 1}}
    assert got["wishes"] == {"received": 1, "fulfilled": 1}
    building = (await client.get("/api/v1/halls/sunny-b1/stats", headers=sunny.committee)).json()
    assert building["concerns"]["received"] == 1 and building["concerns"]["resolved"] == 1
    community = (await client.get("/api/v1/halls/sunshine/stats", headers=sunny.committee)).json()
    assert community["concerns"]["received"] == 3 and community["children"][0]["concerns"]["received"] == 3
    month = next(iter(got["concerns"]["by_month"]))
    assert got["concerns"]["by_month"] == {month: {"received": 3, "resolved": 1}}
    page = await client.get("/halls/sunny/dashboard", headers=sunny.committee)
    # month by month, votes, works, the buildings (no proposals here: that chart says so in words),
    # and one per urgency of the open items (4)
    assert "每月收到与解决的诉求" in page.text and page.text.count('role="img"') == 8
    assert f"{month}: 收到诉求 3; 已解决诉求 1" in page.text


async def test_monthly_report_pdf(client: httpx.AsyncClient) -> None:
    from tests.ballots.pdftext import extract_text

    sunny, rainy, passed = await world(client)
    first, last = date.today() - timedelta(days=2), date.today() + timedelta(days=60)
    response = await client.get(f"/halls/sunshine/report.pdf?from={first}&to={last}", headers=sunny.committee)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = extract_text(response.content)
    assert "议事厅数据月报" in text and "阳光社区" in text
    assert "表决次数：3" in text and "落实工程支出（元）：60000.00" in text
    assert "阳光花园" in text
    for bad in ("2026-13", "2026-1", "november"):
        refused = await client.get(f"/halls/sunshine/report.pdf?month={bad}", headers=sunny.committee)
        assert refused.status_code == 422, bad
    month = await client.get("/halls/sunshine/report.pdf?month=2020-02", headers=rainy.committee)
    assert month.status_code == 200 and "2020-02-01 至 2020-02-29" in extract_text(month.content)

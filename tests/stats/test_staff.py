"""Community staff (社区/街道) over HTTP: the figures and the lists of every compound under their
community, and nothing else — never a ballot's choice, an owner's names or contacts, a concern kept
to the moderators (with who raised it), nor anything of another community. The concerns list's CSV
(UTF-8 with BOM, Chinese intact) and XLSX exports, as staff and as a member.
"""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook

from tests.ballots.factories import cast, set_roles, voting_proposal
from tests.rooms.factories import compound_with_roll
from tests.support import bearer, make_user

HIDDEN_TITLE = "举报邻居群租"
BEHALF_NAME = "张阿姨"


async def concern(
    client: httpx.AsyncClient, slug: str, headers: dict[str, str], title: str, **extra: str
) -> int:
    response = await client.post(
        f"/api/v1/halls/{slug}/concerns",
        json={"title": title, "body": "详情见现场", "category": "livelihood", **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def world(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    sunny = await compound_with_roll(client)  # in the community "sunshine"
    rainy = await compound_with_roll(client, slug="rainy", name="雨花小区", admin=sunny.admin)
    far = await compound_with_roll(
        client, slug="far", name="远方小区", community="faraway", admin=sunny.admin
    )
    owner = await sunny.owner("A", "owner-a")
    canvasser = await set_roles(sunny, "grid-wang", "canvasser")
    ids = {
        "public": await concern(client, "sunny", owner, "楼道灯不亮"),
        "hidden": await concern(client, "sunny", owner, HIDDEN_TITLE, visibility="moderators"),
        "behalf": await concern(client, "sunny", canvasser, "电梯异响", on_behalf=BEHALF_NAME),
        "rainy": await concern(client, "rainy", await rainy.owner("A", "rainy-a"), "=1+1 雨棚漏水"),
        "far": await concern(client, "far", await far.owner("A", "far-a"), "远方的诉求"),
    }
    vote = await voting_proposal(sunny)
    assert (await cast(client, vote.id, owner, "yes")).status_code == 201
    await make_user("staff-li", name="街道 李")
    appointed = await client.put(
        "/api/v1/halls/sunshine/members/staff-li/roles", json={"roles": ["staff"]}, headers=sunny.admin
    )
    assert appointed.status_code == 200, appointed.text
    return sunny, owner, ids, vote.id, await bearer(client, "staff-li")


async def test_staff_is_appointed_by_an_administrator_in_a_community_only(client: httpx.AsyncClient) -> None:
    sunny = await compound_with_roll(client)
    await make_user("staff-zhao")
    in_compound = await client.put(
        "/api/v1/halls/sunny/members/staff-zhao/roles", json={"roles": ["staff"]}, headers=sunny.committee
    )
    assert in_compound.status_code == 422 and "roles" in in_compound.json()["error"]["fields"]
    # A community's own moderator (not an administrator) cannot appoint staff.
    await make_user("community-party")
    assert (
        await client.put(
            "/api/v1/halls/sunshine/members/community-party/roles",
            json={"roles": ["committee"]},
            headers=sunny.admin,
        )
    ).status_code == 200
    party = await bearer(client, "community-party")
    refused = await client.put(
        "/api/v1/halls/sunshine/members/staff-zhao/roles", json={"roles": ["staff"]}, headers=party
    )
    assert refused.status_code == 403
    staff = await bearer(client, "staff-zhao")
    assert (await client.get("/api/v1/halls/sunny/stats", headers=staff)).status_code == 404
    granted = await client.put(
        "/api/v1/halls/sunshine/members/staff-zhao/roles", json={"roles": ["staff"]}, headers=sunny.admin
    )
    assert granted.status_code == 200
    assert (await client.get("/api/v1/halls/sunny/stats", headers=staff)).status_code == 200
    # Removing it is the administrator's too; then the compound is gone for them again.
    assert (
        await client.put("/api/v1/halls/sunshine/members/staff-zhao/roles", json={"roles": []}, headers=party)
    ).status_code == 403
    assert (
        await client.put(
            "/api/v1/halls/sunshine/members/staff-zhao/roles", json={"roles": []}, headers=sunny.admin
        )
    ).status_code == 200
    assert (await client.get("/api/v1/halls/sunny/stats", headers=staff)).status_code == 404


async def test_staff_reads_figures_and_lists_of_every_compound_of_their_community(
    client: httpx.AsyncClient,
) -> None:
    sunny, _owner, ids, _vote, staff = await world(client)
    community = await client.get("/api/v1/halls/sunshine/stats", headers=staff)
    assert community.status_code == 200, community.text
    figures = community.json()
    assert {c["slug"] for c in figures["children"]} == {"sunny", "rainy"}
    # The figures count every concern (the hidden one too): counts carry no title and no name.
    assert figures["concerns"]["received"] == 4
    for slug in ("sunny", "rainy", "sunny-b1"):
        assert (await client.get(f"/api/v1/halls/{slug}/stats", headers=staff)).status_code == 200
        assert (await client.get(f"/halls/{slug}/dashboard", headers=staff)).status_code == 200
    assert (await client.get("/halls/sunny/dashboard.xlsx", headers=staff)).status_code == 200
    # Another community's compound does not exist for them.
    for path in ("/api/v1/halls/far/stats", "/api/v1/halls/faraway/stats", "/api/v1/halls/far/concerns",
                 "/halls/far/concerns.csv", "/halls/faraway/concerns.csv"):  # fmt: skip
        assert (await client.get(path, headers=staff)).status_code == 404, path

    listing = await client.get("/api/v1/halls/sunny/concerns", headers=staff)
    assert listing.status_code == 200, listing.text
    seen = {c["id"]: c for c in listing.json()["concerns"]}
    assert set(seen) == {ids["public"], ids["behalf"]}  # not the one kept to the moderators
    assert all(c["submitter"] is None and c["on_behalf"] is None for c in seen.values())
    assert BEHALF_NAME not in listing.text and HIDDEN_TITLE not in listing.text
    assert all(h["by"] is None for c in seen.values() for h in c["history"] if h["action"] == "received")
    governance = await client.get("/api/v1/halls/sunny/governance", headers=staff)
    assert governance.status_code == 200 and HIDDEN_TITLE not in governance.text
    rainy = await client.get("/api/v1/halls/rainy/concerns", headers=staff)
    assert [c["id"] for c in rainy.json()["concerns"]] == [ids["rainy"]]


async def test_staff_never_sees_ballots_contacts_hidden_items_nor_writes(client: httpx.AsyncClient) -> None:
    sunny, owner, ids, vote, staff = await world(client)
    refused = [
        ("GET", f"/api/v1/proposals/{vote}/ballots/mine"),
        ("GET", f"/api/v1/proposals/{vote}/ledger"),
        ("GET", f"/api/v1/proposals/{vote}"),
        ("GET", "/api/v1/halls/sunny/roll.csv"),  # the owners' names
        ("GET", "/api/v1/halls/sunny"),
        ("GET", "/halls/sunny"),
        ("GET", f"/api/v1/concerns/{ids['hidden']}"),
        ("GET", f"/api/v1/concerns/{ids['public']}"),
        ("GET", "/api/v1/halls/sunny/concerns/search?q=灯"),
        ("POST", "/api/v1/halls/sunny/concerns"),
        ("POST", f"/api/v1/proposals/{vote}/ballots"),
        ("POST", f"/api/v1/proposals/{vote}/comments"),
    ]
    bodies = {
        "/api/v1/halls/sunny/concerns": {"title": "代提", "body": "……", "category": "livelihood"},
        f"/api/v1/proposals/{vote}/ballots": {"choice": "yes"},
        f"/api/v1/proposals/{vote}/comments": {"body": "同意", "stance": "neutral"},
    }
    for method, path in refused:
        response = await client.request(method, path, headers=staff, json=bodies.get(path))
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:80])
    # Nothing was written in their name.
    mine = await client.get("/api/v1/halls/sunny/concerns", headers=owner)
    assert "代提" not in mine.text


async def test_the_concerns_list_exports_as_csv_with_bom_and_xlsx(client: httpx.AsyncClient) -> None:
    sunny, owner, ids, _vote, staff = await world(client)
    response = await client.get("/halls/sunshine/concerns.csv", headers=staff)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="agora-sunshine-concerns-all.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel opens Chinese intact
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["编号", "小区", "楼栋"]
    titles = {r[header.index("标题")] for r in body}
    assert titles == {"楼道灯不亮", "电梯异响", "'=1+1 雨棚漏水"}  # the formula is neutralised
    assert {r[1] for r in body} == {"阳光花园", "雨花小区"}
    assert {r[header.index("状态")] for r in body} == {"已收到"}
    text = response.content.decode("utf-8-sig")
    assert HIDDEN_TITLE not in text and BEHALF_NAME not in text and "远方" not in text

    book = load_workbook(
        io.BytesIO((await client.get("/halls/sunshine/concerns.xlsx", headers=staff)).content)
    )
    sheet = book.worksheets[0]
    values = [[c.value or "" for c in r] for r in sheet.iter_rows()]  # an empty cell reads as None
    assert values[0] == header and sorted(map(tuple, values[1:])) == sorted(map(tuple, body))

    # A member exports what their list shows: their own hidden concern too, only their compound.
    mine = await client.get("/halls/sunny/concerns.csv", headers=owner)
    mine_rows = list(csv.reader(io.StringIO(mine.content.decode("utf-8-sig"))))[1:]
    assert {r[5] for r in mine_rows} == {"楼道灯不亮", HIDDEN_TITLE, "电梯异响"}
    community = await client.get("/halls/sunshine/concerns.csv", headers=owner)
    assert "雨棚漏水" not in community.content.decode("utf-8-sig")  # not a member of rainy
    # A range: nothing was received in 2020; a bad range is 422; another compound is 404.
    empty = await client.get("/halls/sunny/concerns.csv?from=2020-01-01&to=2020-12-31", headers=owner)
    assert len(list(csv.reader(io.StringIO(empty.content.decode("utf-8-sig"))))) == 1
    bad = await client.get("/halls/sunny/concerns.csv?from=2026-12-01&to=2026-11-01", headers=owner)
    assert bad.status_code == 422
    assert (await client.get("/halls/far/concerns.xlsx", headers=owner)).status_code == 404
    assert (await client.get("/halls/sunny/concerns.csv")).status_code in (303, 401)


async def test_the_dashboard_charts_open_items_by_urgency_and_age(client: httpx.AsyncClient) -> None:
    sunny, owner, ids, _vote, staff = await world(client)
    moderator = await set_roles(sunny, "party-zhou", "moderator")
    triaged = await client.post(
        f"/api/v1/concerns/{ids['public']}/triage",
        json={"route": "list", "urgency": 3, "category": "livelihood"},
        headers=moderator,
    )
    assert triaged.status_code == 200, triaged.text
    figures = (await client.get("/api/v1/halls/sunny/stats", headers=staff)).json()
    ages = figures["concerns"]["open_by_urgency_and_age"]
    assert ages["3"] == {"0-7": 1, "8-30": 0, "31-90": 0, "91+": 0}
    assert ages["untriaged"] == {"0-7": 2, "8-30": 0, "31-90": 0, "91+": 0}  # the hidden one counts
    assert sum(ages["2"].values()) == sum(ages["1"].values()) == 0
    page = await client.get("/halls/sunny/dashboard", headers=staff)
    assert page.status_code == 200
    html = page.text
    assert "未办结事项：按紧急程度和时长" in html
    # Each urgency is an SVG with its text alternative, and the same figures in a table beside it.
    assert 'aria-label="紧急: 7 天以内 1; 8–30 天 0; 31–90 天 0; 90 天以上 0"' in html
    assert 'aria-label="尚未分办: 7 天以内 2; 8–30 天 0; 31–90 天 0; 90 天以上 0"' in html
    assert '<th scope="row">7 天以内</th><td class="num">2</td>' in html
    assert 'href="/halls/sunny/concerns.csv"' in html and HIDDEN_TITLE not in html

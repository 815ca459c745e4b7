"""Setting up a site from nothing, through the API and the pages: halls made by an administrator only,
appointments by invitation (committee, moderator, canvasser) issued by the committee only."""

from __future__ import annotations

import httpx

from tests.rooms.factories import admin_headers, compound_with_roll, make_hall, register
from tests.support import bearer, browser_login, csrf_from, make_user


async def test_every_first_run_step_works_through_the_api(client: httpx.AsyncClient) -> None:
    admin = await admin_headers(client)
    await make_hall(client, admin, "community", "new-town", "新城社区")
    await make_hall(client, admin, "compound", "new-garden", "新城花园", "new-town")
    await make_hall(client, admin, "building", "new-garden-1", "1号楼", "new-garden", label="1")
    invited = await client.post(
        "/api/v1/halls/new-garden/invites", json={"role": "committee", "max_uses": 1}, headers=admin
    )
    assert invited.status_code == 201, invited.text
    assert (await register(client, invited.json()["code"], "first-chair")).status_code == 201
    chair = await bearer(client, "first-chair")
    detail = (await client.get("/api/v1/halls/new-garden", headers=chair)).json()
    assert "committee" in detail["my_roles"]
    roll = "building,unit,area,owner_ref,owner_name\n1,101,80.00,X1,王\n"
    imported = await client.put(
        "/api/v1/halls/new-garden/roll", content=roll.encode(), headers={**chair, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["buildings"] == {"new-garden-1": {"units": 1, "persons": 1, "area": "80.00"}}
    await make_user("branch")
    appointed = await client.put(
        "/api/v1/halls/new-garden/members/branch/roles", json={"roles": ["moderator"]}, headers=chair
    )
    assert appointed.status_code == 200, appointed.text


async def test_only_the_committee_appoints_by_invitation(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await make_user("mod-1")
    response = await client.put(
        f"/api/v1/halls/{compound.slug}/members/mod-1/roles",
        json={"roles": ["moderator"]},
        headers=compound.admin,
    )
    assert response.status_code == 200
    moderator = await bearer(client, "mod-1")
    for role in ("committee", "moderator", "canvasser"):
        refused = await client.post(
            f"/api/v1/halls/{compound.slug}/invites", json={"role": role}, headers=moderator
        )
        assert refused.status_code == 403, (role, refused.text)
        made = await client.post(
            f"/api/v1/halls/{compound.slug}/invites", json={"role": role}, headers=compound.committee
        )
        assert made.status_code == 201, (role, made.text)
    assert (await client.post(
        f"/api/v1/halls/{compound.slug}/invites", json={"role": "resident"}, headers=moderator
    )).status_code == 201  # fmt: skip
    bad = await client.post(
        f"/api/v1/halls/{compound.slug}/invites", json={"role": "admin"}, headers=compound.committee
    )
    assert bad.status_code == 422


async def test_the_halls_page_creates_halls_for_administrators_only(client: httpx.AsyncClient) -> None:
    await make_user("root", admin=True)
    await make_user("someone")
    assert (await browser_login(client, "someone")).status_code == 303
    page = await client.get("/halls")
    assert 'action="/halls"' not in page.text and 'href="/join"' in page.text
    refused = await client.post(
        "/halls", data={"csrf_token": csrf_from(page.text), "kind": "community", "name": "x", "slug": "xx"}
    )
    assert refused.status_code == 403

    client.cookies.clear()
    assert (await browser_login(client, "root")).status_code == 303
    page = await client.get("/halls")
    assert 'action="/halls"' in page.text and 'href="/join"' not in page.text
    token = csrf_from(page.text)
    made = await client.post(
        "/halls", data={"csrf_token": token, "kind": "community", "name": "社区", "slug": "c1"}
    )
    assert made.status_code == 303 and made.headers["location"] == "/halls/c1"
    wrong = await client.post(
        "/halls",
        data={"csrf_token": token, "kind": "building", "name": "<b>楼</b>", "slug": "b1", "parent": "c1"},
    )
    assert wrong.status_code == 422 and "&lt;b&gt;楼&lt;/b&gt;" in wrong.text and 'role="alert"' in wrong.text
    taken = await client.post(
        "/halls", data={"csrf_token": token, "kind": "compound", "name": "再来", "slug": "c1"}
    )
    assert taken.status_code == 409
    no_csrf = await client.post("/halls", data={"kind": "community", "name": "x", "slug": "c9"})
    assert no_csrf.status_code == 403
    client.cookies.clear()
    halls = (await client.get("/api/v1/halls", headers=await bearer(client, "root"))).json()["halls"]
    assert [h["slug"] for h in halls] == ["c1"]

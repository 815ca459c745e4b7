"""Invitations and registration: owners bound to the roll, residents to a hall, and nothing else visible."""

from __future__ import annotations

from datetime import timedelta

import httpx

from agora import clock
from agora.accounts.models import User
from agora.audit.models import AuditEntry
from agora.rooms.models import Owner
from tests.rooms.factories import Row, compound_with_roll, import_roll, register, roll_csv
from tests.support import bearer, browser_login, csrf_from


async def test_an_owner_registers_and_sees_their_halls_and_nothing_of_another_compound(
    client: httpx.AsyncClient,
) -> None:
    sunny = await compound_with_roll(client)
    river = await compound_with_roll(
        client,
        slug="river",
        name="江景苑",
        community="riverside",
        admin=sunny.admin,
        text=roll_csv([Row("1", "101", "99.00", "R1", "江一")]),
    )
    response = await register(client, sunny.invites["D"], "zhaoliu", display_name="赵六")
    assert response.status_code == 201 and response.json() == {"login": "zhaoliu"}
    owner = await Owner.get(owner_ref="D", compound__slug="sunny").prefetch_related("user")
    assert owner.user is not None and owner.user.login == "zhaoliu"
    headers = await bearer(client, "zhaoliu")
    halls = (await client.get("/api/v1/halls", headers=headers)).json()["halls"]
    assert [(h["slug"], h["my_roles"]) for h in halls] == [
        ("sunshine", ["member"]),
        ("sunny", ["member", "owner"]),
        ("sunny-b1", ["member", "owner"]),
    ]
    # The compound lists only the building the owner can see.
    assert (await client.get("/api/v1/halls/sunny", headers=headers)).json()["children"] == ["sunny-b1"]
    for slug in ("river", "river-b1", "riverside", "sunny-b2", "no-such-hall"):
        api = await client.get(f"/api/v1/halls/{slug}", headers=headers)
        assert api.status_code == 404, slug
        rules = await client.get(f"/api/v1/halls/{slug}/rules", headers=headers)
        assert rules.status_code == 404, slug
    unknown, other = (
        await client.get("/api/v1/halls/no-such-hall", headers=headers),
        await client.get("/api/v1/halls/river", headers=headers),
    )
    assert unknown.json() == other.json()  # absent and not-yours look the same
    await browser_login(client, "zhaoliu")
    page = await client.get("/halls")
    assert "阳光花园" in page.text and "江景苑" not in page.text and "riverside" not in page.text
    for path in (
        "/halls/river",
        "/halls/river/rules",
        "/halls/river-b1",
        "/halls/river/roll",
        "/halls/riverside",
    ):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/halls/sunny-b1")).status_code == 200
    assert river.slug == "river"
    assert await AuditEntry.filter(action="auth.registered", actor_login="zhaoliu").count() == 1


async def test_bad_invites_say_why_and_create_no_account(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    accounts = await User.all().count()

    async def attempt(code: str, login: str = "newbie", **extra: str) -> httpx.Response:
        response = await register(client, code, login, **extra)
        assert response.status_code >= 400
        assert await User.all().count() == accounts
        return response

    assert (await attempt("short")).status_code == 422
    wrong = await attempt("ABCDEFGHJK")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "invite_not_found"
    assert "邀请码" in wrong.json()["error"]["message"]
    # A bad password or login leaves the invite usable.
    assert (await attempt(c.invites["A"], password="short")).status_code == 422
    assert (await attempt(c.invites["A"], login="a b")).status_code == 422
    # (a name of the person's own: the login, "sunny-committee", would read as the committee's)
    taken = await attempt(c.invites["A"], login="sunny-committee", display_name="张三")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "login_taken"
    assert (
        await register(client, c.invites["A"].lower(), "zhangsan")
    ).status_code == 201  # typed in lowercase
    accounts += 1
    used = await attempt(c.invites["A"], login="someone-else")
    assert used.status_code == 410 and used.json()["error"]["code"] == "invite_used"
    # A second code for an owner who already has an account is used up too.
    again = await import_roll(client, c.committee, c.slug, c.roll_text)
    fresh = {i["owner_ref"]: i["code"] for i in again.json()["invites"]}
    assert "A" not in fresh  # owners with an account get no new code
    assert (await register(client, fresh["B"], "lisi")).status_code == 201  # the new slip works
    accounts += 1
    old_c = await register(client, c.invites["C"], "wangwu")  # and so does the earlier one
    assert old_c.status_code == 201
    accounts += 1
    assert (await attempt(fresh["C"], login="wangwu2")).status_code == 410
    # An expired hall invite.
    created = await client.post(
        f"/api/v1/halls/{c.slug}/invites",
        json={"role": "resident", "max_uses": 5, "expires_at": (clock.now() + timedelta(days=2)).isoformat()},
        headers=c.committee,
    )
    clock.travel(timedelta(days=3))
    expired = await attempt(created.json()["code"], login="late")
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "invite_expired"


async def test_hall_invites_give_a_role_until_used_up(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    created = await client.post(
        f"/api/v1/halls/{c.building('2')}/invites",
        json={"role": "tenant", "max_uses": 2},
        headers=c.committee,
    )
    assert created.status_code == 201, created.text
    code, url = created.json()["code"], created.json()["url"]
    # The code travels in the fragment: never sent to the server, never in its access log.
    assert url.endswith(f"/join#code={code}") and url.startswith("http://")
    for login in ("zuke1", "zuke2"):
        assert (await register(client, code, login)).status_code == 201
    third = await register(client, code, "zuke3")
    assert third.status_code == 410
    tenant = await bearer(client, "zuke1")
    detail = (await client.get(f"/api/v1/halls/{c.building('2')}", headers=tenant)).json()
    assert "tenant" in detail["my_roles"] and "owner" not in detail["my_roles"]
    assert (await client.get(f"/api/v1/halls/{c.building('1')}", headers=tenant)).status_code == 404
    # Owners cannot invite; bad values are refused.
    owner = await c.owner("E", "owner-e")
    refused = await client.post(f"/api/v1/halls/{c.slug}/invites", json={"role": "resident"}, headers=owner)
    assert refused.status_code == 403
    for body in (
        {"role": "king"},
        {"role": "resident", "max_uses": 0},
        {"role": "resident", "expires_at": "2020-01-01T00:00:00+08:00"},
        {"role": "resident", "expires_at": "tomorrow"},
    ):
        response = await client.post(f"/api/v1/halls/{c.slug}/invites", json=body, headers=c.committee)
        assert response.status_code == 422, body
    assert await AuditEntry.filter(action="invite.created").count() == 1


async def test_joining_through_the_page_signs_the_owner_in(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    page = await client.get(f"/join?code={c.invites['E']}")
    assert page.status_code == 200 and c.invites["E"] in page.text
    bad = await client.post(
        "/join",
        data={
            "csrf_token": csrf_from(page.text),
            "invite": "ZZZZZZZZZZ",
            "login": "ewu",
            "password": "long enough pw",
        },
    )
    assert bad.status_code == 404 and "邀请码" in bad.text and 'value="ewu"' in bad.text
    done = await client.post(
        "/join",
        data={
            "csrf_token": csrf_from(page.text),
            "invite": c.invites["E"],
            "login": "ewu",
            "password": "long enough pw",
            "display_name": "",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/halls"
    halls = await client.get("/halls")
    assert halls.status_code == 200 and "阳光花园" in halls.text
    # The owner's display name defaults to their name on the roll (a hostile one, escaped).
    assert (await User.get(login="ewu")).display_name.startswith("<script>")

"""Who may open a hall's live socket, and how it is taken away again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from agora import clock
from agora.accounts.models import Session, User
from agora.accounts.services import digest, revoke_all
from agora.live import routes as live_routes
from agora.live.events import disconnect_user
from agora.rooms.models import MemberRole
from tests.live.factories import compound, member, next_of, open_socket, presence_reaches
from tests.rooms.factories import compound_with_roll
from tests.support import bearer, browser_login, csrf_from, make_user


async def refusal(server, slug: str, headers=None, **kwargs) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidStatus) as refused:
        async with open_socket(server, slug, headers, **kwargs):
            pass
    return refused.value.response.status_code, bytes(refused.value.response.body or b"")


async def closed_with(ws, timeout: float = 3.0) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code


async def test_a_member_connects_with_a_token_and_hears_presence(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        hello = await next_of(ws, "presence")
        assert hello == {"type": "presence", "seq": None, "hall": hall.id, "count": 1}


async def test_a_member_connects_with_the_browser_session_from_the_same_origin(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    user = await make_user("lili")
    await MemberRole.create(user=user, hall=hall, role="member")
    await browser_login(client, "lili")
    cookie = {"Cookie": f"agora_session={client.cookies.get('agora_session')}"}
    async with open_socket(server, "sunny", cookie, origin=server.url) as ws:
        assert (await next_of(ws, "presence"))["count"] == 1
    # The same cookie sent by a page on another site is refused.
    status, _ = await refusal(server, "sunny", cookie, origin="https://evil.example")
    assert status == 403


async def test_every_refusal_looks_the_same(server) -> None:  # type: ignore[no-untyped-def]
    """Unknown hall, another compound's hall, no credentials, forged, expired and revoked tokens."""
    sunny = await compound("sunny")
    await compound("moon")
    wang = await member("wang", sunny)
    expired = await member("old", sunny)
    revoked = await member("gone", sunny)
    await revoke_all(await User.get(login="gone"), "test")
    cases = {
        "unknown hall": ("nowhere", wang),
        "another compound": ("moon", wang),
        "no credentials": ("sunny", {}),
        "forged token": ("sunny", {"Authorization": "Bearer agt_forged"}),
        "huge token": ("sunny", {"Authorization": "Bearer " + "x" * 4000}),
        "garbage cookie": ("sunny", {"Cookie": "agora_session=forged"}),
        "revoked token": ("sunny", revoked),
    }
    answers = {name: await refusal(server, slug, headers) for name, (slug, headers) in cases.items()}
    clock.travel(timedelta(days=2))
    answers["expired token"] = await refusal(server, "sunny", expired)
    clock.reset()
    assert set(answers.values()) == {(403, b"")}, answers
    async with open_socket(server, "sunny", wang) as ws:  # and the real thing works
        await next_of(ws, "presence")


async def test_a_session_is_kept_and_expired_by_the_socket_as_by_a_page(server, client) -> None:  # type: ignore[no-untyped-def]
    """The handshake reads the session with the hall in one statement: it still records that the
    session was seen (at most once a minute, as a page does), and one idle for too long is refused
    and revoked there and then, as a page would revoke it."""
    hall = await compound("sunny")
    user = await make_user("lili")
    await MemberRole.create(user=user, hall=hall, role="member")
    await browser_login(client, "lili")
    raw = client.cookies.get("agora_session")
    cookie = {"Cookie": f"agora_session={raw}"}
    signed_in = await Session.get(id_hash=digest(raw))
    clock.travel(timedelta(seconds=30))
    async with open_socket(server, "sunny", cookie) as ws:
        await next_of(ws, "presence")
    assert (await Session.get(id_hash=digest(raw))).last_seen_at == signed_in.last_seen_at  # under a minute
    clock.travel(timedelta(minutes=5))
    async with open_socket(server, "sunny", cookie) as ws:
        await next_of(ws, "presence")
    seen = (await Session.get(id_hash=digest(raw))).last_seen_at
    assert seen > signed_in.last_seen_at + timedelta(minutes=5)
    clock.travel(timedelta(hours=2, minutes=6))  # idle for longer than the two hours allowed
    assert await refusal(server, "sunny", cookie) == (403, b"")
    assert (await Session.get(id_hash=digest(raw))).revoked_at is not None
    clock.reset()
    assert await refusal(server, "sunny", cookie) == (403, b"")  # revoked, not only late


async def test_a_disabled_account_opens_no_socket_with_its_token_or_its_session(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    token = await member("wang", hall)
    await browser_login(client, "wang")
    cookie = {"Cookie": f"agora_session={client.cookies.get('agora_session')}"}
    for headers in (token, cookie):
        async with open_socket(server, "sunny", headers) as ws:
            await next_of(ws, "presence")
    await User.filter(login="wang").update(is_active=False)  # neither the token nor the session revoked
    assert await refusal(server, "sunny", token) == (403, b"")
    assert await refusal(server, "sunny", cookie) == (403, b"")


async def test_only_the_hall_socket_path_is_a_socket(server, client) -> None:  # type: ignore[no-untyped-def]
    """Sockets are routed in front of the HTTP middleware: a path below a hall's socket is no socket,
    and the socket's path over plain HTTP is a page that does not exist."""
    hall = await compound("sunny")
    headers = await member("wang", hall)
    assert await refusal(server, "sunny/extra", headers) == (403, b"")
    response = await client.get("/ws/halls/sunny", headers=headers)
    assert response.status_code == 404
    async with open_socket(server, "sunny", headers) as ws:
        assert (await next_of(ws, "presence"))["count"] == 1


async def test_logout_closes_the_sockets_of_that_session_only(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    user = await make_user("lili")
    await MemberRole.create(user=user, hall=hall, role="member")
    other_device = await member("lili-phone", None)  # a different user, to show who is left alone
    await MemberRole.create(user=await User.get(login="lili-phone"), hall=hall, role="member")
    await browser_login(client, "lili")
    cookie = {"Cookie": f"agora_session={client.cookies.get('agora_session')}"}
    async with (
        open_socket(server, "sunny", cookie) as browser,
        open_socket(server, "sunny", other_device) as phone,
    ):
        await next_of(browser, "presence")
        page = await client.get("/login", follow_redirects=True)
        response = await client.post("/logout", data={"csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        assert await closed_with(browser) == 4403
        await presence_reaches(phone, 1)  # the other socket is still served


async def test_revoking_a_token_or_everything_closes_live_sockets(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        response = await client.delete("/api/v1/auth/token", headers=headers)
        assert response.status_code in (200, 204), response.text
        assert await closed_with(ws) == 4403
    headers = await member("zhao", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        await revoke_all(await User.get(login="zhao"), "account disabled")
        assert await closed_with(ws) == 4403


async def test_a_member_removed_from_a_compound_loses_it_and_its_buildings(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny", buildings=("1",))
    headers = await member("wang", hall)
    stays = await member("zhao", hall)
    async with (
        open_socket(server, "sunny", headers) as in_compound,
        open_socket(server, "sunny-b1", headers) as in_building,
        open_socket(server, "sunny", stays) as other,
    ):
        for ws in (in_compound, in_building, other):
            await next_of(ws, "presence")
        await MemberRole.filter(user__login="wang").delete()
        await disconnect_user((await User.get(login="wang")).id, hall.id)
        assert await closed_with(in_compound) == 4403
        assert await closed_with(in_building) == 4403  # re-checked: the role was the compound's
        await presence_reaches(other, 1)


async def test_removing_roles_through_the_api_closes_the_socket(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    await member("chair", hall, role="committee")
    committee = await member("chair2", hall, role="committee")
    headers = await member("wang", hall)
    async with open_socket(server, "sunny", headers) as ws:
        await next_of(ws, "presence")
        response = await client.put(
            "/api/v1/halls/sunny/members/wang/roles", json={"roles": []}, headers=committee
        )
        assert response.status_code == 200, response.text
        assert await closed_with(ws) == 4403
    status, _ = await refusal(server, "sunny", headers)
    assert status == 403


async def capped(server, headers) -> int:  # type: ignore[no-untyped-def]
    """Open one more socket: the close code it gets straight away (0 if it stays open)."""
    async with open_socket(server, "sunny", headers) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 2)
            await asyncio.wait_for(ws.recv(), 0.3)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        except TimeoutError:
            return 0
    return 0


async def test_one_account_cannot_open_hundreds_of_sockets(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)
    limit = live_routes.MAX_SOCKETS_PER_USER
    sockets = [await open_socket(server, "sunny", headers) for _ in range(limit)]
    try:
        assert await asyncio.gather(*(capped(server, headers) for _ in range(30))) == [1013] * 30
        # The ones already open are untouched, and closing one frees a place.
        for ws in sockets:
            assert (await next_of(ws, "presence"))["count"] >= 1
        await sockets[0].close()
        await asyncio.sleep(0.2)
        assert await capped(server, headers) == 0
    finally:
        for ws in sockets:
            await ws.close()


async def test_the_cap_holds_against_a_burst_of_simultaneous_handshakes(server) -> None:  # type: ignore[no-untyped-def]
    hall = await compound("sunny")
    headers = await member("wang", hall)

    async def attempt():  # type: ignore[no-untyped-def]
        ws = await open_socket(server, "sunny", headers)
        try:
            await asyncio.wait_for(ws.recv(), 2)  # presence, or the close
            return ws
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1

    results = await asyncio.gather(*(attempt() for _ in range(60)))
    opened = [r for r in results if not isinstance(r, int)]
    try:
        assert len(opened) == live_routes.MAX_SOCKETS_PER_USER
        assert [r for r in results if isinstance(r, int)] == [1013] * (60 - len(opened))
    finally:
        for ws in opened:
            await ws.close()


async def test_http_get_on_the_socket_path_is_not_a_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/ws/halls/sunny")
    assert response.status_code in (400, 403, 404, 426)


async def _socket_admits(server, slug: str, headers: dict[str, str]) -> bool:  # type: ignore[no-untyped-def]
    try:
        async with open_socket(server, slug, headers) as ws:
            await next_of(ws, "presence")
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


async def test_the_socket_admits_exactly_whom_the_hall_shows(server, client) -> None:  # type: ignore[no-untyped-def]
    """The handshake decides access in a read of its own (the hall and the caller's roles at once): it
    must agree with the hall's API for every kind of hall and every way of belonging to one."""
    sunny = await compound_with_roll(client)
    moon = await compound_with_roll(client, slug="moon", name="月亮湾", admin=sunny.admin)
    await make_user("b2-moderator")
    response = await client.put(
        f"/api/v1/halls/{sunny.building('2')}/members/b2-moderator/roles",
        json={"roles": ["moderator"]},
        headers=sunny.admin,
    )
    assert response.status_code == 200, response.text
    await make_user("nobody")
    callers = {
        "admin": sunny.admin,
        "committee": sunny.committee,  # a compound role: its buildings too
        "owner in building 1": await sunny.owner("A", "owner-a"),
        "moderator of building 2": await bearer(client, "b2-moderator"),
        "owner in the other compound": await moon.owner("E", "moon-e"),
        "nobody": await bearer(client, "nobody"),
    }
    halls = [sunny.community, sunny.slug, sunny.building("1"), sunny.building("2")]
    halls += [moon.slug, moon.building("2")]
    admitted: dict[tuple[str, str], bool] = {}
    for name, headers in callers.items():
        for slug in halls:
            shown = (await client.get(f"/api/v1/halls/{slug}", headers=headers)).status_code
            assert shown in (200, 404), (name, slug, shown)
            admitted[name, slug] = await _socket_admits(server, slug, headers)
            assert admitted[name, slug] == (shown == 200), (name, slug, shown)
    # The matrix is not all one answer: each way of belonging reaches where it should and no further.
    assert all(admitted["admin", slug] for slug in halls)
    assert not any(admitted["nobody", slug] for slug in halls)
    assert admitted["owner in building 1", sunny.building("1")]
    assert not admitted["owner in building 1", sunny.building("2")]
    assert admitted["owner in building 1", sunny.community]
    assert admitted["committee", sunny.building("2")]
    assert admitted["moderator of building 2", sunny.slug]
    assert not admitted["moderator of building 2", sunny.building("1")]
    assert not admitted["owner in the other compound", sunny.slug]
    assert admitted["owner in the other compound", moon.building("2")]

"""Attacks on sign-in and sessions that tests/accounts/test_sessions.py does not already cover.

Cookie attributes with and without `AGORA_SECURE_COOKIES`; unknown login and wrong password alike in
body and in time; a flood of concurrent sign-ins leaves the server healthy and answers only 401/429;
(and a burst of concurrent guesses cannot slip past the per-account limit);
an owner dropped from the roll by a re-import loses the compound's halls and live sockets at once.
(A session or token revoked while a socket is open: tests/live/test_access.py.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from agora.audit.models import AuditEntry
from tests.live.factories import next_of, open_socket
from tests.rooms.factories import SMALL_ROWS, compound_with_roll, import_roll, roll_csv
from tests.support import TEST_PASSWORD, csrf_from, make_user


def set_cookies(response: httpx.Response) -> dict[str, str]:
    return {v.split("=", 1)[0]: v for k, v in response.headers.multi_items() if k == "set-cookie"}


@pytest.mark.parametrize("secure", [True, False])
async def test_every_cookie_is_httponly_samesite_and_secure_when_configured(server, secure: bool) -> None:  # type: ignore[no-untyped-def]
    server.app.state.settings = dataclasses.replace(server.settings, secure_cookies=secure)
    await make_user("wang")
    cookies: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=server.url) as client:
        # By hand: a client's jar would (rightly) not send a Secure cookie over plain http.

        async def call(method: str, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
            jar = "; ".join(v.split(";")[0] for v in cookies.values() if "Max-Age=0" not in v)
            client.cookies.clear()
            response = await client.request(method, path, headers={"Cookie": jar}, **kwargs)
            cookies.update(set_cookies(response))
            return response

        page = await call("GET", "/login")
        signed_in = await call(
            "POST",
            "/login",
            data={"login": "wang", "password": TEST_PASSWORD, "csrf_token": csrf_from(page.text)},
        )
        assert signed_in.status_code == 303
        token = csrf_from((await call("GET", "/halls")).text)
        for path, data in [
            ("/settings/language", {"lang": "en"}),
            ("/settings/text-size", {"size": "large"}),
        ]:
            response = await call("POST", path, data={**data, "csrf_token": token})
            assert response.status_code == 303, (path, response.status_code)
    assert {"agora_pre", "agora_session", "agora_lang", "agora_text"} <= set(cookies), cookies
    for header in cookies.values():
        attributes = [a.strip() for a in header.split(";")[1:]]
        assert "Path=/" in attributes and "SameSite=Lax" in attributes, header
        assert "HttpOnly" in attributes, header
        assert ("Secure" in attributes) is secure, header
        assert not any(a.lower().startswith("domain=") for a in attributes), header
    assert "Max-Age" not in cookies["agora_session"]  # a browser session cookie, ended server side


async def test_unknown_login_and_wrong_password_look_and_take_the_same(client: httpx.AsyncClient) -> None:
    """Same body (page and API, the echoed login aside) and similar time: the median of seven tries."""
    tries = 7
    for n in range(tries):
        await make_user(f"known{n}")
    page = await client.get("/login")
    token = csrf_from(page.text)

    async def attempt(login: str, *, api: bool) -> tuple[float, int, str]:
        started = time.perf_counter()
        if api:
            response = await client.post(
                "/api/v1/auth/token", json={"login": login, "password": "wrong-pass-1"}
            )
        else:
            response = await client.post(
                "/login", data={"login": login, "password": "wrong-pass-1", "csrf_token": token}
            )
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code, response.text.replace(login, "LOGIN")

    known, unknown = [], []
    for n in range(tries):  # interleaved, so a slow moment hurts both sides alike
        known.append(await attempt(f"known{n}", api=True))
        unknown.append(await attempt(f"ghost{n}", api=True))
    assert {k[1] for k in known} == {u[1] for u in unknown} == {401}
    assert {k[2] for k in known} == {u[2] for u in unknown} and len({k[2] for k in known}) == 1
    ratio = statistics.median(k[0] for k in known) / statistics.median(u[0] for u in unknown)
    assert 0.5 <= ratio <= 2.0, f"known/unknown median time ratio {ratio:.2f}"

    page_known = await attempt("known0", api=False)
    page_unknown = await attempt("ghost0", api=False)
    assert page_known[1] == page_unknown[1]
    assert page_known[2] == page_unknown[2]


async def test_a_login_flood_gets_401_or_429_and_the_server_stays_healthy(server) -> None:  # type: ignore[no-untyped-def]
    await make_user("victim")
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with (
        httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as flood,
        httpx.AsyncClient(base_url=server.url, timeout=5) as probe,
    ):

        async def guess(n: int) -> int:
            login = "victim" if n % 2 else f"user{n}"
            response = await flood.post(
                "/api/v1/auth/token", json={"login": login, "password": f"guess-{n:04d}"}
            )
            return response.status_code

        async def health() -> list[tuple[int, float]]:
            seen = []
            for _ in range(10):
                started = time.perf_counter()
                response = await probe.get("/healthz")
                seen.append((response.status_code, time.perf_counter() - started))
                await asyncio.sleep(0.02)
            return seen

        results = await asyncio.gather(health(), *(guess(n) for n in range(100)))
        during, statuses = results[0], results[1:]
        assert set(statuses) <= {401, 429}, sorted(set(statuses))
        assert 429 in statuses and 401 in statuses
        assert all(status == 200 for status, _t in during), during
        assert max(t for _s, t in during) < 3.0, during
        after = await probe.get("/healthz")
        assert after.status_code == 200
    # The burst did not slip past the limit: at most 5 guesses per account and address were checked.
    checked = await AuditEntry.filter(action="auth.login_failed", object_id="victim").count()
    assert checked <= 5, checked
    # The right password still works for someone else once the flood is over.
    await make_user("bystander")
    async with httpx.AsyncClient(base_url=server.url) as client:
        ok = await client.post("/api/v1/auth/token", json={"login": "bystander", "password": TEST_PASSWORD})
        assert ok.status_code in (200, 429), ok.text  # 429 only if the address itself is blocked
        if ok.status_code == 429:
            assert ok.headers.get("retry-after")


async def closed_with(ws, timeout: float = 3.0) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code


async def test_an_owner_dropped_from_the_roll_loses_the_halls_and_the_live_socket_at_once(
    server, client: httpx.AsyncClient
) -> None:  # type: ignore[no-untyped-def]
    compound = await compound_with_roll(client)
    leaving = await compound.owner("A", "owner-a")  # A owns 1-101 alone
    staying = await compound.owner("B", "owner-b")
    for slug in (compound.slug, compound.building("1")):
        assert (await client.get(f"/api/v1/halls/{slug}", headers=leaving)).status_code == 200
    async with (
        open_socket(server, compound.slug, leaving) as in_compound,
        open_socket(server, compound.building("1"), leaving) as in_building,
        open_socket(server, compound.slug, staying) as other,
    ):
        for ws in (in_compound, in_building, other):
            await next_of(ws, "presence")
        without_a = roll_csv([r for r in SMALL_ROWS if r.owner_ref != "A"])
        response = await import_roll(client, compound.committee, compound.slug, without_a)
        assert response.status_code == 200, response.text
        assert await closed_with(in_compound) == 4403
        assert await closed_with(in_building) == 4403
        await next_of(other, "presence")  # the one left on the roll is still served
    for slug in (compound.slug, compound.building("1")):
        assert (await client.get(f"/api/v1/halls/{slug}", headers=leaving)).status_code == 404
        assert (await client.get(f"/api/v1/halls/{slug}", headers=staying)).status_code == 200
    # Pages too: the hall does not exist for them any more.
    assert (await client.get(f"/halls/{compound.slug}", headers=leaving)).status_code == 404

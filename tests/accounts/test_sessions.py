"""Sign-in, sessions, CSRF and tokens, through the pages and the API."""

from __future__ import annotations

from datetime import timedelta

import httpx

from agora import clock
from agora.accounts.models import Session
from agora.audit.models import AuditEntry
from tests.support import TEST_PASSWORD, bearer, browser_login, csrf_from, make_user


async def test_browser_login_sets_a_server_side_session_cookie(client: httpx.AsyncClient) -> None:
    await make_user("wang")
    response = await browser_login(client, "wang")
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "agora_session=" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    raw = cookie.split(";")[0].split("=", 1)[1]
    assert len(raw) >= 40
    # Only a digest is stored: the cookie value itself is nowhere in the database.
    assert not await Session.filter(id_hash=raw).exists()
    assert await Session.filter(user__login="wang", revoked_at=None).count() == 1


async def test_login_rotates_the_session_so_a_planted_id_is_not_promoted(client: httpx.AsyncClient) -> None:
    await make_user("lili")
    client.cookies.set("agora_session", "planted-by-attacker")
    response = await browser_login(client, "lili")
    new = response.cookies.get("agora_session")
    assert new and new != "planted-by-attacker"


async def test_logout_kills_the_session_server_side(client: httpx.AsyncClient) -> None:
    await make_user("zhao")
    await browser_login(client, "zhao")
    stolen = client.cookies.get("agora_session")
    page = await client.get("/login?next=/")
    assert page.status_code == 303  # signed in: sent on
    home = await client.get("/login", follow_redirects=True)
    token = csrf_from(home.text)
    out = await client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303
    async with httpx.AsyncClient(base_url=str(client.base_url)) as replay:
        replay.cookies.set("agora_session", stolen)
        response = await replay.get("/login")
        assert response.status_code == 200  # the old cookie no longer signs anyone in
    assert await AuditEntry.filter(action="auth.logout").count() == 1


async def test_idle_and_absolute_timeouts_end_a_session(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await make_user("sun")
    await browser_login(client, "sun")
    assert (await client.get("/login")).status_code == 303
    clock.travel(timedelta(seconds=server.settings.session_idle_seconds + 5))
    assert (await client.get("/login")).status_code == 200
    clock.reset()
    await browser_login(client, "sun")
    for _ in range(server.settings.session_absolute_seconds // server.settings.session_idle_seconds + 1):
        clock.travel(timedelta(seconds=server.settings.session_idle_seconds - 60))
        await client.get("/login")  # keeps it from idling out
    assert (await client.get("/login")).status_code == 200


async def test_wrong_password_and_unknown_login_look_the_same(client: httpx.AsyncClient) -> None:
    await make_user("zhou")
    wrong = await client.post("/api/v1/auth/token", json={"login": "zhou", "password": "not the password"})
    unknown = await client.post(
        "/api/v1/auth/token", json={"login": "nobody", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


async def test_form_without_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    await make_user("wuwu")
    await client.get("/login")
    response = await client.post("/login", data={"login": "wuwu", "password": TEST_PASSWORD})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    forged = await client.post(
        "/login", data={"login": "wuwu", "password": TEST_PASSWORD, "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403
    assert "agora_session" not in forged.cookies


async def test_csrf_token_is_bound_to_the_session(client: httpx.AsyncClient) -> None:
    await make_user("zheng")
    anonymous_token = csrf_from((await client.get("/login")).text)
    await browser_login(client, "zheng")
    response = await client.post("/logout", data={"csrf_token": anonymous_token})
    assert response.status_code == 403


async def test_api_refuses_the_session_cookie_for_unsafe_methods(client: httpx.AsyncClient) -> None:
    await make_user("feng")
    await browser_login(client, "feng")
    response = await client.delete("/api/v1/auth/token")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "token_required"


async def test_bearer_token_works_until_deleted(client: httpx.AsyncClient) -> None:
    await make_user("chen")
    headers = await bearer(client, "chen")
    response = await client.delete("/api/v1/auth/token", headers=headers)
    assert response.status_code == 204
    again = await client.delete("/api/v1/auth/token", headers=headers)
    assert again.status_code == 401


async def test_throttling_answers_429_with_retry_after_and_the_owner_gets_back_in(
    client: httpx.AsyncClient,
) -> None:
    await make_user("han")
    statuses = []
    for _ in range(6):
        r = await client.post("/api/v1/auth/token", json={"login": "han", "password": "guess-guess"})
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    assert int(r.headers["retry-after"]) > 0
    # The real owner, even from the attacker's address, is let back in once the block lapses.
    clock.travel(timedelta(minutes=16))
    ok = await client.post("/api/v1/auth/token", json={"login": "han", "password": TEST_PASSWORD})
    assert ok.status_code == 200


async def test_guessing_from_rotating_addresses_blocks_the_account_only_briefly(server) -> None:  # type: ignore[no-untyped-def]
    """Ten failures from ten addresses block the account for 30 s, not for long."""
    from agora.accounts import services
    from agora.errors import NotAuthenticated, Throttled
    from tests.support import TEST_PASSWORDS

    await make_user("mama")
    for n in range(10):
        try:
            await services.authenticate(TEST_PASSWORDS, "mama", "wrong-password", f"10.0.0.{n}")
        except NotAuthenticated:
            pass
    try:
        await services.authenticate(TEST_PASSWORDS, "mama", TEST_PASSWORD, "192.0.2.1")
        raise AssertionError("expected a short block")
    except Throttled as throttled:
        assert throttled.retry_after <= 31
    clock.travel(timedelta(seconds=31))
    user = await services.authenticate(TEST_PASSWORDS, "mama", TEST_PASSWORD, "192.0.2.1")
    assert user.login == "mama"


async def test_huge_password_is_refused_before_hashing(client: httpx.AsyncClient) -> None:
    await make_user("liu")
    response = await client.post("/api/v1/auth/token", json={"login": "liu", "password": "x" * 100_000})
    assert response.status_code == 401


async def test_password_is_rehashed_when_parameters_change(server) -> None:  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    from agora.accounts import services
    from agora.accounts.models import User
    from tests.support import TEST_PASSWORDS

    user = await make_user("yang")
    old = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(TEST_PASSWORD)
    user.password_hash = old
    await user.save()
    await services.authenticate(TEST_PASSWORDS, "yang", TEST_PASSWORD, "127.0.0.1")
    fresh = (await User.get(login="yang")).password_hash
    assert fresh != old and fresh.startswith("$argon2id$") and "m=1024" in fresh

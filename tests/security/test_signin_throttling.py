"""Sign-in throttling slows an attacker without locking the owner out (issue 16, item 2).

Two wrong passwords a minute from rotating addresses used to keep an owner locked out for as
long as the attack lasted. Attempts from real, distinct source addresses (127.0.0.x on the
loopback) drive the server over HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from agora import clock
from agora.accounts import devices
from agora.accounts.services import LIMITS, Limit
from agora.audit.models import AuditEntry
from tests.support import TEST_PASSWORD, make_user


def test_delays_grow_from_the_limit_up_to_the_cap() -> None:
    limit = Limit(5, timedelta(minutes=1), timedelta(minutes=30))
    assert [limit.block_for(n) for n in range(5)] == [None] * 5
    assert [limit.block_for(n) for n in (5, 6, 7, 8)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert limit.block_for(10_000) == timedelta(minutes=30)


def test_device_cookies_are_bound_to_the_account_and_the_secret() -> None:
    value = devices.issue("s3cret", "Owner-A")
    device = devices.device_for("s3cret", value, "owner-a")
    assert device and device in value
    assert devices.device_for("s3cret", value, "owner-b") is None
    assert devices.device_for("other", value, "owner-a") is None
    forged = value.rsplit(".", 1)[0] + ".0" * 16
    assert devices.device_for("s3cret", forged, "owner-a") is None
    assert devices.device_for("s3cret", "d1..x", "owner-a") is None


# The server closes a connection idle for 5 s: a client that keeps one as long may send on it as the
# server closes it (httpx.ReadError under load, tests/conftest.py's `client` says more).
IDLE_CONNECTIONS = httpx.Limits(keepalive_expiry=2.0)


def from_address(url: str, n: int) -> httpx.AsyncClient:
    """A client whose connections come from 127.0.0.n (any loopback address is ours)."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{n}", limits=IDLE_CONNECTIONS)
    return httpx.AsyncClient(base_url=url, transport=transport, timeout=30)


async def token(client: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"login": login, "password": password})


async def test_rotating_addresses_never_lock_the_owner_out_of_their_known_device(server) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner-rot")
    attackers: dict[int, httpx.AsyncClient] = {}
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=IDLE_CONNECTIONS) as phone:
        first = await token(phone, "owner-rot", TEST_PASSWORD)
        assert first.status_code == 200 and devices.COOKIE in phone.cookies
        statuses: list[int] = []
        try:
            # An hour of two wrong passwords a minute, each from another address.
            for attempt in range(120):
                n = 2 + attempt % 100
                attackers.setdefault(n, from_address(server.url, n))
                response = await token(attackers[n], "owner-rot", f"guess-{attempt:04d}")
                statuses.append(response.status_code)
                assert response.status_code in (401, 429), response.text
                clock.travel(timedelta(seconds=30))
                if attempt % 20 == 19:  # every ten minutes the owner signs in from their phone
                    mine = await token(phone, "owner-rot", TEST_PASSWORD)
                    assert mine.status_code == 200, (attempt, mine.text)
        finally:
            for client in attackers.values():
                await client.aclose()
    # The attacker was slowed to a crawl: most attempts were refused unchecked.
    checked = await AuditEntry.filter(action="auth.login_failed", object_id="owner-rot").count()
    assert checked == statuses.count(401)
    assert checked <= 25, checked
    throttled = await AuditEntry.filter(action="auth.throttled", object_id="owner-rot").all()
    assert len(throttled) == statuses.count(429) >= 90
    assert all(row.detail["client"] == "address" and "account" in row.detail["blocked"] for row in throttled)
    # An unknown device (no cookie) shares the account's limit, and is told how long to wait.
    async with from_address(server.url, 250) as new_phone:
        response = await token(new_phone, "owner-rot", TEST_PASSWORD)
        assert response.status_code in (200, 429)
        if response.status_code == 429:
            assert 0 < int(response.headers["retry-after"]) <= LIMITS["account"].cap.total_seconds() + 1


async def test_per_account_and_client_delays_grow(server) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner-grow")
    async with from_address(server.url, 7) as client:
        for _n in range(5):
            assert (await token(client, "owner-grow", "wrong-wrong")).status_code == 401
        waits = []
        for _round in range(3):
            blocked = await token(client, "owner-grow", "wrong-wrong")
            assert blocked.status_code == 429
            waits.append(int(blocked.headers["retry-after"]))
            clock.travel(timedelta(seconds=waits[-1] + 1))
            assert (await token(client, "owner-grow", "wrong-wrong")).status_code == 401
        assert waits[0] <= 61 and waits[1] > waits[0] and waits[2] > waits[1], waits
        # The owner's correct password from that address works once the block lapses.
        clock.travel(timedelta(hours=1))
        assert (await token(client, "owner-grow", TEST_PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_slowed(server) -> None:  # type: ignore[no-untyped-def]
    limit = LIMITS["ip"].limit
    async with from_address(server.url, 9) as client:
        for n in range(limit):
            assert (await token(client, f"nobody-{n}", "wrong-wrong")).status_code == 401
        blocked = await token(client, "nobody-next", "wrong-wrong")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # Another address is not affected.
    await make_user("bystander-ip")
    async with from_address(server.url, 10) as other:
        assert (await token(other, "bystander-ip", TEST_PASSWORD)).status_code == 200


async def test_a_known_device_counts_its_own_failures(server) -> None:  # type: ignore[no-untyped-def]
    """A device cookie is no free pass: the device's own wrong passwords are throttled like any."""
    await make_user("owner-dev")
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=IDLE_CONNECTIONS) as phone:
        assert (await token(phone, "owner-dev", TEST_PASSWORD)).status_code == 200
        for _n in range(LIMITS["pair"].limit):
            assert (await token(phone, "owner-dev", "wrong-wrong")).status_code == 401
        assert (await token(phone, "owner-dev", "wrong-wrong")).status_code == 429
    row = await AuditEntry.filter(action="auth.throttled", object_id="owner-dev").first()
    assert row is not None and row.detail["client"] == "device"


async def test_the_sign_in_form_sets_a_device_cookie(server) -> None:  # type: ignore[no-untyped-def]
    from tests.support import browser_login

    await make_user("owner-form")
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=IDLE_CONNECTIONS) as browser:
        response = await browser_login(browser, "owner-form")
        assert response.status_code == 303
        cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
        cookie = next(v for v in cookies if v.startswith(devices.COOKIE + "="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie

"""Password recovery through HTTP: a reset code issued in the hall, redeemed once; changing one's password."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from agora import clock
from agora.audit.models import AuditEntry
from agora.recovery.models import PasswordReset
from tests.proposals.factories import assert_no_xss, make_hall, member
from tests.support import TEST_PASSWORD, bearer, browser_login, csrf_from

NEW_PASSWORD = "a brand new passphrase"


async def _hall() -> None:
    sunny = await make_hall("sunny")
    await member("wang", sunny)  # a resident who forgot the password
    await member("chair", sunny, "committee")
    await member("party", sunny, "moderator")
    await member("canvas", sunny, "canvasser")
    rainy = await make_hall("rainy")
    await member("outsider", rainy, "committee")


async def _issue(client: httpx.AsyncClient, issuer: str, login: str, slug: str = "sunny") -> httpx.Response:
    headers = await bearer(client, issuer)
    return await client.post(f"/api/v1/halls/{slug}/members/{login}/password-reset", headers=headers)


async def _redeem_page(server, code: str, password: str = NEW_PASSWORD) -> httpx.Response:  # type: ignore[no-untyped-def]
    """A browser without JavaScript, not signed in, follows the link the code gives."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get(f"/reset?code={code}")
        assert page.status_code == 200
        assert f'value="{code}"' in page.text
        return await http.post(
            "/reset",
            data={
                "csrf_token": csrf_from(page.text),
                "code": code,
                "password": password,
                "password_again": password,
            },
        )


async def test_the_committee_resets_a_forgotten_password_once(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    async with httpx.AsyncClient(base_url=server.url) as old_device:
        await browser_login(old_device, "wang")
        assert (await old_device.get("/halls")).status_code == 200
        issued = await _issue(client, "chair", "wang")
        assert issued.status_code == 201, issued.text
        body = issued.json()
        assert issued.headers["cache-control"] == "no-store"
        assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", body["code"])
        assert body["url"] == f"{server.url}/reset?code={body['code'].replace('-', '')}"
        # Only a digest is kept.
        assert not await PasswordReset.filter(code_hash=body["code"]).exists()
        done = await _redeem_page(server, body["url"].split("code=")[1])
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
        # The old password no longer works, the new one does, and the old device is signed out.
        assert (
            await client.post("/api/v1/auth/token", json={"login": "wang", "password": TEST_PASSWORD})
        ).status_code == 401
        await bearer(client, "wang", NEW_PASSWORD)
        assert (await old_device.get("/halls")).status_code in (303, 401)
    # Single use: the same code again is refused, typed with dashes and in lower case or not.
    again = await client.post(
        "/api/v1/auth/password-reset", json={"code": body["code"].lower(), "password": "another one!"}
    )
    assert again.status_code == 410 and again.json()["error"]["code"] == "reset_code_invalid"
    actions = [e.action for e in await AuditEntry.all().order_by("id")]
    assert (
        "auth.reset_issued" in actions and "auth.password_reset" in actions and "auth.revoke_all" in actions
    )
    entry = await AuditEntry.get(action="auth.reset_issued")
    assert entry.actor_id == (await PasswordReset.first()).issued_by_id  # type: ignore[union-attr, attr-defined]


async def test_a_code_expires_and_a_newer_code_replaces_the_older(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    first = (await _issue(client, "party", "wang")).json()["code"]
    second = (await _issue(client, "party", "wang")).json()["code"]
    old = await client.post("/api/v1/auth/password-reset", json={"code": first, "password": NEW_PASSWORD})
    assert old.status_code == 410
    clock.travel(timedelta(hours=24, seconds=1))
    late = await client.post("/api/v1/auth/password-reset", json={"code": second, "password": NEW_PASSWORD})
    assert late.status_code == 410
    clock.reset()
    fresh = (await _issue(client, "party", "wang")).json()["code"]
    short = await client.post("/api/v1/auth/password-reset", json={"code": fresh, "password": "short"})
    assert short.status_code == 422  # the policy, before the code is spent
    ok = await client.post("/api/v1/auth/password-reset", json={"code": fresh, "password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_who_may_issue_a_code_for_whom(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    assert (await _issue(client, "wang", "party")).status_code == 403  # a resident
    assert (await _issue(client, "canvas", "wang")).status_code == 403  # a canvasser
    refused = await _issue(client, "party", "chair")  # a moderator taking over the committee
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "privileged_account"
    assert (await _issue(client, "chair", "canvas")).json()["error"]["code"] == "privileged_account"
    assert (await _issue(client, "chair", "chair")).json()["error"]["code"] == "own_account"
    assert (await _issue(client, "chair", "outsider")).status_code == 404  # not in this hall
    assert (await _issue(client, "chair", "nobody")).status_code == 404
    assert (await _issue(client, "outsider", "wang")).status_code == 404  # a hall they cannot see
    assert not await PasswordReset.exists()


async def test_the_issue_page_shows_the_code_once_with_its_qr_code(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    await browser_login(client, "party")
    hall = await client.get("/halls/sunny")
    assert 'href="/halls/sunny/password-resets"' in hall.text
    page = await client.get("/halls/sunny/password-resets", headers={"accept-language": "zh-CN"})
    assert page.status_code == 200 and "重置" in page.text
    shown = await client.post(
        "/halls/sunny/password-resets", data={"csrf_token": csrf_from(page.text), "login": "wang"}
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    code = re.search(r'<p class="invite-code">([^<]+)</p>', shown.text)
    assert code and re.search(r'<svg class="qr" role="img"[^>]*><title>', shown.text)
    assert_no_xss(re.sub(r"<svg.*?</svg>", "", shown.text, flags=re.S))
    done = await _redeem_page(server, code.group(1))
    assert done.status_code == 303
    # Without the CSRF token the form is refused.
    no_token = await client.post("/halls/sunny/password-resets", data={"login": "wang"})
    assert no_token.status_code == 403
    async with httpx.AsyncClient(base_url=server.url) as resident:
        assert (await browser_login(resident, "wang", NEW_PASSWORD)).status_code == 303
        assert (await resident.get("/halls/sunny/password-resets")).status_code == 403


async def test_guessing_codes_is_throttled(server, client) -> None:  # type: ignore[no-untyped-def]
    statuses = []
    for n in range(7):
        response = await client.post(
            "/api/v1/auth/password-reset", json={"code": f"WRONG{n:07d}", "password": NEW_PASSWORD}
        )
        statuses.append(response.status_code)
    assert statuses[0] == 410 and statuses[-1] == 429


async def test_changing_ones_password_signs_out_everywhere_else(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    token = await bearer(client, "wang")
    async with httpx.AsyncClient(base_url=server.url) as other:
        await browser_login(other, "wang")
        await browser_login(client, "wang")
        page = await client.get("/settings/password", headers={"accept-language": "zh-CN"})
        assert page.status_code == 200 and "修改密码" in page.text
        csrf = csrf_from(page.text)
        wrong = await client.post(
            "/settings/password",
            data={
                "csrf_token": csrf,
                "current_password": "not it at all",
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        )
        assert wrong.status_code == 422 and 'role="alert"' in wrong.text
        differ = await client.post(
            "/settings/password",
            data={
                "csrf_token": csrf,
                "current_password": TEST_PASSWORD,
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD + "x",
            },
        )
        assert differ.status_code == 422
        done = await client.post(
            "/settings/password",
            data={
                "csrf_token": csrf,
                "current_password": TEST_PASSWORD,
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        )
        assert done.status_code == 303
        assert (await client.get(done.headers["location"])).status_code == 200  # this session stays
        assert (await other.get("/settings/password")).status_code in (303, 401)  # the other one ended
    assert (await client.get("/api/v1/halls", headers=token)).status_code == 401  # and the token
    async with httpx.AsyncClient(base_url=server.url) as fresh:
        await bearer(fresh, "wang", NEW_PASSWORD)
    assert await AuditEntry.filter(action="auth.password_changed").count() == 1


async def test_changing_the_password_through_the_api_keeps_the_calling_token(server, client) -> None:  # type: ignore[no-untyped-def]
    await _hall()
    kept, other = await bearer(client, "wang"), await bearer(client, "wang")
    wrong = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "nope nope", "password": NEW_PASSWORD},
        headers=kept,
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
    ok = await client.post(
        "/api/v1/auth/password",
        json={"current_password": TEST_PASSWORD, "password": NEW_PASSWORD},
        headers=kept,
    )
    assert ok.status_code == 204
    assert (await client.get("/api/v1/halls", headers=kept)).status_code == 200
    assert (await client.get("/api/v1/halls", headers=other)).status_code == 401
    anonymous = await client.post("/api/v1/auth/password", json={"current_password": "x", "password": "y"})
    assert anonymous.status_code == 401

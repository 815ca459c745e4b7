"""Helpers the tests share: users, tokens, browser-style sign-in."""

from __future__ import annotations

import re

import httpx

from agora.accounts.passwords import Passwords

TEST_PASSWORD = "correct horse battery"
TEST_PASSWORDS = Passwords("test", 4)


async def make_user(login: str, *, admin: bool = False, name: str | None = None):  # type: ignore[no-untyped-def]
    from agora.accounts.services import create_user

    return await create_user(TEST_PASSWORDS, login, TEST_PASSWORD, name or login, is_admin=admin)


async def bearer(client: httpx.AsyncClient, login: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def browser_login(
    client: httpx.AsyncClient, login: str, password: str = TEST_PASSWORD
) -> httpx.Response:
    page = await client.get("/login")
    token = csrf_from(page.text)
    return await client.post("/login", data={"login": login, "password": password, "csrf_token": token})

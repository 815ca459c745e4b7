"""Helpers the tests share: users, tokens, browser-style sign-in."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import httpx
import jsonschema_rs

from agora.accounts.passwords import Passwords
from agora.api_schema import build_schema

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


# --- every API response the tests receive is checked against the OpenAPI description -------------


class SchemaMismatch(AssertionError):
    """An API response that the OpenAPI description (`agora/api_schema.py`) does not allow."""


class ApiSchema:
    """`agora.api_schema.build_schema()` as a response checker, the way Zulip's test client checks
    every response against its OpenAPI file: an undescribed status code, or a JSON body outside the
    described schema, fails the test that received it."""

    def __init__(self) -> None:
        schema = build_schema()
        self._components = schema.get("components", {})
        self._routes: list[tuple[re.Pattern[str], dict[str, Any]]] = []
        # Literal paths before templated ones: /ballots/mine is not /ballots/{x}.
        for path, item in sorted(schema["paths"].items(), key=lambda pair: pair[0].count("{")):
            pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
            self._routes.append((pattern, item))
        self._validators: dict[int, Any] = {}

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for pattern, item in self._routes:
            if pattern.match(path):
                return item.get(method.lower())
        return None

    def _validator(self, schema: dict[str, Any]) -> Any:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = jsonschema_rs.Draft202012Validator(
                {**schema, "components": self._components}
            )
        return self._validators[key]

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        if not path.startswith("/api/v1/"):
            return
        operation = self.operation(method, path)
        if operation is None:
            return  # a path the API does not serve: the app's 404 is checked by the tests that ask
        responses = operation["responses"]
        described = responses.get(str(status)) or responses.get("default")
        if described is None:
            raise SchemaMismatch(f"{method} {path} answered {status}, which its description does not list")
        content = described.get("content")
        if not content or not content_type.startswith("application/json"):
            return
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return
        errors = [str(e) for e in self._validator(schema).iter_errors(json.loads(body))]
        if errors:
            raise SchemaMismatch(f"{method} {path} {status}: " + "; ".join(errors[:3]))


_API_SCHEMA: ApiSchema | None = None


def process_alive(pid: int) -> bool:
    """The process runs (a zombie, ended but not yet reaped by its parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def process_gone(pid: int, seconds: float = 5) -> bool:
    """The process has ended within `seconds` (polled every 0.1 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        await asyncio.sleep(0.1)
    return not process_alive(pid)


async def check_response(response: httpx.Response) -> None:
    """An httpx response hook: the body is read, then checked against the OpenAPI description."""
    global _API_SCHEMA
    if _API_SCHEMA is None:
        _API_SCHEMA = ApiSchema()
    await response.aread()
    request = response.request
    _API_SCHEMA.check(
        request.method, request.url.path, response.status_code, response.headers.get("content-type", ""),
        response.content,
    )

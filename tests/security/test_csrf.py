"""CSRF: every state-changing route, enumerated from the router, refuses a request without the token.

Pages need the form's CSRF token (or the X-CSRF-Token header htmx sends); the JSON API refuses the
session cookie for unsafe methods altogether, so a cross-site form can drive neither.
"""

from __future__ import annotations

import re

import httpx
from starlette.routing import Route

from tests.support import browser_login, make_user

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) & UNSAFE):
                path = re.sub(r"\{[^}:]+(:[^}]+)?\}", "1", route.path)
                found.append((method, path))
    return found


async def test_every_unsafe_page_route_needs_the_csrf_token(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await make_user("victim", admin=True)
    await browser_login(client, "victim")
    routes = [(m, p) for m, p in unsafe_routes(server.app) if not p.startswith("/api/")]
    assert routes, "the router has unsafe page routes"
    for method, path in routes:
        response = await client.request(
            method, path, data={"csrf_token": "forged"}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403, (method, path, response.status_code)
        bare = await client.request(method, path)
        assert bare.status_code == 403, (method, path, bare.status_code)


async def test_every_unsafe_api_route_refuses_the_session_cookie(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await make_user("victim2", admin=True)
    await browser_login(client, "victim2")
    routes = [(m, p) for m, p in unsafe_routes(server.app) if p.startswith("/api/")]
    assert routes
    for method, path in routes:
        response = await client.request(method, path, json={})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "token_required"


async def test_the_session_still_works_with_the_right_token(client: httpx.AsyncClient) -> None:
    """The refusals above are about the token, not a broken session: with it, the same request passes."""
    from tests.support import csrf_from

    await make_user("victim3")
    await browser_login(client, "victim3")
    page = await client.get("/login?next=/halls", follow_redirects=True)
    token = csrf_from(page.text)
    response = await client.post("/settings/text-size", data={"csrf_token": token, "size": "large"})
    assert response.status_code == 303

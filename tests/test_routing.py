"""The prefix router (agora.web.routing) picks the route Starlette's whole scan would pick."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Match, Route, Router, WebSocketRoute

from agora.app import create_app
from agora.settings import Settings
from agora.web.routing import PrefixRouter, literal_prefix
from tests.support import csrf_from


def _example_paths(route: BaseRoute) -> list[str]:
    """Concrete paths for a route's pattern: each parameter as a number, a word and, for `path`, two
    segments; and the same with a trailing slash."""
    path = getattr(route, "path", "")
    out = []
    for value, path_value in (("1", "a/b.css"), ("x", "x"), ("12345", "deep/er/file")):
        concrete = re.sub(r"\{[^}:]+:path\}", path_value, path)
        concrete = re.sub(r"\{[^}]+\}", value, concrete)
        out += [concrete, concrete + "/"]
    return out


def _scope(path: str, method: str, kind: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": kind, "path": path, "root_path": "", "headers": [], "query_string": b""}
    if kind == "http":
        scope["method"] = method
    return scope


def _linear(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[BaseRoute | None, BaseRoute | None]:
    """Starlette's order: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return route, None
        if match is Match.PARTIAL and partial is None:
            partial = route
    return None, partial


def test_every_route_is_found_among_the_candidates_of_its_paths(settings: Settings) -> None:
    app = create_app(settings)
    router = app.router
    assert isinstance(router, PrefixRouter)
    routes = list(router.routes)
    paths = {p for route in routes for p in _example_paths(route)}
    paths |= {"/", "/nowhere", "/api", "/api/v1", "/api/v1/", "//", "/static", "/proposals/1/share/x"}
    checked = 0
    for path in sorted(paths):
        for kind, methods in (("http", ("GET", "POST", "PUT", "PATCH", "DELETE")), ("websocket", ("",))):
            for method in methods:
                scope = _scope(path, method, kind)
                expected = _linear(routes, scope)
                candidates = list(router.candidates(path))
                assert _linear(candidates, scope) == expected, (path, method, kind)
                assert candidates == [r for r in routes if r in candidates], "order kept"
                checked += expected != (None, None)
    assert checked > len(routes)  # every route matched at least once, most by several methods


@pytest.mark.parametrize(
    ("route", "prefix"),
    [
        (Route("/", lambda r: None), ("",)),
        (Route("/api/v1/proposals/{id}/ballots", lambda r: None), ("api", "v1", "proposals")),
        (Route("/static/{digest}/{path:path}", lambda r: None), ("static",)),
        (Route("/{slug}", lambda r: None), ()),
        (WebSocketRoute("/ws/halls/{slug}", lambda w: None), ("ws", "halls")),
    ],
)
def test_literal_prefix_stops_at_the_first_parameter(route: BaseRoute, prefix: tuple[str, ...]) -> None:
    assert literal_prefix(route) == prefix


def test_a_route_added_later_is_filed_too() -> None:
    router = PrefixRouter([Route("/a/{x}", lambda r: None)])
    late = Route("/b", lambda r: None)
    router.routes.append(late)
    router._root = router._index()
    assert late in router.candidates("/b")
    assert late not in router.candidates("/a/1")
    assert isinstance(router, Router)


async def test_methods_trailing_slashes_and_misses_answer_as_before(client: httpx.AsyncClient) -> None:
    """405 for a known path with a method it does not take, Starlette's redirect for a trailing
    slash, and the 404 page for a path no route takes."""
    token = csrf_from((await client.get("/login")).text)
    wrong_method = await client.delete("/healthz", headers={"X-CSRF-Token": token})
    assert wrong_method.status_code == 405
    slash = await client.get("/healthz/")
    assert slash.status_code == 307 and slash.headers["location"].endswith("/healthz")
    assert (await client.get("/no/such/path")).status_code == 404
    assert (await client.get("/healthz")).json() == {"ok": True}

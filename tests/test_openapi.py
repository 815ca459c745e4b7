"""`/api/openapi.json` describes exactly the JSON API the app serves."""

from __future__ import annotations

import re

import httpx
from starlette.routing import Route


def _api_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    served = set()
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1/"):
            path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
            for method in route.methods or ():
                if method != "HEAD":
                    served.add((path, method.lower()))
    return served


async def test_openapi_lists_every_served_api_route_and_no_other(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    described = {
        (
            re.sub(
                r"\{\w+\}", lambda m: "{" + ("id" if m.group(0) == "{id}" else m.group(0)[1:-1]) + "}", path
            ),
            m,
        )
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for m in item
    }
    served = {
        (re.sub(r"\{(proposal_id|comment_id|pid|cid)\}", "{id}", p), m) for p, m in _api_routes(server.app)
    }
    assert served - described == set(), "served but not described"
    assert described - served == set(), "described but not served"


def _bare(node: object, where: str) -> list[str]:
    """Every object or array schema under `node` that says nothing of what it holds."""
    found: list[str] = []
    if isinstance(node, dict):
        kinds = node.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        says = {"properties", "items", "additionalProperties", "anyOf", "oneOf", "allOf", "$ref"}
        if {"object", "array"} & set(kinds) and not says & set(node):
            found.append(where)
        for key, value in node.items():
            found += _bare(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _bare(value, f"{where}[{i}]")
    return found


def test_no_schema_is_a_bare_object_or_array() -> None:
    """A bare `{"type": "object"}` lets any response through the test client's check: each body and
    response says what it holds."""
    from agora.api_schema import build_schema

    assert _bare(build_schema()["paths"], "paths") == []

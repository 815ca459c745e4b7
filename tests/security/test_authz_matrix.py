"""Every route × every role × own and another compound, against `agora.security.authz_table.TABLE`.

The router is enumerated: a route missing from the table fails the test, so a new route cannot ship
without naming the permission that decides who may use it. The roles each row allows are derived from
that permission's predicate (`agora.<feature>.permissions`), so these calls check that the services
enforce what the predicates say.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx
import pytest
from starlette.routing import Route, WebSocketRoute
from websockets.exceptions import InvalidStatus

from agora.security.authz_table import ANONYMOUS, ROLES, TABLE
from tests.ballots.factories import close_now, set_roles, voting_proposal
from tests.live.factories import open_socket
from tests.reliability.procs import owner_tokens
from tests.rooms.factories import admin_headers, compound_with_roll

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def router_entries(app: Any) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
        elif isinstance(route, WebSocketRoute):
            found.append(("WS", route.path))
    return found


async def test_every_route_is_in_the_table(server) -> None:  # type: ignore[no-untyped-def]
    entries = set(router_entries(server.app))
    missing = sorted(entries - set(TABLE))
    stale = sorted(set(TABLE) - entries)
    assert not missing, f"routes naming no permission in agora/security/authz_table.py: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


class World:
    def __init__(self) -> None:
        self.headers: dict[str, dict[str, dict[str, str]]] = {}  # scope -> role -> headers (own compound)
        self.objects: dict[str, dict[str, Any]] = {}


async def build(client: httpx.AsyncClient) -> World:
    world = World()
    admin = await admin_headers(client, "mx-admin")
    headers: dict[str, dict[str, str]] = {ANONYMOUS: {}, "admin": admin}
    for scope, slug, community in (("own", "sunny", "c1"), ("foreign", "other", "c2")):
        compound = await compound_with_roll(client, slug=slug, community=community, admin=admin)
        closed = await voting_proposal(compound)
        await close_now(closed)
        voting = await voting_proposal(compound)
        if scope == "own":
            headers["committee"] = await bearer_of(client, f"{slug}-committee")
            for role, granted in (("resident", "member"), ("tenant", "tenant"), ("moderator", "moderator"),
                                  ("canvasser", "canvasser")):  # fmt: skip
                headers[role] = await set_roles(compound, f"mx-{role}", granted)
            # Community staff: appointed in the compound's community, no role in the compound.
            headers["staff"] = await set_roles(compound, "mx-staff", "staff", hall=community)
            tokens = await owner_tokens(slug, ["A", "B"], prefix="mx")
            headers["owner"], headers["coowner"] = tokens["A"], tokens["B"]
            author = headers["resident"]
        else:
            author = await set_roles(compound, "mx-foreign-resident", "member")
        response = await client.post(
            f"/api/v1/proposals/{voting.id}/comments",
            json={"body": "hello", "stance": "neutral"},
            headers=author,
        )
        assert response.status_code == 201, response.text
        # A public concern raised by a member who holds none of the matrix's roles.
        raiser = await set_roles(compound, f"mx-{scope}-raiser", "member")
        raised = await client.post(
            f"/api/v1/halls/{slug}/concerns",
            json={"title": "楼道灯不亮", "body": "晚上很黑", "category": "livelihood"},
            headers=raiser,
        )
        assert raised.status_code == 201, raised.text
        world.objects[scope] = {
            "slug": slug, "voting": voting.id, "closed": closed.id, "comment": response.json()["id"],
            "concern": raised.json()["id"],
        }  # fmt: skip
    world.headers = {"own": headers}
    return world


async def bearer_of(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    from tests.support import bearer

    return await bearer(client, login)


CLOSED_ROUTES = (
    "/result",
    "/ledger",
    "/resolution",
    "/resolution.pdf",
    "/resolution/certify",
    "/resolution/corrections",
    "/resolution/finalize",
    "/resolution/objections",
    "/objections",
)


def concrete(path: str, objects: dict[str, Any]) -> str:
    if "{proposal_id:int}" in path:
        tail = path.split("{proposal_id:int}", 1)[1]
        which = objects["closed"] if tail in CLOSED_ROUTES else objects["voting"]
        path = path.replace("{proposal_id:int}", str(which))
    if path.startswith(("/comments/", "/api/v1/comments/")):
        path = path.replace("{id}", str(objects["comment"]))
    if path.startswith(("/concerns/", "/api/v1/concerns/")):
        path = path.replace("{id}", str(objects["concern"]))
    path = path.replace("{id}", str(objects["voting"])).replace("{photo_id:int}", "1")
    path = path.replace("{mid:int}", "1").replace("{qid:int}", "1")  # an implementation's milestone, quote
    path = path.replace("{seq:int}", "1")  # a ledger entry (a paper ballot to undo)
    path = path.replace("{slug}", objects["slug"]).replace("{login}", "mx-resident")
    return path.replace("{digest}/{path:path}", "0/x.css")


# Other-compound checks for the roles that hold the most in their own compound (every role of the
# own-compound pass is checked there; this keeps the suite fast on two cores).
FOREIGN_ROLES = ("anonymous", "resident", "owner", "moderator", "committee", "canvasser", "admin", "staff")
# Bodies that get past validation, so a refusal is about the role and not the input.
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/proposals/{proposal_id:int}/ballots": {"choice": "yes"},
    "/proposals/{proposal_id:int}/vote": {"choice": "yes"},
    "/proposals/{proposal_id:int}/vote/confirm": {"choice": "yes"},
}


def ordered(entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reads first, then writes; revoking one's own token last of all."""
    return sorted(entries, key=lambda e: (e[0] in UNSAFE, e == ("DELETE", "/api/v1/auth/token"), e[1]))


def judge(
    failures: dict[str, list[str]], rule: Any, method: str, pattern: str, scope: str, role: str, response: Any
) -> None:  # noqa: E501
    api = pattern.startswith("/api/")
    status = response.status_code
    where = f"{method} {response.request.url.path} as {role} ({scope}): {status} {response.text[:70]!r}"
    if status >= 500:
        failures["5xx"].append(where)
        return
    if role == ANONYMOUS:
        if role not in rule.allow:
            to_login = status == 303 and response.headers.get("location", "").startswith("/login")
            csrf = method in UNSAFE and not api and status == 403  # no session, no token
            if not (status == 401 or (not api and (to_login or csrf))):
                failures["anonymous not refused"].append(where)
        return
    if scope == "foreign":
        if rule.scoped and role != "admin" and status != 404:
            failures["other compound not 404"].append(where)
        return
    if rule.self_only:
        return
    if role in rule.allow:
        if status in (401, 403):
            failures["allowed role refused"].append(where)
    elif status not in (403, 404):
        failures["denied role not refused"].append(where)


async def test_every_route_for_every_role_in_own_and_other_compound(
    client: httpx.AsyncClient, server
) -> None:  # type: ignore[no-untyped-def]
    world = await build(client)
    headers = world.headers["own"]
    failures: dict[str, list[str]] = defaultdict(list)

    async def one(method: str, pattern: str, scope: str, role: str) -> tuple[str, str, str, str, Any]:
        api = pattern.startswith("/api/")
        path = concrete(pattern, world.objects[scope])
        kwargs: dict[str, Any] = {"headers": headers[role]}
        if method in UNSAFE:
            kwargs["json" if api else "data"] = BODIES.get(pattern, {})
        return method, pattern, scope, role, await client.request(method, path, **kwargs)

    for method, pattern in ordered([e for e in router_entries(server.app) if e[0] != "WS"]):
        calls = []
        for scope in ("own", "foreign"):
            for role in ROLES:
                if scope == "foreign" and role not in FOREIGN_ROLES:
                    continue
                if (method, pattern) == ("DELETE", "/api/v1/auth/token") and role != ANONYMOUS:
                    continue  # would revoke the role's own token (covered in tests/accounts)
                calls.append(one(method, pattern, scope, role))
        # The roles of one route at once: reads and refusals do not depend on each other.
        for method, pattern, scope, role, response in await asyncio.gather(*calls):
            judge(failures, TABLE[(method, pattern)], method, pattern, scope, role, response)
    assert not failures, "\n".join(f"{kind}:\n  " + "\n  ".join(items) for kind, items in failures.items())


async def test_the_live_socket_for_every_role_in_own_and_other_compound(
    server, client: httpx.AsyncClient
) -> None:  # type: ignore[no-untyped-def]
    world = await build(client)
    for scope in ("own", "foreign"):
        slug = world.objects[scope]["slug"]
        for role, headers in world.headers["own"].items():
            # Community staff read figures and lists, not the compound's live hall.
            allowed = role not in (ANONYMOUS, "staff") and (scope == "own" or role == "admin")
            try:
                async with open_socket(server, slug, headers) as ws:
                    await ws.send('{"type":"ping"}')
                    opened = True
            except InvalidStatus as refused:
                assert refused.response.status_code == 403
                opened = False
            assert opened == allowed, (role, scope)
    # A foreign Origin is refused even for a member.
    with pytest.raises(InvalidStatus):
        async with open_socket(server, "sunny", world.headers["own"]["owner"], origin="https://evil.example"):
            pass

"""A router that only tries the routes a path can match.

Starlette's router tries every route in order, a regular expression each, until one matches: agora
has close to 200 routes, so a ballot or a proposal page paid about 80 failed matches before its own
(3% of a page's CPU). Every agora route starts with literal segments (`/api/v1/proposals/{id}/…`),
and a route whose literal segments differ from the request's cannot match it. `PrefixRouter` files
each route under its literal leading segments in a tree and, per request, tries only the routes filed
along the request's own path, in their original order: the same route wins, with the same partial
(405) match. A path nothing matches falls back to Starlette's whole scan, so trailing-slash redirects
and the 404 are Starlette's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route, Router, WebSocketRoute, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket


def literal_prefix(route: BaseRoute) -> tuple[str, ...]:
    """The path segments before the first one with a parameter; () when unknown (tried for every path)."""
    if not isinstance(route, Route | WebSocketRoute | Mount):
        return ()
    path = route.path
    if not path.startswith("/"):
        return ()
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if "{" in segment or "}" in segment:
            break
        segments.append(segment)
    if isinstance(route, Mount):
        # A mount matches its path and anything below: its last literal segment is complete, but
        # `Mount("")` (path "") has no prefix at all.
        return tuple(s for s in segments if s)
    return tuple(segments)


class _Node:
    __slots__ = ("candidates", "children", "own")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.own: list[tuple[int, BaseRoute]] = []
        self.candidates: tuple[BaseRoute, ...] = ()


class PrefixRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._root = self._index()

    def _index(self) -> _Node:
        root = _Node()
        for order, route in enumerate(self.routes):
            node = root
            for segment in literal_prefix(route):
                node = node.children.setdefault(segment, _Node())
            node.own.append((order, route))

        def fill(node: _Node, inherited: list[tuple[int, BaseRoute]]) -> None:
            mine = sorted([*inherited, *node.own], key=lambda pair: pair[0])
            node.candidates = tuple(route for _order, route in mine)
            for child in node.children.values():
                fill(child, mine)

        fill(root, [])
        self._indexed = len(self.routes)
        return root

    def candidates(self, route_path: str) -> tuple[BaseRoute, ...]:
        """The routes that may match `route_path`, in the router's order."""
        node = self._root
        for segment in route_path.split("/")[1:]:
            child = node.children.get(segment)
            if child is None:
                break
            node = child
        return node.candidates

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await super().app(scope, receive, send)
            return
        if len(self.routes) != self._indexed:  # a route added after start (tests do): file it too
            self._root = self._index()
        if "router" not in scope:
            scope["router"] = self
        partial = None
        partial_scope: Any = {}
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # nothing matched: Starlette's redirect or 404


class SocketLane:
    """In front of the HTTP middleware: a websocket one of `routes` matches goes straight to its
    endpoint, behind `middleware` only (agora's: request meta and language). Everything else, including a
    websocket none of them matches (refused by the router as before), goes on to `app`.

    A live socket stays open for hours and uses nothing the layers in between are for (compression,
    error pages, exception handlers), yet each of them kept a coroutine, closures and a wrapper around
    `send` alive for as long as it was open, objects every garbage collection walks: about 4% of the
    worker's CPU a connection when 5,000 phones connect (docs/bench.md)."""

    def __init__(
        self, app: ASGIApp, routes: Sequence[WebSocketRoute], middleware: Callable[[ASGIApp], ASGIApp]
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.sockets = middleware(_endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            for route in self.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["route"] = route
                    scope.update(child_scope)
                    await self.sockets(scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    await scope["endpoint"](WebSocket(scope, receive, send))

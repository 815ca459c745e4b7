"""Halls, members and live-socket helpers for the live tests (rows made directly: fast and explicit)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect

from agora.accounts.services import issue_token
from agora.rooms.models import Hall, MemberRole
from tests.support import make_user


async def compound(slug: str, *, buildings: tuple[str, ...] = ()) -> Hall:
    hall = await Hall.create(kind="compound", slug=slug, name=f"<b>{slug}</b>")
    hall.compound_id = hall.id
    await hall.save(update_fields=["compound_id"])
    for label in buildings:
        await Hall.create(
            kind="building",
            slug=f"{slug}-b{label}",
            name=label,
            parent=hall,
            compound_id=hall.id,
            label=label,
        )
    return hall


async def member(login: str, hall: Hall | None, role: str = "member") -> dict[str, str]:
    """A user holding `role` in `hall` (none when `hall` is None); their bearer headers."""
    user = await make_user(login)
    if hall is not None:
        await MemberRole.create(user=user, hall=hall, role=role)
    raw, _expires = await issue_token(user, timedelta(days=1))
    return {"Authorization": f"Bearer {raw}"}


def hall_url(server: Any, slug: str, **params: Any) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{server.ws_url}/ws/halls/{slug}{query}"


def open_socket(
    server: Any, slug: str, headers: dict[str, str] | None = None, *, origin: str | None = None, **params: Any
) -> Any:
    """`async with open_socket(...) as ws:`: a websockets client (JSON unless format= is given)."""
    params.setdefault("format", "json")
    if params["format"] is None:
        params.pop("format")
    return connect(
        hall_url(server, slug, **params),
        additional_headers=headers or {},
        origin=origin,  # type: ignore[arg-type]
        max_size=None,
        compression=None,
        open_timeout=5,
        close_timeout=2,
    )


async def receive(ws: ClientConnection, timeout: float = 3.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def next_of(ws: ClientConnection, type: str, timeout: float = 3.0) -> dict[str, Any]:
    """The next message of this type, skipping others (presence, pong)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await receive(ws, max(0.01, deadline - loop.time()))
        if message["type"] == type:
            return message


async def collect(ws: ClientConnection, type: str | None, quiet: float = 0.6) -> list[dict[str, Any]]:
    """Every message of this type (any type: None) until the socket has been quiet for `quiet` seconds."""
    found: list[dict[str, Any]] = []
    while True:
        try:
            message = await receive(ws, quiet)
        except TimeoutError:
            return found
        if type is None or message["type"] == type:
            found.append(message)


async def presence_reaches(ws: ClientConnection, count: int, timeout: float = 5.0) -> None:
    """Wait until a presence message says `count` are here."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await next_of(ws, "presence", max(0.01, deadline - loop.time())))["count"] != count:
        pass

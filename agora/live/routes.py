"""`/ws/halls/{slug}`: a hall's live feed, for its members only (protocol: docs/live.md).

Every refusal happens before the upgrade is accepted and looks the same (HTTP 403, empty body): a
foreign Origin, no valid session or token, an unknown hall and another compound's hall cannot be
told apart. A member over their socket cap is accepted and closed at once with 1013 (try later).
"""

from __future__ import annotations

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from agora.live import connection, services
from agora.live.connection import CLOSE_TRY_LATER, Client
from agora.live.hub import Hub, current_hub
from agora.web.cookies import SESSION_COOKIE
from agora.web.middleware import choose_locale

MAX_SOCKETS_PER_USER = 20  # per process


def origin_allowed(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # non-browser clients send none; they must still authenticate
    allowed = set(websocket.app.state.settings.allowed_origins)
    if not allowed:  # no configured origin: the site is wherever the request was addressed
        host = websocket.headers.get("host", "")
        allowed = {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") in allowed


def _bearer(websocket: WebSocket) -> str | None:
    authorization = websocket.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


async def _refuse(websocket: WebSocket) -> None:
    """Close before accepting: the client sees HTTP 403 with an empty body, whatever the reason."""
    await websocket.close(code=1008)


async def hall_socket(websocket: WebSocket) -> None:
    hub = current_hub()
    admitted = await _admit(websocket) if hub is not None and origin_allowed(websocket) else None
    if hub is None or admitted is None:
        await _refuse(websocket)
        return
    credential, hall_id, locale = admitted
    if not hub.reserve(credential.user_id, MAX_SOCKETS_PER_USER):
        await websocket.accept()  # a member, so no secret to keep: say "try again later"
        await websocket.close(code=CLOSE_TRY_LATER)
        return
    try:
        await _serve(websocket, hub, credential, hall_id, locale)
    finally:
        hub.release(credential.user_id)


async def _admit(websocket: WebSocket) -> tuple[services.Credential, int, str] | None:
    """Who is connecting, to which hall, in which language; None when they may not. Only these few
    values outlive the handshake (not the user and hall rows: a hall may hold thousands of sockets)."""
    admitted = await services.admit(
        _bearer(websocket),
        websocket.cookies.get(SESSION_COOKIE),
        websocket.path_params["slug"],
        websocket.app.state.settings,
    )
    if admitted is None:
        return None
    query = websocket.scope.get("query_string", b"").decode()
    return admitted.credential, admitted.hall_id, choose_locale(websocket.headers, query, admitted)


async def _serve(
    websocket: WebSocket, hub: Hub, credential: services.Credential, hall_id: int, locale: str
) -> None:
    query = websocket.query_params
    fmt = "json" if query.get("format") == "json" else "html"
    since = query.get("since", "")
    client = Client(
        websocket=websocket,
        user_id=credential.user_id,
        hall_id=hall_id,
        fmt=fmt,
        locale=locale,
        credential=credential.digest[:32],
    )
    await websocket.accept()
    if since.isdecimal():
        client.hold()
    hub.join(client)
    try:
        if since.isdecimal():
            await _catch_up(hub, client, int(since))

        async def still_allowed() -> bool:
            return await services.still_allowed(credential, hall_id, websocket.app.state.settings)

        await connection.run(client, still_allowed)
    finally:
        hub.leave(client)


async def _catch_up(hub: Hub, client: Client, since: int) -> None:
    """Replay what was stored after `since`, then what arrived meanwhile, each exactly once."""
    missed = await services.catch_up(client.hall_id, since)
    if missed is None:
        # Too much to replay: the client refetches the current state (a page reloads); live
        # messages continue on this connection.
        reload = {"type": "reload", "seq": None, "hall": client.hall_id}
        held, client.held = client.held, None
        text = hub.serialize(reload, client.fmt, client.locale)
        if text:
            client.offer(text)
        client.held = held
        client.release(set())
        return
    held, client.held = client.held, None  # replay first, then what arrived meanwhile
    for message in missed:
        text = hub.serialize(message, client.fmt, client.locale)
        if text:
            client.offer(text, message["seq"])
    client.held = held
    client.release({message["seq"] for message in missed})


routes = [WebSocketRoute("/ws/halls/{slug}", hall_socket)]

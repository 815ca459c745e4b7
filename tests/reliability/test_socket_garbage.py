"""A closed live socket is freed as soon as it closes, not by the next full garbage collection.

uvicorn's HTTP protocol and its parser hold each other, as do the `websockets` connection and its
parsing generator, and agora's hook on the socket's end held the socket: every closed socket left
about seventy objects in reference cycles. Only a full collection frees those, and the next one came
in the middle of the next morning's storm, walking the last morning's dead sockets with the living
(1.1-1.3 s of the worker's time in a 5,000-phone storm after one, 0.36 s after none; docs/bench.md).
`agora serve`'s protocols break the cycles when the connection ends (agora.web.serving)."""

from __future__ import annotations

import asyncio
import gc

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.server import ServerProtocol

from agora.web import serving
from tests.live.factories import compound, member, next_of, open_socket

SERVER_SIDE = (HttpToolsProtocol, WebSocketsSansIOProtocol, ServerProtocol)


def server_protocols() -> list[object]:
    """The server's protocol objects still in memory (without collecting: a cycle stays listed)."""
    return [o for o in gc.get_objects() if issubclass(type(o), SERVER_SIDE)]  # type(): weak proxies too


async def test_closed_sockets_leave_nothing_behind(server) -> None:  # type: ignore[no-untyped-def]
    assert serving.uvicorn_options()["ws"] is serving.AgoraWebSocketProtocol  # the test server's too
    hall = await compound("sunny")
    headers = await member("wang", hall)
    gc.collect()  # whatever earlier tests left
    assert server_protocols() == []
    for closing in ("client", "server"):
        for _ in range(5):
            async with open_socket(server, "sunny", headers) as ws:
                await next_of(ws, "presence")
                if closing == "server":
                    await ws.send("not json")  # the server closes this one (1003)
                    await ws.wait_closed()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3
    while server_protocols() and loop.time() < deadline:  # the server hears of each end in a moment
        await asyncio.sleep(0.05)
    assert server_protocols() == []

"""One log line for each websocket under `agora serve`'s protocols: uvicorn's, with the client's address
and the path; not the `websockets` library's address-less "connection open" and "connection closed"
(agora.web.serving.AgoraWebSocketProtocol), whose warnings and errors still reach the log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from agora.web import serving
from tests.live.factories import compound, member, next_of, open_socket


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelno, record.getMessage()))


@pytest.fixture
def server_log() -> Iterator[Lines]:
    """What reaches uvicorn's error log handlers, at INFO (the test server logs warnings only)."""
    log = logging.getLogger("uvicorn.error")
    lines, level = Lines(), log.level
    log.addHandler(lines)
    log.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        log.removeHandler(lines)
        log.setLevel(level)


async def test_a_websocket_is_logged_once_with_its_address_and_path(server, server_log: Lines) -> None:  # type: ignore[no-untyped-def]
    await compound("sunny")
    headers = await member("wang", await compound("moon"))
    async with open_socket(server, "moon", headers) as ws:
        await next_of(ws, "presence")
    refused = open_socket(server, "sunny", headers)  # another compound's hall: 403
    with pytest.raises(Exception, match="403"):
        async with refused:
            pass
    await asyncio.sleep(0.2)  # the server sees the close
    messages = [message for _name, _level, message in server_log.lines]
    accepted = [m for m in messages if '"WebSocket /ws/halls/moon?format=json" [accepted]' in m]
    assert len(accepted) == 1 and accepted[0].startswith("127.0.0.1:"), messages
    assert any('"WebSocket /ws/halls/sunny?format=json" 403' in m for m in messages), messages
    assert not [m for m in messages if m.startswith("connection ")], messages


def test_the_librarys_warnings_and_errors_still_reach_the_log(server_log: Lines) -> None:
    serving.WEBSOCKETS_LOG.info("connection open")
    serving.WEBSOCKETS_LOG.debug("< TEXT '{}' [2 bytes]")
    serving.WEBSOCKETS_LOG.warning("a warning")
    serving.WEBSOCKETS_LOG.error("opening handshake failed")
    assert server_log.lines == [
        ("uvicorn.error", logging.WARNING, "a warning"),
        ("uvicorn.error", logging.ERROR, "opening handshake failed"),
    ]

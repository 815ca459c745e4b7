"""How agora is served: uvicorn's limits and timeouts, the file-descriptor limit, and log redaction.

`agora serve` (agora.cli) takes its uvicorn options from `uvicorn_options`; the test server fixture
and `make soak` use the same numbers. Each limit is listed with its attack in docs/security.md.
"""

from __future__ import annotations

import asyncio
import gc
import http
import logging
import re
import resource
import sys
from dataclasses import dataclass
from typing import Any

import uvicorn.logging
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# --- log redaction ------------------------------------------------------------------------------

SECRET_PARAMS = ("receipt", "code", "invite", "token", "password", "key", "idempotency_key")
_SECRET_QUERY = re.compile(r"(?i)([?&#](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"']*")


def redact(text: str) -> str:
    """`?receipt=ABC&x=1` → `?receipt=[redacted]&x=1`: codes never reach a log line."""
    if "=" not in text:  # the pattern needs one: most lines (every API path) skip the regex
        return text
    return _SECRET_QUERY.sub(r"\1[redacted]", text)


def _has_secret(value: object) -> bool:
    return isinstance(value, str) and "=" in value and _SECRET_QUERY.search(value) is not None


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn's access log passes the path with its
    query as an argument) so no receipt, invite code or token is written by any handler.
    A record with nothing to redact is left as it is (no new tuple): this runs on every request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            for value in args:
                if _has_secret(value):
                    record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
                    break
        elif isinstance(args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        return True


ACCESS_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
_STATUS_LINES: dict[int, str] = {}


def _status_line(code: int) -> str:
    """`201 Created`, as uvicorn's access formatter writes it, looked up once per code."""
    line = _STATUS_LINES.get(code)
    if line is None:
        try:
            phrase = http.HTTPStatus(code).phrase
        except ValueError:
            phrase = ""
        line = _STATUS_LINES[code] = f"{code} {phrase}"
    return line


class AccessFormatter(uvicorn.logging.AccessFormatter):
    """uvicorn's access line, byte for byte, without its per-line copy of the record and status
    lookup when there are no colours and the format is uvicorn's own: an access line is written for
    every request, and on a voting day's loop it was a tenth of each ballot's time
    (docs/bench.md). With colours or another format, uvicorn's own code runs."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        args = record.args
        if self.use_colors or self._style._fmt != ACCESS_FORMAT or not (
            isinstance(args, tuple) and len(args) == 5
        ):
            return super().formatMessage(record)
        client_addr, method, full_path, http_version, status_code = args
        level = record.levelname
        return (
            f'{level}:{" " * (8 - len(level))} {client_addr} - "{method} {full_path} HTTP/{http_version}" '
            f"{_status_line(int(status_code))}"  # type: ignore[call-overload]
        )


REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "agora")


def install_log_redaction() -> None:
    """Attach the filter to uvicorn's and agora's loggers (once; safe to call again)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with the redaction filter on its handlers too
    (a filter on a logger does not see records propagated from its children)."""
    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["filters"] = {"redact": {"()": "agora.web.serving.RedactSecrets"}}
    config["formatters"] = {
        **LOGGING_CONFIG["formatters"],
        "access": {**LOGGING_CONFIG["formatters"]["access"], "()": "agora.web.serving.AccessFormatter"},
    }
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]} for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config


# --- the event loop's share of the interpreter ---------------------------------------------------

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits (Python's default: 0.005). Heavy work runs in
worker threads (the roll's parse and diff, photos, PDFs); each time the event loop gives the GIL up
for a socket call it waited up to the default 5 ms to get it back, and a page makes dozens of such
calls: hundreds of milliseconds per page during a 20,000-row roll import. 1 ms keeps pages under
200 ms (tests/rooms/test_import_isolation.py) for a few per cent of the worker's throughput."""


def share_the_gil() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)


_frozen = False


def freeze_startup_heap() -> None:
    """Move what start-up built (modules, routes, templates, models: most of the process's objects) out
    of the cyclic garbage collector's reach, once per process. A full collection walks every object
    it tracks with every thread stopped: 55–90 ms each for this heap, several during a 20,000-row roll
    import, each one a stall of every page being served (issue 16, item 3). What is frozen lives as long
    as the process anyway; objects made later are collected as before."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        space_full_collections()


FULL_COLLECTION_AFTER = 1000
"""Collections of the middle generation between two full ones (Python's default: 10)."""


def space_full_collections() -> None:
    """Make full collections a hundred times rarer while the heap grows. Python runs one whenever ten
    middle-generation collections have passed and the objects that reached the oldest generation since
    the last one are a quarter of those there: while 5,000 phones connect, every connection's objects
    are new and long-lived, so a full walk of a growing heap came every few hundred connections
    (13 in one storm, 2.2–2.9 s of the worker's time in all, each a stall of every socket and page).
    With 100, still one a storm: 0.23-0.45 s with nothing to collect, every socket and page stopped
    (docs/bench.md); with 1,000, none in three. Young cycles are still collected as often as before,
    a heap that stops growing (a steady day) has no full collections either way, and one that grew by a
    quarter still has its walk after 1,000 middle collections (a few thousand requests); `make soak`
    checks that memory stays flat."""
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)


# --- connection hygiene -------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one agora process allows a client. uvicorn has keep-alive and concurrency limits but no
    timeout for a request's head: a client that connects and sends nothing (or a byte a second)
    holds its connection, and its file descriptor, for ever. `GuardedHttpProtocol` adds one."""

    header_timeout: float = 10.0  # seconds to send a request's line and headers
    busy_header_timeout: float = 2.0  # … when the process holds more than half its connections
    keep_alive: int = 5  # idle seconds between requests on one connection
    # Requests on one kept-alive connection; the last is answered with `Connection: close` (nginx's
    # keepalive_requests): one client cannot pin a connection, its buffers and its worker for ever.
    requests_per_connection: int = 1000
    # Open connections from one address. Generous: many phones share one carrier-grade NAT address;
    # unfinished heads are cut by header_timeout whatever the count.
    per_client: int = 500
    max_connections: int = 0  # 0: derived from RLIMIT_NOFILE, keeping HEADROOM descriptors free


BODY_IDLE_TIMEOUT = 20.0
BODY_TIMEOUT = 300.0
"""A request's body (agora.web.middleware) may pause at most BODY_IDLE_TIMEOUT seconds between
chunks and take BODY_TIMEOUT in all (a 12 MB photo from a slow phone fits); past either it is
answered 408."""

HEADROOM = 256
"""File descriptors kept free beyond the connection cap: the database pool, static files, logs,
and the accept of a `/healthz` probe never meet EMFILE."""

DEFAULT_LIMITS = Limits()


def raise_nofile(wanted: int = 65536) -> int:
    """Raise the soft RLIMIT_NOFILE towards the hard limit at start; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            logging.getLogger("agora").warning("could not raise RLIMIT_NOFILE above %d", soft)
    return soft


def connection_cap(limits: Limits, nofile: int) -> int:
    """The most connections one process holds: the configured cap, or the descriptors minus headroom."""
    derived = max(64, nofile - HEADROOM)
    return min(limits.max_connections, derived) if limits.max_connections else derived


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class OneWriteResponse:
    """A connection's transport as one request's response cycle sees it: the status line and headers
    are held back and go out in one write with the body that follows them.

    uvicorn writes the head and the body with a write each, so every answer was two sends, two TCP
    segments and, for a phone on a slow link or the benchmark's client on the same two cores, two
    wake-ups for one response. Starlette (and the gzip middleware, which holds the head until it has
    seen the body) sends the body right after the head within the same step of the event loop, so the
    held head waits for nothing; should a body be slow to come (a streamed answer), the head goes out
    by itself at the end of the loop's current step. `100 Continue` is never held."""

    __slots__ = ("_head", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) < 65536:
                self._transport.write(head + data)
            else:  # a large body (a PDF, a photo) is not copied to join it
                self._transport.writelines((head, data))
        elif data.startswith(b"HTTP/") and data != _CONTINUE:
            self._head = data
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's head, a per-address cap and a
    process-wide cap on connections. A connection over a cap is closed at once, before it costs a
    request; one that has not finished its headers in time is closed (408 is not worth a write)."""

    limits: Limits = DEFAULT_LIMITS
    cap: int | None = None  # computed in the serving process (each worker raises its own limit)
    per_address: dict[str, int] = {}
    dropped: dict[str, int] = {"per_client": 0, "process": 0, "header_timeout": 0}

    @classmethod
    def _cap(cls) -> int:
        if cls.cap is None:
            cls.cap = connection_cap(cls.limits, raise_nofile())
        return cls.cap

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else ""
        count = self.per_address.get(self._address, 0) + 1
        self.per_address[self._address] = count
        self._head_timer: asyncio.TimerHandle | None = None
        if count > self.limits.per_client:
            self.dropped["per_client"] += 1
            transport.close()
            return
        if len(self.connections) > self._cap():
            self.dropped["process"] += 1
            transport.close()
            return
        self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        busy = len(self.connections) > self._cap() // 2
        timeout = self.limits.busy_header_timeout if busy else self.limits.header_timeout
        self._head_timer = self.loop.call_later(timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.dropped["header_timeout"] += 1
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a further request on a kept-alive connection: a fresh deadline
            self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not None and self.cycle is not before:  # a new request (not an upgrade)
            self.cycle.transport = OneWriteResponse(self.transport, self.loop)  # type: ignore[assignment]
        self._requests = getattr(self, "_requests", 0) + 1
        if self._requests >= self.limits.requests_per_connection and self.cycle is not None:
            self.cycle.keep_alive = False  # this answer says `Connection: close`, then the socket closes

    def _release_address(self) -> None:
        left = self.per_address.get(self._address, 1) - 1
        if left > 0:
            self.per_address[self._address] = left
        else:
            self.per_address.pop(self._address, None)

    def handle_websocket_upgrade(self) -> None:
        """The connection passes to uvicorn's websocket protocol, whose end this one never hears of: the
        address keeps counting the websocket until that protocol loses its connection (without this,
        every websocket an address ever opened counted for ever, and after `per_client` of them the
        address was refused until the server restarted)."""
        self._disarm_head_timer()
        super().handle_websocket_upgrade()
        protocol = self.transport.get_protocol() if self.transport is not None else None
        if protocol is None or protocol is self:
            self._release_address()
            return
        # Nothing here is used again, and what holds what must not form cycles: the parser holds this
        # protocol (a plain connection's end breaks that, an upgraded one's end is never heard of here),
        # and the hook below holds the websocket's protocol, which holds the hook. Each closed socket's
        # cycles waited for a full collection, which came in the middle of the next storm of phones
        # (tests/reliability/test_socket_garbage.py, docs/bench.md).
        self.parser = None  # type: ignore[assignment]
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            del protocol.connection_lost  # (see above)
            self._release_address()
            lost(exc)

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        self._release_address()
        super().connection_lost(exc)


class AgoraHttpProtocol(GuardedHttpProtocol):
    """The protocol `agora serve` uses: a module-level class, so `--workers N` (which pickles the
    configuration for each worker process) can import it by name."""

    per_address: dict[str, int] = {}
    dropped: dict[str, int] = {"per_client": 0, "process": 0, "header_timeout": 0}


class WarningsOnly(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger that passes on warnings and errors only (what it drops costs no record)."""

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 — logging's name
        return level >= logging.WARNING and self.logger.isEnabledFor(level)


WEBSOCKETS_LOG = WarningsOnly(logging.getLogger("uvicorn.error"))
"""The `websockets` library's logger under `agora serve`: its warnings and errors, in uvicorn's log."""


class AgoraWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol (the sans-I/O `websockets` one, uvicorn's own choice) without the
    library's INFO lines ("connection open", "connection closed", "connection rejected"). uvicorn
    writes one line for each websocket with the client's address and the path (`[accepted]`, or
    `403`); the library's lines carry neither and doubled the log of a morning when 5,000 phones
    connect (each line costs the worker about 12 µs and a write). Its warnings and errors (a failed
    handshake, a parser failure) still reach the log (`WEBSOCKETS_LOG`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn.logger = WEBSOCKETS_LOG
        self.conn.debug = False

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # The library's parser is a generator suspended on its next frame, holding the connection that
        # holds it: nothing is parsed after the end, and without the cycle the socket is freed now.
        self.conn.parser = None  # type: ignore[assignment]


def protocol_for(limits: Limits, cap: int) -> type[GuardedHttpProtocol]:
    """A protocol class bound to other limits (tests; one process only: it cannot be pickled)."""
    if limits == DEFAULT_LIMITS:
        return AgoraHttpProtocol
    return type(
        "AgoraHttpProtocol",
        (GuardedHttpProtocol,),
        {
            "limits": limits,
            "cap": cap,
            "per_address": {},
            "dropped": {"per_client": 0, "process": 0, "header_timeout": 0},
        },
    )


def uvicorn_options(limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The keyword arguments agora gives `uvicorn.run`/`uvicorn.Config`, after raising RLIMIT_NOFILE."""
    cap = connection_cap(limits, raise_nofile())
    return {
        "http": protocol_for(limits, cap),
        "ws": AgoraWebSocketProtocol,
        "timeout_keep_alive": limits.keep_alive,
        "h11_max_incomplete_event_size": 16 * 1024,
        "ws_per_message_deflate": False,  # small live messages: compression costs more than it saves
        "ws_max_size": 64 * 1024,
        "ws_ping_interval": 20.0,
        "ws_ping_timeout": 20.0,
        "log_config": uvicorn_log_config(),
    }

"""The load generator: a separate process, reading one JSON spec on stdin, printing JSON on stdout.

`python -m bench.load < spec.json`. Modes:
- `http`: `count` requests from `requests` (cycled) by `concurrency` keep-alive connections.
- `ws_fanout`: `len(clients)` websocket clients connect; then, `messages` times, one HTTP trigger
  carries a unique marker and we time until every connected client has received it.
- `ws_idle`: clients connect and stay idle; the process prints `{"event": "connected", ...}` and
  waits for a line on stdin before closing them.

Every loop is bounded in count and in time (`max_seconds`), and only 127.0.0.1 is ever contacted.
The HTTP client is a minimal HTTP/1.1 keep-alive client on asyncio streams: httpx costs several times
more CPU per request, and on this 2-core machine the load generator shares the CPU with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.stats import latency_summary

HOST = "127.0.0.1"


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def check_host(host: str) -> str:
    if host != HOST:
        raise SystemExit(f"bench.load: refusing to contact {host!r}; only {HOST} is allowed")
    return host


PER_SOURCE = 400
"""Websocket clients per source address. agora serve caps open connections per client address (500,
agora.web.serving.Limits.per_client); thousands of phones come from many addresses, so the fleet
spreads its clients over 127.0.0.2, 127.0.0.3, … (all of 127/8 is the loopback), PER_SOURCE each."""


def source_address(index: int) -> str:
    return f"127.0.0.{2 + index // PER_SOURCE}"


# --- a minimal HTTP/1.1 client --------------------------------------------------------------------


class HttpConnection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _sep, value = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), value.strip().lower()
            if key == "content-length":
                length = int(value)
            elif key == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif key == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readline()
            payload = b"".join(parts)
        elif length is not None:
            payload = await self.reader.readexactly(length)
        else:
            payload = await self.reader.read()
            close = True
        if close:
            await self.close()
        return status, payload


def encode_body(item: dict[str, Any]) -> tuple[dict[str, str], bytes | None]:
    headers = dict(item.get("headers") or {})
    if "json" in item:
        headers.setdefault("Content-Type", "application/json")
        return headers, json.dumps(item["json"]).encode()
    if item.get("body") is not None:
        return headers, str(item["body"]).encode()
    return headers, None


async def run_http(spec: dict[str, Any]) -> dict[str, Any]:
    port = int(spec["port"])
    requests = spec["requests"]
    count, concurrency = int(spec["count"]), int(spec.get("concurrency", 1))
    deadline = time.perf_counter() + float(spec.get("max_seconds", 30))
    prepared = [(r.get("method", "GET"), r["path"], *encode_body(r)) for r in requests]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sample_error: list[str] = []
    issued = 0

    async def worker() -> None:
        nonlocal issued
        connection = HttpConnection(port)
        try:
            while issued < count and time.perf_counter() < deadline:
                method, path, headers, body = prepared[issued % len(prepared)]
                issued += 1
                started = time.perf_counter()
                try:
                    status, payload = await asyncio.wait_for(
                        connection.request(method, path, headers, body), timeout=30
                    )
                except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError) as error:
                    statuses["error"] = statuses.get("error", 0) + 1
                    if not sample_error:
                        sample_error.append(repr(error))
                    await connection.close()
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status >= 400 and not sample_error:
                    sample_error.append(f"{status} {method} {path}: {payload[:300].decode(errors='replace')}")
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, count)))))
    elapsed = time.perf_counter() - started
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    return {
        "mode": "http",
        "count": len(latencies),
        "ok": ok,
        "statuses": statuses,
        "elapsed_s": elapsed,
        "rate_per_s": ok / elapsed if elapsed else None,
        "latency_ms": latency_summary(latencies),
        "cut_by_time": issued < count,
        "sample_error": sample_error[0] if sample_error else None,
    }


# --- websocket clients --------------------------------------------------------------------------


@dataclass
class Fleet:
    """Connected websocket clients, each with a reader recording when it saw the current marker."""

    sockets: list[Any] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    marker: str | None = None
    arrivals: dict[int, float] = field(default_factory=dict)
    all_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closed_codes: dict[str, int] = field(default_factory=dict)
    connect_failures: dict[str, int] = field(default_factory=dict)
    received: int = 0
    sample: str | None = None
    reading: int = 0  # readers still running: counted, not scanned (a scan per arrival is O(n²))

    def alive(self) -> int:
        return self.reading

    def start_reader(self, ws: Any) -> None:
        self.sockets.append(ws)
        self.reading += 1
        self.readers.append(asyncio.create_task(self.read(len(self.sockets) - 1, ws)))

    async def read(self, index: int, ws: Any) -> None:
        try:
            async for text in ws:
                self.received += 1
                marker = self.marker
                if marker is not None and index not in self.arrivals and marker in text:
                    self.arrivals[index] = time.perf_counter()
                    if self.sample is None:
                        self.sample = text if isinstance(text, str) else text.decode()
                    if len(self.arrivals) >= self.reading:
                        self.all_arrived.set()
        except Exception:  # noqa: BLE001, S110 — a closed socket ends its reader; the code is kept below
            pass
        finally:
            self.reading -= 1
        code = getattr(ws, "close_code", None)
        self.closed_codes[str(code)] = self.closed_codes.get(str(code), 0) + 1
        if self.marker is not None and len(self.arrivals) >= self.reading:
            self.all_arrived.set()


async def connect_fleet(spec: dict[str, Any], deadline: float) -> tuple[Fleet, float]:
    from websockets.asyncio.client import connect

    fleet = Fleet()
    port, path = int(spec["port"]), spec["path"]
    clients = spec["clients"]
    gate = asyncio.Semaphore(int(spec.get("connect_concurrency", 50)))

    async def one(index: int, headers: dict[str, str]) -> None:
        async with gate:
            if time.perf_counter() > deadline:
                fleet.connect_failures["deadline"] = fleet.connect_failures.get("deadline", 0) + 1
                return
            try:
                ws = await connect(
                    f"ws://{HOST}:{port}{path}",
                    local_addr=(source_address(index), 0),
                    additional_headers=headers,
                    compression=None,
                    open_timeout=30,
                    ping_interval=None,
                    max_size=2**20,
                    max_queue=None,
                )
            except Exception as error:  # noqa: BLE001 — counted by kind
                kind = type(error).__name__
                fleet.connect_failures[kind] = fleet.connect_failures.get(kind, 0) + 1
                return
            fleet.start_reader(ws)

    started = time.perf_counter()
    await asyncio.gather(*(one(i, c.get("headers", {})) for i, c in enumerate(clients)))
    return fleet, time.perf_counter() - started


async def close_fleet(fleet: Fleet) -> None:
    async def close(ws: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), timeout=5)

    for start in range(0, len(fleet.sockets), 500):
        await asyncio.gather(*(close(ws) for ws in fleet.sockets[start : start + 500]))
    for task in fleet.readers:
        task.cancel()
    await asyncio.gather(*fleet.readers, return_exceptions=True)


async def settle(fleet: Fleet, quiet: float, limit: float) -> None:
    """Wait until no message arrived for `quiet` seconds (the join storm is over), at most `limit`."""
    end = time.perf_counter() + limit
    last = -1
    while time.perf_counter() < end:
        if fleet.received == last:
            return
        last = fleet.received
        await asyncio.sleep(quiet)


async def run_ws_fanout(spec: dict[str, Any]) -> dict[str, Any]:
    """Connect (bounded by `max_seconds`), then probe (bounded by `messages` and `message_seconds`)."""
    fleet, connect_s = await connect_fleet(spec, time.perf_counter() + float(spec.get("max_seconds", 60)))
    await settle(fleet, float(spec.get("settle_quiet", 0.5)), float(spec.get("settle_max", 20)))
    deadline = time.perf_counter() + float(spec.get("message_seconds", 120))
    alive_before = fleet.alive()
    trigger = spec["trigger"]
    port = int(spec["port"])
    connection = HttpConnection(port)
    last_ms: list[float] = []
    deliveries: list[float] = []
    trigger_ms: list[float] = []
    missing = 0
    trigger_errors: list[str] = []
    sent = 0
    watched = [int(pid) for pid in spec.get("watch_pids", ())]
    cpu_before = (time.process_time(), _cpu_of(watched))
    try:
        for _ in range(int(spec["messages"])):
            if time.perf_counter() > deadline or not fleet.alive():
                break
            marker = f"bench{uuid.uuid4().hex[:12]}"
            fleet.arrivals, fleet.marker = {}, marker
            fleet.all_arrived.clear()
            item = json.loads(json.dumps(trigger).replace("{marker}", marker))
            cycle = item.pop("headers_cycle", None)
            if cycle:  # authors take turns (agora throttles each member's comments)
                item["headers"] = cycle[(int(spec.get("cycle_offset", 0)) + sent) % len(cycle)]
            headers, body = encode_body(item)
            started = time.perf_counter()
            sent += 1
            status, payload = await connection.request(
                item.get("method", "POST"), item["path"], headers, body
            )
            trigger_ms.append((time.perf_counter() - started) * 1000)
            if status >= 300:
                trigger_errors.append(f"{status}: {payload[:300].decode(errors='replace')}")
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    fleet.all_arrived.wait(), timeout=float(spec.get("message_timeout", 10))
                )
            arrivals = list(fleet.arrivals.values())
            missing += max(0, fleet.alive() - len(arrivals))
            if arrivals:
                deliveries.extend((t - started) * 1000 for t in arrivals)
                if len(arrivals) >= fleet.alive():
                    last_ms.append((max(arrivals) - started) * 1000)
            fleet.marker = None
            await asyncio.sleep(float(spec.get("pause", 0.05)))
    finally:
        cpu_after = (time.process_time(), _cpu_of(watched))
        await connection.close()
        alive_after = fleet.alive()
        await close_fleet(fleet)
    per_message = 1000 / max(1, len(last_ms))
    return {
        "mode": "ws_fanout",
        "clients": len(spec["clients"]),
        "connected": len(fleet.sockets),
        "connect_failures": fleet.connect_failures,
        "connect_s": connect_s,
        "alive_before": alive_before,
        "alive_after": alive_after,
        "closed_codes": fleet.closed_codes,
        "messages_sent": sent,
        "messages_complete": len(last_ms),
        "missing_deliveries": missing,
        "last_ms": latency_summary(last_ms),
        "delivery_ms": latency_summary(deliveries),
        "trigger_ms": latency_summary(trigger_ms),
        "trigger_errors": trigger_errors[:3],
        "sample": fleet.sample,
        # CPU while the messages were probed (not while connecting): this process's, and the
        # server's (`watch_pids`): on a shared machine, what competes for the cores per message.
        "client_cpu_ms": (cpu_after[0] - cpu_before[0]) * per_message,
        "server_cpu_ms": (cpu_after[1] - cpu_before[1]) * per_message if watched else None,
    }


def _cpu_of(pids: list[int]) -> float:
    from bench.servers import cpu_seconds

    return sum(cpu_seconds(pid) for pid in pids)


async def run_ws_idle(spec: dict[str, Any]) -> dict[str, Any]:
    deadline = time.perf_counter() + float(spec.get("max_seconds", 60))
    fleet, connect_s = await connect_fleet(spec, deadline)
    await settle(fleet, float(spec.get("settle_quiet", 0.5)), float(spec.get("settle_max", 20)))
    print(
        json.dumps(
            {
                "event": "connected",
                "connected": len(fleet.sockets),
                "alive": fleet.alive(),
                "connect_s": connect_s,
            }
        ),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    remaining = max(1.0, deadline - time.perf_counter())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), timeout=remaining)
    alive = fleet.alive()
    await close_fleet(fleet)
    return {
        "mode": "ws_idle",
        "connected": len(fleet.sockets),
        "alive_at_release": alive,
        "connect_failures": fleet.connect_failures,
        "connect_s": connect_s,
        "closed_codes": fleet.closed_codes,
    }


MODES = {"http": run_http, "ws_fanout": run_ws_fanout, "ws_idle": run_ws_idle}


def main() -> int:
    spec = json.loads(sys.stdin.readline())
    check_host(spec.get("host", HOST))
    spec["fd_limit"] = raise_fd_limit()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover — uvicorn[standard] brings it
        pass
    result = asyncio.run(MODES[spec["mode"]](spec))
    result["fd_limit"] = spec["fd_limit"]
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

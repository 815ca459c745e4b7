"""The soak's load, one role per spawned process (`bench.soak` starts them and reads their reports).

Each role waits for `go` (every websocket connected), reads the traffic's start time from `start`
(seconds since the epoch) and runs until `start + seconds`; the socket readers keep reading until
`done` (the last comment answered) and then close. Each puts one report on `results`:
`("report", name, {...})`; socket processes put `("ready", name, {...})` first. Only 127.0.0.1 and
other loopback addresses are contacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import statistics
import time
import traceback
from collections import Counter
from typing import Any

import httpx

from bench.load import check_host, raise_fd_limit

# The clients drop an idle kept-alive connection before the server does (agora serve: 5 s): otherwise a
# request sent as the server closes it is lost in between (httpx.ReadError), which no server can prevent.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)
SLOW_BATCH = 200
SOCKET_ADDRESSES = 50  # phones come from many addresses (agora caps connections per address)
COMMENT_EVERY = (7.0, 8.0)  # seconds: under the 10-a-minute limit per member


def role_main(name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any) -> None:
    """The entry point of one process."""
    check_host(httpx.URL(spec["url"]).host)
    raise_fd_limit()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover — uvicorn[standard] brings it
        pass
    role = ROLES[name.rstrip("0123456789")]
    try:
        report = asyncio.run(role(name, spec, results, go, done, start))
    except Exception:  # noqa: BLE001 — the report says what broke; the soak fails on it
        report = {"errors": [traceback.format_exc()[-600:]]}
    results.put(("report", name, report))


async def wait_for_go(go: Any, start: Any, spec: dict[str, Any]) -> float:
    """The traffic's end, in `time.time()` seconds, once `go` is set."""
    loop = asyncio.get_running_loop()
    while not await loop.run_in_executor(None, go.wait, 1.0):
        pass
    return float(start.value) + float(spec["seconds"])


def ms_summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max": round(ordered[-1], 1),
    }


class Counts:
    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.errors: list[str] = []

    def count(self, response: httpx.Response, what: str) -> None:
        self.statuses[str(response.status_code)] += 1
        if response.status_code >= 500:
            self.errors.append(f"{what}: {response.status_code} {response.text[:200]}")

    def report(self, **extra: Any) -> dict[str, Any]:
        return {"statuses": dict(self.statuses), "errors": self.errors[:20], **extra}


# --- websockets -----------------------------------------------------------------------------------


async def sockets(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    """Hold one JSON websocket per member given, counting the comment and turnout events each gets."""
    from websockets.asyncio.client import connect

    url = spec["url"].replace("http://", "ws://") + "/ws/halls/soak?format=json"
    held: list[Any] = []
    comments: list[int] = []
    turnouts: list[int] = []
    errors: list[str] = []
    received = [0]
    closing = [False]
    closed_early: Counter[str] = Counter()
    gate = asyncio.Semaphore(50)

    async def open_one(index: int, token: str) -> None:
        async with gate:
            try:
                ws = await connect(
                    url,
                    local_addr=(f"127.0.2.{index % SOCKET_ADDRESSES + 1}", 0),
                    additional_headers={"Authorization": f"Bearer {token}"},
                    compression=None,
                    open_timeout=60,
                    ping_interval=None,  # the server pings (every 20 s); the client answers at once
                    max_size=None,
                    max_queue=None,  # frames are read as they come, so a ping is never stuck behind them
                )
            except Exception as error:  # noqa: BLE001 — counted, the soak fails on it
                errors.append(f"connect: {error!r}"[:200])
                return
            held.append(ws)

    async def read(slot: int, ws: Any) -> None:
        counting = False
        try:
            async for text in ws:
                received[0] += 1
                if not counting:  # what the server sent on joining is not traffic
                    counting = go.is_set()
                    if not counting:
                        continue
                if '"comment.created"' in text:
                    comments[slot] += 1
                elif '"ballot.turnout"' in text:
                    turnouts[slot] += 1
        except Exception as error:  # noqa: BLE001 — a socket that fails is counted below
            if not closing[0]:
                errors.append(f"read: {error!r}"[:200])
        if not closing[0]:
            closed_early[str(ws.close_code)] += 1

    await asyncio.gather(*(open_one(index, token) for index, token in spec["tokens"]))
    comments[:] = [0] * len(held)
    turnouts[:] = [0] * len(held)
    readers = [asyncio.create_task(read(slot, ws)) for slot, ws in enumerate(held)]
    results.put(("ready", name, {"connected": len(held)}))
    end = await wait_for_go(go, start, spec)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, done.wait, max(1.0, end - time.time()) + 300)
    await asyncio.sleep(2.0)  # events of the last comments are on their way
    closing[0] = True
    open_at_end = sum(1 for ws in held if ws.close_code is None)
    for batch in range(0, len(held), 100):
        await asyncio.gather(
            *(asyncio.wait_for(ws.close(), 10) for ws in held[batch : batch + 100]), return_exceptions=True
        )
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {
        "connected": len(held),
        "open_at_end": open_at_end,
        "closed_early": dict(closed_early),
        "received": received[0],
        "comment_events": comments,
        "turnout_events": turnouts,
        "errors": errors[:20],
    }


# --- HTTP -----------------------------------------------------------------------------------------


async def voters(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    """Each voter casts once, spread over the first 80% of the run; a lost answer is retried, same key."""
    counts, receipts, latencies = Counts(), {}, []
    voters = spec["voters"]
    end = await wait_for_go(go, start, spec)
    began = float(start.value)
    async with httpx.AsyncClient(base_url=spec["url"], timeout=60, limits=CLIENT_LIMITS) as client:
        for index, (login, token) in enumerate(voters):
            due = began + spec["seconds"] * 0.8 * index / len(voters)
            await asyncio.sleep(max(0.0, due - time.time()))
            key = secrets.token_urlsafe(16)
            for attempt in range(5):
                sent = time.perf_counter()
                try:
                    response = await client.post(
                        f"/api/v1/proposals/{spec['proposal']}/ballots",
                        json={"choice": random.choice("ab")},  # noqa: S311 — load, not secrets
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                    )
                except httpx.TransportError as error:  # counted (it fails the soak), retried
                    counts.errors.append(f"transport: cast (attempt {attempt + 1}) {error!r}"[:200])
                    await asyncio.sleep(1)
                    continue
                latencies.append((time.perf_counter() - sent) * 1000)
                counts.count(response, "cast")
                if response.status_code == 201:
                    receipts[login] = response.json()["receipt"]
                break
    del end
    return counts.report(receipts=receipts, cast_ms=ms_summary(latencies))


async def commenters(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    counts = Counts()
    created = [0]
    end = await wait_for_go(go, start, spec)

    async def one(token: str, client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        await asyncio.sleep(random.uniform(0, COMMENT_EVERY[1]))  # noqa: S311 — spread the first ones
        n = 0
        while time.time() < end:
            body = {"body": f"Soak comment {n} <img src=x onerror=alert(1)>", "stance": "neutral"}
            try:
                response = await client.post(
                    f"/api/v1/proposals/{spec['proposal']}/comments", json=body, headers=headers
                )
            except httpx.TransportError as error:  # counted (it fails the soak), the commenter goes on
                counts.errors.append(f"transport: comment {error!r}"[:200])
            else:
                counts.count(response, "comment")
                created[0] += response.status_code == 201
            n += 1
            await asyncio.sleep(random.uniform(*COMMENT_EVERY))  # noqa: S311

    async with httpx.AsyncClient(base_url=spec["url"], timeout=60, limits=CLIENT_LIMITS) as client:
        await asyncio.gather(*(one(token, client) for token in spec["tokens"]))
    return counts.report(created=created[0])


async def readers(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    """Page and result loads by random members, one after the other, 50 ms apart."""
    counts, pages = Counts(), []
    end = await wait_for_go(go, start, spec)
    proposal = spec["proposal"]
    async with httpx.AsyncClient(base_url=spec["url"], timeout=60, limits=CLIENT_LIMITS) as client:
        while time.time() < end:
            session, token = random.choice(spec["members"])  # noqa: S311
            try:
                sent = time.perf_counter()
                response = await client.get(f"/proposals/{proposal}", cookies={"agora_session": session})
                pages.append((time.perf_counter() - sent) * 1000)
                counts.count(response, "page")
                turnout = await client.get(
                    f"/api/v1/proposals/{proposal}/result", headers={"Authorization": f"Bearer {token}"}
                )
                counts.count(turnout, "result")
            except httpx.TransportError as error:  # counted (it fails the soak), the reader goes on
                counts.errors.append(f"transport: page {error!r}"[:200])
            await asyncio.sleep(0.05)
    return counts.report(page_ms=ms_summary(pages))


async def slow(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    """Batches of SLOW_BATCH unfinished requests from rotating loopback addresses, never completed;
    the newest two batches are held, older ones let go."""
    end = await wait_for_go(go, start, spec)
    held: list[asyncio.StreamWriter] = []
    opened, refused, round_ = 0, 0, 0
    while time.time() < end:
        address = f"127.0.1.{round_ % 250 + 1}"
        for _ in range(SLOW_BATCH):
            try:
                _reader, writer = await asyncio.open_connection(
                    "127.0.0.1", spec["port"], local_addr=(address, 0)
                )
            except OSError:
                refused += 1
                break
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: ")
            held.append(writer)
            opened += 1
        round_ += 1
        await asyncio.sleep(min(5.0, max(0.0, end - time.time())))
        for writer in held[: -SLOW_BATCH * 2]:
            writer.close()
        held = held[-SLOW_BATCH * 2 :]
    for writer in held:
        writer.close()
    return {"opened": opened, "refused_batches": refused}


async def importer(
    name: str, spec: dict[str, Any], results: Any, go: Any, done: Any, start: Any
) -> dict[str, Any]:
    """A roll of a new compound at each of the given moments (fractions of the run)."""
    counts, imports = Counts(), []
    await wait_for_go(go, start, spec)
    async with httpx.AsyncClient(base_url=spec["url"], timeout=300, limits=CLIENT_LIMITS) as client:
        for slug, at in spec["imports"]:
            await asyncio.sleep(max(0.0, float(start.value) + spec["seconds"] * at - time.time()))
            sent = time.perf_counter()
            try:
                response = await client.put(
                    f"/api/v1/halls/{slug}/roll",
                    content=spec["csv"].encode(),
                    headers={**spec["headers"], "Content-Type": "text/csv"},
                )
            except httpx.TransportError as error:
                counts.errors.append(f"transport: roll import {error!r}"[:200])
                imports.append({"status": None, "at": at})
                continue
            counts.count(response, "roll import")
            seconds, units = round(time.perf_counter() - sent, 2), None
            with contextlib.suppress(ValueError):
                units = response.json().get("units")
            imports.append({"status": response.status_code, "seconds": seconds, "units": units, "at": at})
    return counts.report(imports=imports)


ROLES = {
    "sockets": sockets,
    "voters": voters,
    "commenters": commenters,
    "readers": readers,
    "slow": slow,
    "importer": importer,
}

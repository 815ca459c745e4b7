"""`python -m bench.soak [--seconds 600] [--pg URL]`: mixed traffic against a real `agora serve`.

Bounded and on the loopback only. For `--seconds` (10 minutes by default; CI runs 60): 1,000 live
websockets stay connected, members cast ballots (each once, with an Idempotency-Key, retried on a
network error), comment, and load the proposal page, a flood of slow clients holds unfinished
requests, and a 5,000-unit roll is imported into another compound. It fails (exit 1) on any 5xx,
on any receipt answered 201 that is not in the ledger, or when the server's memory after warm-up
grows by more than 10%. docs/security.md lists it with the attacks it covers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.servers import HOST
from bench.world import add_members, create_users, ensure_compound, roll_csv, start_world

SOCKETS = 1000
VOTERS = 1000
COMMENTERS = 40
SLOW_BATCH = 200
MEMORY_GROWTH = 0.10
# The clients drop an idle kept-alive connection before the server does (agora serve: 5 s): otherwise a
# request sent as the server closes it is lost in between (httpx.ReadError), which no server can prevent.
CLIENT_LIMITS = httpx.Limits(keepalive_expiry=2.0)


class Tally:
    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.receipts: dict[str, str] = {}  # login -> receipt

    def count(self, response: httpx.Response, what: str) -> None:
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.errors.append(f"{what}: {response.status_code} {response.text[:200]}")

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def setup(seconds: float, pg_url: str | None, work: Path) -> tuple[Any, dict[str, Any]]:
    ctx = SimpleNamespace(work=work, cleanups=[], pg_url=pg_url, shared={})
    world = start_world(ctx, "soak", database="pg" if pg_url else "sqlite")  # type: ignore[arg-type]
    ensure_compound(world, "soak")
    ensure_compound(world, "soak-import")
    members = world.db(lambda: create_users("soak-", VOTERS + COMMENTERS, sessions=True))
    world.db(lambda: add_members("soak", [m["id"] for m in members]))
    body = {
        "title": "Soak: 电梯加装 <script>x</script>",
        "body": "**mixed traffic**",
        "category": "elevator",
        "matter": "consultation",
        "item": None,
        "options": [{"key": "a", "label": "同意"}, {"key": "b", "label": "反对"}],
        "entrance": None,
    }
    created = world.call("POST", "/api/v1/halls/soak/proposals", body)
    assert created.status == 201, created.body
    proposal = created.json()["id"]
    for step in ({"to": "consultation"}, {"to": "voting", "closes_at": _later(7 * 86400)}):
        moved = world.call("POST", f"/api/v1/proposals/{proposal}/transition", step)
        assert moved.status == 200, moved.body
    return world, {"proposal": proposal, "members": members, "ctx": ctx}


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def sockets(url: str, members: list[dict[str, Any]], stop: asyncio.Event, tally: Tally) -> None:
    """SOCKETS JSON websockets, one per member, reading until the end."""
    ws_url = url.replace("http://", "ws://") + "/ws/halls/soak?format=json"
    received = [0]

    async def one(index: int, member: dict[str, Any]) -> None:
        try:
            async with connect(
                ws_url,
                local_addr=(f"127.0.2.{index % 50 + 1}", 0),  # phones come from many addresses
                additional_headers={"Authorization": f"Bearer {member['token']}"},
                compression=None,
                open_timeout=30,
                # The server pings every 20 s and drops a socket that does not answer; the client's own
                # pings measured only this one process reading 1,000 sockets on a shared machine.
                ping_interval=None,
                max_size=None,
            ) as ws:
                while not stop.is_set():
                    try:
                        await asyncio.wait_for(ws.recv(), 1.0)
                        received[0] += 1
                    except TimeoutError:
                        continue
        except Exception as error:  # noqa: BLE001 — counted, the soak goes on
            tally.errors.append(f"websocket: {error!r}"[:200])

    await asyncio.gather(*(one(i, m) for i, m in enumerate(members[:SOCKETS])))
    print(f"soak: websockets received {received[0]} messages")


Members = list[dict[str, Any]]


async def voters(url: str, proposal: int, members: Members, seconds: float, tally: Tally) -> None:
    """Each voter casts once, spread over the first 80% of the run; a lost answer is retried."""
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=CLIENT_LIMITS) as client:
        start = time.monotonic()
        for index, member in enumerate(members[:VOTERS]):
            due = start + seconds * 0.8 * index / VOTERS
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            key = secrets.token_urlsafe(16)
            for _attempt in range(5):
                try:
                    response = await client.post(
                        f"/api/v1/proposals/{proposal}/ballots",
                        json={"choice": random.choice("ab")},  # noqa: S311 — load, not secrets
                        headers={"Authorization": f"Bearer {member['token']}", "Idempotency-Key": key},
                    )
                except httpx.TransportError:
                    await asyncio.sleep(1)
                    continue
                tally.count(response, "cast")
                if response.status_code == 201:
                    tally.receipts[member["login"]] = response.json()["receipt"]
                break


async def commenters(url: str, proposal: int, members: Members, stop: asyncio.Event, tally: Tally) -> None:
    async def one(member: dict[str, Any], client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {member['token']}"}
        n = 0
        while not stop.is_set():
            body = {"body": f"Soak comment {n} <img src=x onerror=alert(1)>", "stance": "neutral"}
            try:
                response = await client.post(
                    f"/api/v1/proposals/{proposal}/comments", json=body, headers=headers
                )
            except httpx.TransportError as error:  # counted (it fails the soak), the commenter goes on
                tally.errors.append(f"transport: comment {error!r}"[:200])
            else:
                tally.count(response, "comment")
            n += 1
            await asyncio.sleep(7 + random.random())  # noqa: S311 — under the 10-a-minute limit

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=CLIENT_LIMITS) as client:
        await asyncio.gather(*(one(m, client) for m in members[VOTERS : VOTERS + COMMENTERS]))


async def readers(url: str, proposal: int, members: Members, stop: asyncio.Event, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=CLIENT_LIMITS) as client:
        while not stop.is_set():
            member = random.choice(members)  # noqa: S311
            try:
                response = await client.get(
                    f"/proposals/{proposal}", cookies={"agora_session": member["session"]}
                )
                tally.count(response, "page")
                turnout = await client.get(
                    f"/api/v1/proposals/{proposal}/result",
                    headers={"Authorization": f"Bearer {member['token']}"},
                )
                tally.count(turnout, "result")
            except httpx.TransportError as error:  # counted (it fails the soak), the reader goes on
                tally.errors.append(f"transport: page {error!r}"[:200])
            await asyncio.sleep(0.05)


async def slow_flood(port: int, stop: asyncio.Event) -> None:
    """Batches of SLOW_BATCH unfinished requests from rotating loopback addresses, never completed."""
    held: list[asyncio.StreamWriter] = []
    round_ = 0
    while not stop.is_set():
        address = f"127.0.1.{round_ % 250 + 1}"
        for _ in range(SLOW_BATCH):
            try:
                _reader, writer = await asyncio.open_connection(HOST, port, local_addr=(address, 0))
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: ")
                held.append(writer)
            except OSError:
                break
        round_ += 1
        await asyncio.sleep(5)
        for writer in held[: -SLOW_BATCH * 2]:
            writer.close()
        held = held[-SLOW_BATCH * 2 :]
    for writer in held:
        writer.close()


async def importer(world: Any, seconds: float, tally: Tally) -> None:
    await asyncio.sleep(seconds * 0.3)
    text = roll_csv(5000, prefix="im").encode()
    async with httpx.AsyncClient(base_url=world.server.url, timeout=300, limits=CLIENT_LIMITS) as client:
        response = await client.put(
            "/api/v1/halls/soak-import/roll",
            content=text,
            headers={**world.admin_headers, "Content-Type": "text/csv"},
        )
        tally.count(response, "roll import")
        if response.status_code != 200:
            tally.errors.append(f"roll import: {response.status_code} {response.text[:200]}")


async def memory(server: Any, stop: asyncio.Event, samples: list[tuple[float, int]]) -> None:
    start = time.monotonic()
    while not stop.is_set():
        samples.append((time.monotonic() - start, server.rss_kib()))
        await asyncio.sleep(2)


async def run(world: Any, state: dict[str, Any], seconds: float) -> Tally:
    tally = Tally()
    stop = asyncio.Event()
    samples: list[tuple[float, int]] = []
    url, proposal, members = world.server.url, state["proposal"], state["members"]
    tasks = [
        asyncio.create_task(sockets(url, members, stop, tally)),
        asyncio.create_task(commenters(url, proposal, members, stop, tally)),
        asyncio.create_task(readers(url, proposal, members, stop, tally)),
        asyncio.create_task(slow_flood(world.server.port, stop)),
        asyncio.create_task(memory(world.server, stop, samples)),
        asyncio.create_task(importer(world, seconds, tally)),
    ]
    await voters(url, proposal, members, seconds, tally)
    print(f"soak: {len(tally.receipts)} ballots cast", flush=True)
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - state["started"])))
    stop.set()
    done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    print(f"soak: traffic stopped ({len(pending)} task(s) cancelled)", flush=True)
    state["memory"] = samples
    return tally


async def receipts_in_ledger(proposal: int, receipts: dict[str, str]) -> list[str]:
    from agora.ballots.chain import hash_receipt
    from agora.ballots.models import LedgerRow

    stored = set(await LedgerRow.filter(proposal_id=proposal).values_list("receipt_hash", flat=True))
    return [login for login, receipt in receipts.items() if hash_receipt(receipt) not in stored]


def memory_growth(samples: list[tuple[float, int]], seconds: float) -> float:
    """Growth of the server's RSS from the end of warm-up (20% of the run) to the highest sample after."""
    warm = [rss for at, rss in samples if at >= seconds * 0.2]
    if len(warm) < 2 or not warm[0]:
        return 0.0
    return max(warm) / warm[0] - 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agora-soak-") as tmp:
        world, state = setup(args.seconds, args.pg, Path(tmp))
        print(f"soak: serving at {world.server.url}, {args.seconds:.0f} s of traffic", flush=True)
        try:
            state["started"] = time.monotonic()
            tally = asyncio.run(run(world, state, args.seconds))
            lost = world.db(lambda: receipts_in_ledger(state["proposal"], tally.receipts))
            growth = memory_growth(state["memory"], args.seconds)
            alive = world.call("GET", "/healthz")
        finally:
            for cleanup in state["ctx"].cleanups:
                cleanup()
    summary = {
        "seconds": args.seconds,
        "statuses": tally.statuses,
        "receipts": len(tally.receipts),
        "lost_receipts": len(lost),
        "memory_growth": round(growth, 3),
        "healthz_after": alive.status,
        "errors": tally.errors[:10],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    failed = (
        tally.server_errors
        or lost
        or growth > MEMORY_GROWTH
        or alive.status != 200
        or len(tally.receipts) < VOTERS * 0.99
        or any(e.startswith(("websocket", "transport")) for e in tally.errors)
    )
    print("soak: FAILED" if failed else "soak: ok", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

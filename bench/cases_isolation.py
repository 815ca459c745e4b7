"""Isolation benchmark: another compound's page while a big roll is imported (issue 16, item 3).

A 10 MB roll import used to freeze the whole server for up to 50 s. The suite checks that it never
freezes (tests/rooms/test_import_isolation.py: p99 under 1.5 s, whatever the machine's load); the speed
target — the other compound's p99 under 200 ms during a 20,000-row import — is measured here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.harness import Context, Result
from bench.world import World, add_members, create_users, ensure_compound, roll_csv, shared_world

NEIGHBOURS = "bench-neighbours"
PROBE_EVERY = 0.05  # seconds between two page loads started (open loop: a probe never waits for the last)
QUIET_SECONDS = 3.0
TARGET_MS = 200.0


def p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def probe_while(
    world: World, cookie: dict[str, str], importing: Any | None, seconds: float = 0.0
) -> tuple[list[float], list[int]]:
    """Page loads of the neighbours' hall started every PROBE_EVERY s, while `importing` runs (or for
    `seconds`), at least for one second; their latencies in ms and their statuses."""
    latencies: list[float] = []
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=world.server.url, timeout=60, cookies=cookie) as client:

        async def probe() -> None:
            started = time.perf_counter()
            response = await client.get(f"/halls/{NEIGHBOURS}")
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)

        probes = []
        begun = time.perf_counter()
        until = begun + max(1.0, seconds)
        while (importing is not None and not importing.done()) or time.perf_counter() < until:
            probes.append(asyncio.create_task(probe()))
            await asyncio.sleep(PROBE_EVERY)
            if importing is not None and not importing.done():
                until = 0.0  # while importing: exactly as long as the import runs
        await asyncio.gather(*probes)
    return latencies, statuses


async def one_run(world: World, cookie: dict[str, str], slug: str, csv: bytes) -> dict[str, Any]:
    quiet, _ = await probe_while(world, cookie, None, QUIET_SECONDS)
    async with httpx.AsyncClient(base_url=world.server.url, timeout=600) as committee:
        started = time.perf_counter()
        importing = asyncio.create_task(
            committee.put(
                f"/api/v1/halls/{slug}/roll",
                content=csv,
                headers={**world.admin_headers, "Content-Type": "text/csv; charset=utf-8"},
            )
        )
        during, statuses = await probe_while(world, cookie, importing)
        response = await importing
        seconds = time.perf_counter() - started
    return {
        "import_status": response.status_code,
        "import_seconds": round(seconds, 2),
        "probes": len(during),
        "statuses": sorted(set(statuses)),
        "p99_ms": p99(during),
        "p50_ms": sorted(during)[len(during) // 2] if during else None,
        "max_ms": max(during, default=None),
        "quiet_p99_ms": p99(quiet),
    }


def bench_import_latency(ctx: Context) -> Result:
    """A member of another compound loads their hall's page every 50 ms during a 20,000-unit import."""
    n = ctx.sizes.roll_units
    result = Result("import_latency", f"Another compound's page during a {n:,}-unit roll import")
    world = shared_world(ctx, purpose="data")
    ensure_compound(world, NEIGHBOURS)
    users = world.db(lambda: create_users("bench-neighbour-", 1, sessions=True))
    world.db(lambda: add_members(NEIGHBOURS, [users[0]["id"]]))
    cookie = {"agora_session": users[0]["session"]}
    csv = roll_csv(n, prefix="il").encode()
    during = result.figure("page p99 during the import", "ms", baseline_label="the same page, no import")
    median = result.figure("page p50 during the import", "ms")
    for run in range(ctx.runs):
        slug = ensure_compound(world, f"bench-isolation-{run}")
        measured = asyncio.run(one_run(world, cookie, slug, csv))
        if measured["import_status"] != 200 or measured["statuses"] != [200]:
            raise RuntimeError(f"import or page failed: {measured}")
        during.values.append(measured["p99_ms"])
        during.baseline.append(measured["quiet_p99_ms"])
        median.values.append(measured["p50_ms"])
        result.details[f"run{run + 1}"] = measured
    value = during.as_dict()["value"]["median"]
    result.target(f"p99 < {TARGET_MS:.0f} ms", None if value is None else value < TARGET_MS)
    result.notes.append(
        f"open loop, one page load started every {PROBE_EVERY * 1000:.0f} ms for as long as the import "
        f"runs (parse, check and write of a new compound's {n:,} units, owners and invites); the baseline "
        f"is the same probing for {QUIET_SECONDS:.0f} s just before"
    )
    return result

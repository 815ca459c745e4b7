"""Bench: the figures of a community of 50 compounds (`GET /api/v1/halls/{slug}/stats` and the dashboard).

    PYTHONPATH=. .venv/bin/python -m bench.stats_community [--compounds 50] [--items 20000]

Seeds a fresh SQLite database directly (halls, `--items` concerns and wishes spread over the
compounds and their buildings in every status, `--items` proposals, a resolution record for every
tenth proposal with a realistic document — the roll and the ledger inside it are what makes records
heavy — and a work for every twentieth), serves agora with uvicorn, and times each page as the median
of 7 calls. Target (issue 21): under 300 ms for the community page of 50 compounds and 20,000 concerns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from agora.accounts.passwords import Passwords
from agora.accounts.services import create_user
from agora.app import create_app
from agora.settings import Settings
from agora.storage import database

PASSWORD = "bench-password-2026"  # noqa: S105


def record_document(k: int, persons_total: int) -> dict:
    persons = persons_total * 2 // 3 + k % 50
    ledger = [{"seq": i, "receipt_hash": f"{i:064x}", "choice": "yes", "persons": 1, "area": "89.50",
               "channel": "online", "at": "2026-11-01T10:00:00+08:00", "prev": "0" * 64, "hash": f"{i:064x}"}
              for i in range(persons)]  # fmt: skip
    return {
        "verdict": {"outcome": "passed" if k % 3 else "no_decision"},
        "result": {"participating": {"persons": persons}},
        "roll": {
            "totals": {"persons": persons_total},
            "units": [{"building": "1", "unit": str(i)} for i in range(persons_total)],
        },
        "ledger": {"entries": ledger},
    }


async def seed(url: str, compounds: int, items: int) -> None:
    from agora.ballots.models import Resolution
    from agora.concerns.models import Concern
    from agora.implementation.models import Implementation
    from agora.proposals.models import Proposal
    from agora.rooms.models import Hall

    await database.migrate(url)
    await database.init(url)
    admin = await create_user(Passwords("test", 2), "bench-admin", PASSWORD, "bench", is_admin=True)
    community = await Hall.create(kind="community", slug="bench-community", name="基准社区")
    now = datetime.now(UTC)
    halls: list[tuple[Hall, Hall]] = []
    for c in range(compounds):
        compound = await Hall.create(
            kind="compound", slug=f"bench-c{c:02d}", name=f"小区{c:02d}", parent=community
        )
        compound.compound_id = compound.id
        await compound.save(update_fields=["compound_id"])
        for b in range(1, 9):
            building = await Hall.create(kind="building", slug=f"bench-c{c:02d}-b{b}", name=f"{b}幢",
                                         parent=compound, compound_id=compound.id, label=str(b))  # fmt: skip
            halls.append((compound, building))
    proposals = [
        Proposal(
            hall=halls[k % len(halls)][k % 2],
            author=admin,
            title=f"议题 {k}",
            body="……",
            matter="major",
            item=7,
            state=("certified" if k % 10 == 0 else ("voting", "draft", "consultation")[k % 3]),
            closed_at=now - timedelta(days=k % 300) if k % 10 == 0 else None,
        )  # fmt: skip
        for k in range(items)
    ]
    await Proposal.bulk_create(proposals, batch_size=1000)
    created = await Proposal.all().order_by("id").only("id", "hall_id", "state")
    hall_compound = {b.id: c.id for c, b in halls} | {c.id: c.id for c, _b in halls}
    records = [
        Resolution(
            compound_id=hall_compound[p.hall_id],
            proposal_id=p.id,
            year=2026,
            sequence=k + 1,
            number=f"R-{k}",
            hash=f"{k:064x}",
            posted_at=now,
            title="…",
            document=record_document(k, 300),
            created_at=now,
        )  # fmt: skip
        for k, p in enumerate(x for x in created if x.state == "certified")
    ]
    await Resolution.bulk_create(records, batch_size=200)
    works = [
        Implementation(
            proposal_id=p.id,
            hall_id=p.hall_id,
            lead=admin,
            due_at=now + timedelta(days=30),
            budget_fen=10_000_000,
            spent_fen=k * 1000,
            status=("in_progress", "accepted")[k % 2],
            created_at=now,
        )  # fmt: skip
        for k, p in enumerate(created[::20])
    ]
    await Implementation.bulk_create(works, batch_size=500)
    statuses = ("received", "accepted", "in_progress", "resolved", "resolved", "closed_unresolved")
    concerns = []
    for k in range(items):
        compound, building = halls[k % len(halls)]
        status = statuses[k % len(statuses)]
        created = now - timedelta(days=k % 365, hours=k % 24)
        resolved = created + timedelta(days=k % 30, hours=3) if status == "resolved" else None
        concerns.append(
            Concern(compound_id=compound.id, building_id=building.id if k % 3 else None, seq=k + 1,
                    ref=f"2026-{k + 1:05d}", kind="wish" if k % 7 == 0 else "concern", title=f"诉求 {k}",
                    body="楼道灯不亮，晚上很黑。" * 3,
                    category=("livelihood", "policy", "health", "education")[k % 4],
                    status=status, urgency=(None, 1, 2, 3)[k % 4], created_at=created, updated_at=created,
                    resolved_at=resolved, feedback_satisfied=(None, True, False)[k % 3] if resolved else None)
        )  # fmt: skip
    await Concern.bulk_create(concerns, batch_size=1000)
    await database.close()


PATHS = (
    "/api/v1/halls/bench-community/stats",
    "/halls/bench-community/dashboard",
    "/api/v1/halls/bench-c00/stats",
)


async def main(
    compounds: int, items: int, calls: int = 7, quiet: bool = False
) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="agora-bench-stats-"))
    url = f"sqlite://{folder / 'bench.sqlite3'}"
    started = time.perf_counter()
    await seed(url, compounds, items)
    seeded = time.perf_counter() - started
    if not quiet:
        print(f"seeded {compounds} compounds, {items:,} concerns and {items:,} proposals in {seeded:.1f} s")
    settings = Settings(
        database_url=url,
        secret_key=secrets.token_urlsafe(32),
        var_dir=folder / "var",
        argon2_profile="test",
        run_scheduler=False,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn sets a flag, not an event
        if task.done():
            task.result()  # the server's own error
            raise RuntimeError("the server did not start")
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token = (
            await client.post("/api/v1/auth/token", json={"login": "bench-admin", "password": PASSWORD})
        ).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        measured: dict[str, list[float]] = {}
        for path in PATHS:
            times = measured[path] = []
            for _run in range(calls):
                t0 = time.perf_counter()
                response = await client.get(path, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.text[:200]
            if not quiet:
                median, low, high = statistics.median(times), min(times), max(times)
                print(f"{path}: median {median:.0f} ms (min {low:.0f}, max {high:.0f})")
    server.should_exit = True
    await task
    return measured


def bench_stats_community(ctx: Any) -> Any:
    """`make bench`: the community's figures over HTTP, in a process of its own (its own database)."""
    from bench.harness import Result

    compounds, items = ctx.sizes.stats_compounds, ctx.sizes.stats_items
    result = Result("stats_community", f"Figures of a community: {compounds} compounds, {items:,} concerns")
    completed = subprocess.run(  # noqa: S603 — this interpreter and fixed arguments
        [sys.executable, "-m", "bench.stats_community", "--compounds", str(compounds), "--items", str(items),
         "--json"],
        capture_output=True, text=True, timeout=1800, check=True,
    )  # fmt: skip
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    labels = {PATHS[0]: "community figures (API)", PATHS[1]: "community dashboard", PATHS[2]: "one compound"}
    for path, times in measured.items():
        result.figure(labels[path], "ms").values.extend(times)
    median = statistics.median(measured[PATHS[0]])
    result.target("community figures ≤ 300 ms (median of 7 calls)", median <= 300)
    result.notes.append("wall time over HTTP on this machine, uvicorn, SQLite; issue 21")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--compounds", type=int, default=50)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--json", action="store_true", help="print the timings (ms) as one JSON line")
    args = parser.parse_args()
    timings = asyncio.run(main(args.compounds, args.items, quiet=args.json))
    if args.json:
        print(json.dumps(timings))

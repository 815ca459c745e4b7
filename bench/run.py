"""`python -m bench.run [--quick] [--only NAME[,NAME]] [--runs N]`: run agora's benchmarks.

Writes bench/results/latest.json, latest.md and SVG plots (or --out DIR). See docs/bench.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import cases_data, cases_http, cases_isolation, cases_live, cases_secret
from bench.harness import Context, NotMeasurable, Pending, Result, Sizes
from bench.report import update_docs, update_readme, write_results
from bench.stats_community import bench_stats_community

RESULTS = Path(__file__).resolve().parent / "results"
DOCS = RESULTS.parent.parent / "docs" / "bench.md"
README = RESULTS.parent.parent / "README.md"
PG_URL = os.environ.get("AGORA_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/agora_bench")
REDIS_URL = os.environ.get("AGORA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

Bench = Callable[[Context], Result]
BENCHMARKS: dict[str, tuple[str, Bench]] = {
    "ballots": ("Casting ballots", cases_http.bench_ballots),
    "page": ("Proposal page", cases_http.bench_page),
    "fanout": ("Comment fan-out", cases_live.bench_fanout),
    "fanout_max": ("Many clients on one worker", cases_live.bench_fanout_max),
    "idle_memory": ("Memory per idle connection", cases_live.bench_idle_memory),
    "fanout_redis": ("Fan-out through Redis", cases_live.bench_fanout_redis),
    "tally": ("Tally", cases_data.bench_tally),
    "secret_tally": ("Secret vote: close and verify", cases_secret.bench_secret_tally),
    "roll_import": ("Roll import", cases_data.bench_roll_import),
    "import_latency": ("A page during a roll import", cases_isolation.bench_import_latency),
    "resolution_pdf": ("Resolution PDF", cases_data.bench_resolution_pdf),
    "page_growth": ("Page time against comments", cases_http.bench_page_growth),
    "tally_growth": ("Tally time against roll size", cases_data.bench_tally_growth),
    "servers": ("uvicorn against granian", cases_http.bench_servers),
    "stats_community": ("Figures of a community", bench_stats_community),
    "ballots_pg": ("Casting ballots, PostgreSQL", lambda ctx: cases_http.bench_ballots(ctx, "pg", 2)),
    "page_pg": ("Proposal page, PostgreSQL", lambda ctx: cases_http.bench_page(ctx, "pg", 2)),
}


def _reachable(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def machine() -> dict[str, Any]:
    memory = ""
    try:
        memory = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def git_head() -> str:
    import subprocess

    try:
        out = subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            cwd=RESULTS.parent.parent,
            check=False,
        )
        dirty = subprocess.run(  # noqa: S603
            ["git", "status", "--porcelain", "--", "agora", "templates"],  # noqa: S607
            capture_output=True,
            text=True,
            cwd=RESULTS.parent.parent,
            check=False,
        )
        return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def run_one(ctx: Context, name: str, bench: Bench) -> Result:
    started = time.perf_counter()
    ctx.log(f"{name}: start")
    try:
        result = bench(ctx)
    except Pending as pending:
        result = Result(name, BENCHMARKS[name][0], status="pending", reason=str(pending))
    except NotMeasurable as reason:
        result = Result(name, BENCHMARKS[name][0], status="not_measurable", reason=str(reason))
    except Exception as error:  # noqa: BLE001 — one broken benchmark must not hide the others
        traceback.print_exc()
        result = Result(
            name, BENCHMARKS[name][0], status="failed", reason=f"{type(error).__name__}: {error}"[:800]
        )
    result.seconds = time.perf_counter() - started
    result.details["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    ctx.log(f"{name}: {result.status} in {result.seconds:.1f} s (load average {os.getloadavg()[0]:.1f})")
    return result


def _meta(ctx: Context, args: argparse.Namespace, started: float, partial: bool = False) -> dict[str, Any]:
    from bench.world import World

    setup = [
        note
        for w in ctx.shared.values()
        if isinstance(w, World)
        for note in [f"{w.name}: {n}" for n in w.notes]
    ]
    return {
        "setup": sorted(set(setup)),
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "commit": git_head(),
        "runs": ctx.runs,
        "quick": args.quick,
        "partial": partial,
        "sizes": ctx.sizes.__dict__,
        "machine": machine(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (the smoke test)")
    parser.add_argument("--only", help=f"comma-separated names: {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3, or 1 with --quick)")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    parser.add_argument("--merge", action="store_true", help="with --only: replace just these in latest.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = list(BENCHMARKS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            print(
                f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}",
                file=sys.stderr,
            )
            return 2
    runs = args.runs or (1 if args.quick else 3)
    work = Path(tempfile.mkdtemp(prefix="agora-bench-"))
    ctx = Context(
        sizes=Sizes.quick() if args.quick else Sizes(),
        runs=runs,
        work=work,
        quick=args.quick,
        pg_url=PG_URL if _reachable(5432) else None,
        redis_url=REDIS_URL if _reachable(6379) else None,
    )
    ctx.log(f"work directory {work}; {runs} run(s) per figure; {'quick' if args.quick else 'full'} sizes")
    started = time.time()
    results: list[Result] = []
    out = args.out or RESULTS
    try:
        for name in names:
            if name.endswith("_pg") and ctx.pg_url is None:
                results.append(
                    Result(name, BENCHMARKS[name][0], "not_measurable", "no PostgreSQL at 127.0.0.1:5432")
                )
                continue
            results.append(run_one(ctx, name, BENCHMARKS[name][1]))
            write_results(out, _meta(ctx, args, started, partial=True), results, args.merge)
    finally:
        for cleanup in reversed(ctx.cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001, S110 — best effort at exit
                pass
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    write_results(out, _meta(ctx, args, started), results, args.merge)
    if out == RESULTS and (args.merge or not args.only) and not args.quick:
        update_docs(DOCS, (out / "latest.md").read_text())
        update_readme(README, (out / "latest.md").read_text())
    ctx.log(f"results in {out}/latest.md")
    return 0 if all(r.status != "failed" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

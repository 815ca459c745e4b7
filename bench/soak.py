"""`python -m bench.soak [--seconds 600] [--pg URL]`: mixed traffic against a real `agora serve`.

Bounded and on the loopback only. agora serves a fresh database (`agora serve`, one worker); the load
runs in processes of its own (`multiprocessing`, spawned), so that reading 1,000 websockets measures
the server and not one client process falling behind on a shared machine:

- SOCKET_PROCESSES processes hold SOCKETS JSON websockets (one member each, from 50 addresses), all
  connected before the traffic starts and open until it ends; each counts what it receives;
- voters cast once each with an Idempotency-Key (retried with the same key on a network error), spread
  over the first 80% of the run: VOTERS_PER_MINUTE (1,000 in 10 minutes, at least 100 in a shorter run);
- COMMENTERS members comment every 7-8 s (under the 10-a-minute limit), each comment pushed to all sockets;
- readers load the proposal page (session cookie) and its result (bearer token) in a loop;
- a flood of slow clients holds SLOW_BATCH unfinished requests every 5 s from rotating addresses;
- a ROLL_UNITS-unit roll is imported into a new compound at each of IMPORTS_AT (30% and 60% of the run).

The warm-up, before the clock starts: the sockets connect and one such roll is imported, so that the
server has done every kind of work once (the first import raises the server's RSS by about 10 MiB for
good, the allocator keeping its high-water mark; the later ones by less, which the run measures).

Afterwards the vote is closed and read back through the API. It fails (exit 1) on:
- any 5xx answer, counted by the clients and in the server's access log;
- any transport error (a request the server dropped), a websocket closed before the end, or one that
  missed a comment posted during the run;
- a lost receipt: a cast answered 201 whose receipt is not in the published ledger, or a result whose
  participation differs from the ledger's ballots;
- memory (RSS of the server's processes, from /proc, every 2 s) not flat: the median of the run's last
  WINDOW is more than MEMORY_GROWTH above the median of the first WINDOW after WARMUP of the run.
docs/security.md lists it with the attacks it covers and the figures of the last runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import soak_load
from bench.servers import Server, child_pids, rss_kib
from bench.world import add_members, create_users, ensure_compound, roll_csv, start_world

SOCKETS = 1000
SOCKET_PROCESSES = 4
VOTERS_PER_MINUTE = 100
MIN_VOTERS = 100
COMMENTERS = 40
ROLL_UNITS = 5000
IMPORTS_AT = (0.3, 0.6)
MEMORY_GROWTH = 0.10
WARMUP = 0.1  # of the run: the first samples, before the server's caches and pools have filled
WINDOW = 60.0  # seconds of samples compared (at most a fifth of the run)
SAMPLE_EVERY = 2.0
FIVE_XX = re.compile(rb'HTTP/1\.[01]" 5\d\d')


def voters_for(seconds: float) -> int:
    return max(MIN_VOTERS, min(1000, round(VOTERS_PER_MINUTE * seconds / 60)))


def setup(seconds: float, pg_url: str | None, work: Path) -> tuple[Any, dict[str, Any]]:
    ctx = SimpleNamespace(work=work, cleanups=[], pg_url=pg_url, shared={})
    world = start_world(ctx, "soak", database="pg" if pg_url else "sqlite")  # type: ignore[arg-type]
    ensure_compound(world, "soak")
    for n in range(len(IMPORTS_AT) + 1):
        ensure_compound(world, f"soak-import-{n}")
    count = max(SOCKETS, voters_for(seconds)) + COMMENTERS
    members = world.db(lambda: create_users("soak-", count, sessions=True))
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


# --- the server's memory ------------------------------------------------------------------------


def server_rss_kib(server: Server) -> int:
    """VmRSS of the server and every process under it (uvicorn's workers, if any), in KiB."""
    pids, todo = [], [server.process.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(child_pids(pid))
    total = 0
    for pid in pids:
        try:
            total += rss_kib(pid)
        except OSError:  # a process that ended between the listing and the read
            continue
    return total


def memory_verdict(samples: list[tuple[float, int]], seconds: float) -> dict[str, Any]:
    """Flat: the median of the last WINDOW within MEMORY_GROWTH of the median of the first WINDOW
    after the warm-up (WARMUP of the run). The windows shrink to a fifth of a short run."""
    window = min(WINDOW, seconds / 5)
    start = seconds * WARMUP
    first = [rss for at, rss in samples if start <= at < start + window]
    last = [rss for at, rss in samples if seconds - window <= at <= seconds]
    if len(first) < 3 or len(last) < 3:
        return {"ok": False, "reason": f"too few samples ({len(first)}, {len(last)})"}
    before, after = statistics.median(first), statistics.median(last)
    growth = after / before - 1
    return {
        "ok": growth <= MEMORY_GROWTH,
        "first_window_mib": round(before / 1024, 1),
        "last_window_mib": round(after / 1024, 1),
        "growth": round(growth, 3),
        "peak_mib": round(max(rss for _at, rss in samples) / 1024, 1),
        "windows_s": [round(start), round(start + window), round(seconds - window), round(seconds)],
        "mib_every_tenth": [round(rss / 1024, 1) for _at, rss in samples[:: max(1, len(samples) // 10)]],
    }


# --- afterwards: every receipt in the published ledger -------------------------------------------


def check_receipts(world: Any, proposal: int, receipts: dict[str, str]) -> dict[str, Any]:
    """Close the vote and read it back through the API, as any member could."""
    from agora.ballots.chain import hash_receipt  # the pure core: sha-256 of the normalized code

    closed = world.call("POST", f"/api/v1/proposals/{proposal}/transition", {"to": "closed"})
    if closed.status != 200:
        return {"ok": False, "reason": f"closing: {closed.status} {closed.body[:300]!r}"}
    ledger = world.call("GET", f"/api/v1/proposals/{proposal}/ledger")
    result = world.call("GET", f"/api/v1/proposals/{proposal}/result")
    if ledger.status != 200 or result.status != 200:
        return {"ok": False, "reason": f"ledger {ledger.status}, result {result.status}"}
    entries = ledger.json()["entries"]
    replaced = {e["replaces"] for e in entries if e.get("replaces")}
    effective = {e["receipt_hash"] for e in entries if e["seq"] not in replaced}
    lost = sorted(login for login, receipt in receipts.items() if hash_receipt(receipt) not in effective)
    chained = all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:], strict=False))
    counted = result.json()["participating"]["persons"]
    per_choice = sum(c["persons"] for c in result.json()["choices"].values())
    return {
        "ok": not lost and chained and counted == per_choice == len(effective) >= len(receipts),
        "receipts": len(receipts),
        "lost": lost[:10],
        "lost_count": len(lost),
        "ledger_entries": len(entries),
        "chain_linked": chained,
        "result_persons": counted,
        "result_choices_persons": per_choice,
    }


def server_5xx(server: Server) -> list[str]:
    """5xx lines of the server's access log."""
    try:
        text = server.log_path.read_bytes()
    except OSError:
        return ["the server's log is unreadable"]
    return [line.decode(errors="replace")[:200] for line in text.splitlines() if FIVE_XX.search(line)]


# --- the run -------------------------------------------------------------------------------------


def run(world: Any, state: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Start the load processes, wait for the sockets, let the traffic run, sample memory, collect."""
    mp = multiprocessing.get_context("spawn")
    results: Any = mp.Queue()
    go, done, start = mp.Event(), mp.Event(), mp.Value("d", 0.0)
    url, members, proposal = world.server.url, state["members"], state["proposal"]
    voters = voters_for(seconds)
    base = {"url": url, "port": world.server.port, "proposal": proposal, "seconds": seconds}
    csv = roll_csv(ROLL_UNITS, prefix="im")
    imports = [(f"soak-import-{n}", at) for n, at in enumerate(IMPORTS_AT, 1)]
    socket_members = [(i, m["token"]) for i, m in enumerate(members[:SOCKETS])]
    roles: list[tuple[str, dict[str, Any]]] = [
        (f"sockets{n}", {"tokens": socket_members[n::SOCKET_PROCESSES]}) for n in range(SOCKET_PROCESSES)
    ]
    roles += [
        ("voters", {"voters": [(m["login"], m["token"]) for m in members[:voters]]}),
        ("commenters", {"tokens": [m["token"] for m in members[-COMMENTERS:]]}),
        ("readers", {"members": [(m["session"], m["token"]) for m in members[:SOCKETS]]}),
        ("slow", {}),
        ("importer", {"csv": csv, "headers": world.admin_headers, "imports": imports}),
    ]
    processes = [
        mp.Process(
            target=soak_load.role_main,
            args=(name, {**base, **spec}, results, go, done, start),
            name=f"soak-{name}",
            daemon=True,
        )
        for name, spec in roles
    ]
    for process in processes:
        process.start()
    reports: dict[str, dict[str, Any]] = {}
    samples: list[tuple[float, int]] = []
    warmup: dict[str, Any] = {"status": None, "at": "warm-up"}
    try:
        ready = 0
        deadline = time.monotonic() + 180
        while ready < SOCKET_PROCESSES and time.monotonic() < deadline:
            kind, name, payload = results.get(timeout=max(1.0, deadline - time.monotonic()))
            if kind == "ready":
                ready += 1
                print(f"soak: {name} holds {payload['connected']} websockets", flush=True)
            else:
                reports[name] = payload
        sent = time.monotonic()
        warm = world.call("PUT", "/api/v1/halls/soak-import-0/roll", csv.encode(), content_type="text/csv")
        warmup = {"status": warm.status, "seconds": round(time.monotonic() - sent, 2), "at": "warm-up"}
        print(f"soak: {seconds:.0f} s of traffic from {len(processes)} processes", flush=True)
        start.value = time.time()
        go.set()
        began = time.monotonic()
        while (at := time.monotonic() - began) <= seconds:
            samples.append((at, server_rss_kib(world.server)))
            time.sleep(min(SAMPLE_EVERY, max(0.0, seconds - at) + 0.01))
        http_roles = len(roles) - SOCKET_PROCESSES
        while sum(1 for n in reports if not n.startswith("sockets")) < http_roles:
            kind, name, payload = results.get(timeout=180)
            reports[name] = payload
        done.set()  # the last comment has been answered: the sockets read what is left, then close
        while len(reports) < len(roles):
            kind, name, payload = results.get(timeout=120)
            reports[name] = payload
    except Exception as error:  # noqa: BLE001 — a process that died or hung fails the soak, said below
        reports.setdefault("soak", {"errors": [f"collecting: {error!r}"]})
    finally:
        done.set()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    missing = [name for name, _spec in roles if name not in reports]
    if missing:
        reports.setdefault("soak", {"errors": []})["errors"].append(f"no report from {missing}")
    return {"reports": reports, "memory": samples, "warmup": warmup}


def summarize(
    seconds: float, ran: dict[str, Any], ledger: dict[str, Any], log_5xx: list[str], healthz: int
) -> dict[str, Any]:
    reports: dict[str, dict[str, Any]] = ran["reports"]
    statuses: dict[str, int] = {}
    errors: list[str] = []
    for name, report in sorted(reports.items()):
        for status, n in report.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + n
        errors += [f"{name}: {e}" for e in report.get("errors", [])]
    sockets = [r for n, r in reports.items() if n.startswith("sockets")]
    comments = reports.get("commenters", {}).get("created", 0)
    casts = len(reports.get("voters", {}).get("receipts", {}))
    per_socket = [c for r in sockets for c in r.get("comment_events", [])]
    delivered = {
        "sockets_connected": sum(r.get("connected", 0) for r in sockets),
        "sockets_open_to_the_end": sum(r.get("open_at_end", 0) for r in sockets),
        "closed_early": {k: v for r in sockets for k, v in r.get("closed_early", {}).items()},
        "messages": sum(r.get("received", 0) for r in sockets),
        "comments_created": comments,
        "comment_events_per_socket_min": min(per_socket, default=0),
        "turnout_events_per_socket_min": min(
            (c for r in sockets for c in r.get("turnout_events", [])), default=0
        ),
        "casts_acknowledged": casts,
    }
    return {
        "seconds": seconds,
        "statuses": dict(sorted(statuses.items())),
        "server_5xx_logged": len(log_5xx),
        "page_ms": reports.get("readers", {}).get("page_ms"),
        "cast_ms": reports.get("voters", {}).get("cast_ms"),
        "websockets": delivered,
        "slow_connections_opened": reports.get("slow", {}).get("opened"),
        "roll_imports": [ran["warmup"]] + reports.get("importer", {}).get("imports", []),
        "ledger": ledger,
        "memory": memory_verdict(ran["memory"], seconds),
        "healthz_after": healthz,
        "errors": errors[:20],
        "error_count": len(errors),
    }


def failures(summary: dict[str, Any], voters: int) -> list[str]:
    found = []
    five = sum(n for status, n in summary["statuses"].items() if status.startswith("5"))
    if five or summary["server_5xx_logged"]:
        found.append(f"5xx: {five} answered, {summary['server_5xx_logged']} in the server's log")
    if summary["error_count"]:
        found.append(f"{summary['error_count']} transport or websocket error(s)")
    ws = summary["websockets"]
    if ws["sockets_connected"] < SOCKETS or ws["sockets_open_to_the_end"] < SOCKETS:
        found.append(
            f"websockets: {ws['sockets_connected']} connected, "
            f"{ws['sockets_open_to_the_end']} open at the end"
        )
    if ws["comment_events_per_socket_min"] < ws["comments_created"]:
        found.append(
            f"a socket missed comments ({ws['comment_events_per_socket_min']} of {ws['comments_created']})"
        )
    if not summary["ledger"].get("ok"):
        found.append(f"receipts: {summary['ledger']}")
    if ws["casts_acknowledged"] < voters:
        found.append(f"only {ws['casts_acknowledged']} of {voters} casts acknowledged")
    if not summary["memory"].get("ok"):
        found.append(f"memory: {summary['memory']}")
    if summary["healthz_after"] != 200:
        found.append(f"/healthz after: {summary['healthz_after']}")
    if (
        any((done or {}).get("status") != 200 for done in summary["roll_imports"])
        or len(summary["roll_imports"]) != len(IMPORTS_AT) + 1
    ):
        found.append(f"roll imports: {summary['roll_imports']}")
    return found


def headline(summary: dict[str, Any]) -> str:
    """The run in one line, for CI logs."""
    five = sum(n for status, n in summary["statuses"].items() if status.startswith("5"))
    ws, ledger, memory = summary["websockets"], summary["ledger"], summary["memory"]
    return (
        f"{summary['seconds']:.0f} s, {sum(summary['statuses'].values())} answers, {five} 5xx "
        f"({summary['server_5xx_logged']} logged), {ledger.get('receipts', 0) - ledger.get('lost_count', 0)}"
        f" of {ws['casts_acknowledged']} receipts in the ledger, {ws['sockets_open_to_the_end']} of "
        f"{ws['sockets_connected']} websockets open to the end ({ws['comment_events_per_socket_min']} of "
        f"{ws['comments_created']} comments on each), server RSS {memory.get('first_window_mib')} -> "
        f"{memory.get('last_window_mib')} MiB ({memory.get('growth', 0):+.1%}), "
        f"{summary['error_count']} error(s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args(argv)
    seconds = args.seconds
    with tempfile.TemporaryDirectory(prefix="agora-soak-") as tmp:
        world, state = setup(seconds, args.pg, Path(tmp))
        print(f"soak: serving at {world.server.url}, {seconds:.0f} s of traffic", flush=True)
        try:
            ran = run(world, state, seconds)
            receipts = ran["reports"].get("voters", {}).get("receipts", {})
            ledger = check_receipts(world, state["proposal"], receipts)
            alive = world.call("GET", "/healthz", timeout=10).status
            log_5xx = server_5xx(world.server)
        finally:
            for cleanup in state["ctx"].cleanups:
                cleanup()
    summary = summarize(seconds, ran, ledger, log_5xx, alive)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    found = failures(summary, voters_for(seconds))
    for reason in found:
        print(f"soak: {reason}", file=sys.stderr)
    print(f"soak: {'FAILED' if found else 'ok'}: {headline(summary)}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

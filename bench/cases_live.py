"""Live benchmarks: fan-out of a comment to connected hall members, many clients, idle memory, Redis."""

from __future__ import annotations

import os
from typing import Any

from bench.harness import Context, NotMeasurable, Result
from bench.servers import Server, start_agora, start_baseline
from bench.world import World, add_members, create_users, ensure_compound, shared_world

HALL = "bench-live"
WS_PATH = f"/ws/halls/{HALL}?format=json"
CONNECT_CONCURRENCY = 100  # handshakes in flight at once, for agora and for the bare server alike
AUTHORS = 400  # agora lets a member post 10 comments a minute: probes rotate over this many authors


def live_world(ctx: Context) -> tuple[World, list[dict[str, Any]]]:
    """The shared single-worker SQLite agora with a compound hall and enough members for every live test."""
    if "live" not in ctx.shared:
        world = shared_world(ctx)
        ensure_compound(world, HALL)
        wanted = max(ctx.sizes.max_clients, ctx.sizes.fanout_clients, ctx.sizes.idle_clients) + AUTHORS

        async def seed() -> list[dict[str, Any]]:
            users = await create_users("live", wanted)
            await add_members(HALL, [u["id"] for u in users])
            return users

        ctx.shared["live"] = (world, world.db(seed))
    return ctx.shared["live"]


def comment_trigger(world: World, users: list[dict[str, Any]]) -> dict[str, Any]:
    """A proposal open for discussion and the request that posts a comment carrying `{marker}`."""
    from bench.cases_http import open_discussion

    proposal_id = open_discussion(world, HALL)
    return {
        "method": "POST",
        "path": f"/api/v1/proposals/{proposal_id}/comments",
        "headers_cycle": [{"Authorization": f"Bearer {u['token']}"} for u in users[-AUTHORS:]],
        "json": {"body": "Live fan-out probe {marker}: 电梯加装意见", "parent": None, "stance": "neutral"},
    }


def _clients(users: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    if len(users) - AUTHORS < n:
        raise NotMeasurable(f"only {len(users)} members seeded for {n} clients")
    return [{"headers": {"Authorization": f"Bearer {u['token']}"}} for u in users[:n]]


def fanout_once(
    ctx: Context,
    world: World,
    server: Server,
    clients: list[dict[str, Any]],
    trigger: dict[str, Any],
    messages: int,
) -> dict[str, Any]:
    offset = ctx.shared.get("author_cursor", 0)
    ctx.shared["author_cursor"] = offset + messages
    return ctx.load(
        {
            "mode": "ws_fanout",
            "cycle_offset": offset,
            "port": server.port,
            "watch_pids": server.pids(),
            "path": WS_PATH,
            "clients": clients,
            "trigger": trigger,
            "messages": messages,
            "connect_concurrency": CONNECT_CONCURRENCY,
            "message_timeout": 15,
            "max_seconds": max(ctx.sizes.max_seconds, 30 + len(clients) / 50),
        }
    )


def bench_fanout(ctx: Context) -> Result:
    """A comment posted until the last of N members has it, against a bare broadcast of the same text."""
    result = Result("fanout", f"Comment fan-out to {ctx.sizes.fanout_clients} hall members (1 worker)")
    world, users = live_world(ctx)
    trigger = comment_trigger(world, users)
    clients = _clients(users, ctx.sizes.fanout_clients)
    last = result.figure("last client has it, p99", "ms", baseline_label="bare broadcast p99")
    median = result.figure("last client has it, p50", "ms", baseline_label="bare broadcast p50")
    delivery = result.figure("any client has it, p99", "ms")
    baseline = start_baseline(world.server.log_path.parent)
    try:
        for run in range(ctx.runs):
            measured = fanout_once(ctx, world, world.server, clients, trigger, ctx.sizes.fanout_messages)
            if measured["trigger_errors"]:
                raise RuntimeError(f"posting a comment failed: {measured['trigger_errors'][0]}")
            sample = measured.get("sample") or result.details.get("sample") or ""
            if sample:
                result.details["sample"] = sample
                result.details["message_bytes"] = len(sample.encode())
            bare = bare_fanout(ctx, baseline, len(clients), sample)
            last.values.append(measured["last_ms"]["p99"])
            last.baseline.append(bare["last_ms"]["p99"])
            median.values.append(measured["last_ms"]["p50"])
            median.baseline.append(bare["last_ms"]["p50"])
            delivery.values.append(measured["delivery_ms"]["p99"])
            result.details[f"run{run + 1}"] = {"agora": _brief(measured), "bare": _brief(bare)}
    finally:
        baseline.stop()
    ratio = last.as_dict()["ratio"]["median"]
    result.target("p99 ≤ 2× bare broadcast", None if ratio is None else ratio <= 2)
    result.notes.append(
        "latency runs from sending the POST to the comment's arrival at the last client: agora's includes "
        "the comment's write (SQLite, synchronous=FULL) and rendering; the bare broadcast sends the same text"
    )
    return result


def bare_fanout(ctx: Context, baseline: Server, clients: int, sample: str) -> dict[str, Any]:
    """The bare broadcast of the same text to as many clients."""
    return ctx.load(
        {
            "mode": "ws_fanout",
            "port": baseline.port,
            "watch_pids": baseline.pids(),
            "path": "/ws",
            "clients": [{"headers": {}} for _ in range(clients)],
            "trigger": {"method": "POST", "path": "/broadcast", "body": _with_marker(sample)},
            "messages": ctx.sizes.fanout_messages,
            "connect_concurrency": CONNECT_CONCURRENCY,
            "message_timeout": 15,
        }
    )


def _with_marker(sample: str) -> str:
    import re

    return re.sub(r"bench[0-9a-f]{12}", "{marker}", sample) if sample else "{marker}" + "x" * 400


def _brief(measured: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "connected",
        "alive_before",
        "alive_after",
        "messages_sent",
        "messages_complete",
        "missing_deliveries",
    )
    brief = {k: measured.get(k) for k in keys}
    brief.update(
        last_ms=measured["last_ms"],
        trigger_ms=measured.get("trigger_ms"),  # the POST alone: how much of last_ms is the write
        server_cpu_ms=measured.get("server_cpu_ms"),  # a message's CPU, server and load generator
        client_cpu_ms=measured.get("client_cpu_ms"),
        connect_s=round(measured["connect_s"], 2),
        closed_codes=measured["closed_codes"],
        connect_failures=measured["connect_failures"],
    )
    return brief


def bench_fanout_max(ctx: Context) -> Result:
    """All of 5,000 clients connected to one worker receive every comment."""
    n = ctx.sizes.max_clients
    result = Result("fanout_max", f"{n:,} clients on one worker")
    world, users = live_world(ctx)
    trigger = comment_trigger(world, users)
    clients = _clients(users, n)
    served = result.figure("clients connected and served", "clients")
    last = result.figure("last client has it, p99", "ms")
    connect = result.figure(
        "time to connect (all, or until the limit)",
        "s",
        baseline_label="the same clients to a bare websocket server",
    )
    rate = result.figure("connections accepted per second", "/s")
    all_met = True
    for run in range(ctx.runs):
        measured = fanout_once(
            ctx, world, world.server, clients, trigger, max(3, ctx.sizes.fanout_messages // 5)
        )
        connect.baseline.append(_bare_connect_s(ctx, world.server.log_path.parent, n))
        complete = (
            measured["messages_complete"] == measured["messages_sent"] and not measured["missing_deliveries"]
        )
        served.values.append(measured["alive_after"] if complete else measured["alive_after"] - 0.5)
        last.values.append(measured["last_ms"]["p99"])
        connect.values.append(measured["connect_s"])
        rate.values.append(measured["connected"] / measured["connect_s"] if measured["connect_s"] else None)
        all_met &= measured["connected"] == n and measured["alive_after"] == n and complete
        result.details[f"run{run + 1}"] = _brief(measured)
    result.target(f"all of {n:,} clients served by one worker", all_met)
    connect_median = connect.as_dict()["value"]["median"]
    result.target(f"all of {n:,} connected in < 5 s", None if connect_median is None else connect_median < 5)
    result.notes.append(
        "the baseline connects the same number of clients, from the same source addresses and as many at a "
        "time, to the bare websocket route of bench.baseline_apps (uvicorn and Starlette, no authentication, "
        "no hub): what accepting the connections costs on this machine before any agora code runs"
    )
    return result


def _bare_connect_s(ctx: Context, work: Any, n: int) -> float:
    """Seconds for `n` clients to connect to the bare websocket server (a fresh one)."""
    bare = start_baseline(work)
    try:
        spec = {
            "mode": "ws_idle",
            "port": bare.port,
            "path": "/ws",
            "clients": [{} for _ in range(n)],
            "connect_concurrency": CONNECT_CONCURRENCY,  # as many at a time as agora's clients
        }
        fleet = ctx.idle_fleet(spec)
        status = fleet.wait_connected()
        fleet.release()
    finally:
        bare.stop()
    if status["connected"] < n:
        raise RuntimeError(f"only {status['connected']} of {n} clients reached the bare websocket server")
    return float(status["connect_s"])


def bench_idle_memory(ctx: Context) -> Result:
    """Server RSS per idle hall connection against a bare websocket connection (fresh servers each run)."""
    n = ctx.sizes.idle_clients
    result = Result("idle_memory", f"Memory per idle hall connection ({n:,} connections)")
    world, users = live_world(ctx)
    clients = _clients(users, n)
    per = result.figure("server RSS per connection", "KiB", baseline_label="bare websocket")
    work = world.server.log_path.parent
    for run in range(ctx.runs):
        agora = start_agora(world.server.env, work, name=f"idle{run}")
        try:
            agora_kib = _rss_per_connection(ctx, agora, WS_PATH, clients)
        finally:
            agora.stop()
        bare = start_baseline(work)
        try:
            bare_kib = _rss_per_connection(ctx, bare, "/ws", [{"headers": {}} for _ in clients])
        finally:
            bare.stop()
        per.values.append(agora_kib)
        per.baseline.append(bare_kib)
    ratio = per.as_dict()["ratio"]["median"]
    result.target("≤ 2× the bare websocket connection", None if ratio is None else ratio <= 2)
    result.notes.append(
        "VmRSS from /proc/<pid>/status before and after the clients connect, after a 20-client warm-up"
    )
    return result


def _rss_per_connection(ctx: Context, server: Any, path: str, clients: list[dict[str, Any]]) -> float:
    warm = ctx.idle_fleet({"mode": "ws_idle", "port": server.port, "path": path, "clients": clients[:20]})
    warm.wait_connected()
    warm.release()
    before = server.rss_kib()
    fleet = ctx.idle_fleet({"mode": "ws_idle", "port": server.port, "path": path, "clients": clients})
    status = fleet.wait_connected()
    after = server.rss_kib()
    fleet.release()
    if status["alive"] < len(clients):
        raise RuntimeError(f"only {status['alive']} of {len(clients)} idle clients stayed connected")
    return (after - before) / len(clients)


def bench_fanout_redis(ctx: Context) -> Result:
    """The same fan-out through Redis pub/sub across two workers, against one worker in-process; beside
    it, through Redis with one worker (the hop alone), the workers' CPU a comment in each, and the bare
    broadcast both ways (what the two-worker shape costs on this machine with no agora code in it)."""
    n = ctx.sizes.fanout_clients
    result = Result("fanout_redis", f"Comment fan-out to {n:,} members through Redis, 2 workers")
    if not ctx.redis_url:
        raise NotMeasurable("no Redis at 127.0.0.1:6379")
    world, users = live_world(ctx)
    trigger = comment_trigger(world, users)
    clients = _clients(users, n)
    redis_env = {**world.server.env, "AGORA_REDIS_URL": ctx.redis_url}
    two = start_agora(redis_env, world.server.log_path.parent, workers=2, name="redis2")
    one = start_agora(redis_env, world.server.log_path.parent, workers=1, name="redis1")
    last = result.figure(
        "last client has it, p99 (Redis, 2 workers)", "ms", baseline_label="in-process, 1 worker"
    )
    hop = result.figure(
        "last client has it, p99 (Redis, 1 worker)", "ms", baseline_label="in-process, 1 worker"
    )
    cpu_two = result.figure(
        "workers' CPU a comment (Redis, 2 workers)", "ms", baseline_label="in-process, 1 worker"
    )
    bare_two = result.figure(
        "bare broadcast p99 (Redis, 2 workers)", "ms", baseline_label="bare broadcast, 1 worker"
    )
    messages = ctx.sizes.fanout_messages
    work = world.server.log_path.parent
    bare_env = {**os.environ, "AGORA_BENCH_REDIS_URL": ctx.redis_url}
    bare_redis = bare_local = None

    def measured(server: Server) -> tuple[dict[str, Any], float]:
        outcome = fanout_once(ctx, world, server, clients, trigger, messages)
        return outcome, outcome["server_cpu_ms"]

    try:
        bare_redis = start_baseline(work, env=bare_env, workers=2)
        bare_local = start_baseline(work)
        for run in range(ctx.runs):
            through_redis, redis_cpu = measured(two)
            in_process, local_cpu = measured(world.server)
            through_one, _one_cpu = measured(one)
            sample = in_process.get("sample") or ""
            bare_through_redis = bare_fanout(ctx, bare_redis, len(clients), sample)
            bare_in_process = bare_fanout(ctx, bare_local, len(clients), sample)
            bare_two.values.append(bare_through_redis["last_ms"]["p99"])
            bare_two.baseline.append(bare_in_process["last_ms"]["p99"])
            last.values.append(through_redis["last_ms"]["p99"])
            last.baseline.append(in_process["last_ms"]["p99"])
            hop.values.append(through_one["last_ms"]["p99"])
            hop.baseline.append(in_process["last_ms"]["p99"])
            cpu_two.values.append(redis_cpu)
            cpu_two.baseline.append(local_cpu)
            result.details[f"run{run + 1}"] = {
                "redis": _brief(through_redis),
                "in_process": _brief(in_process),
                "redis_one_worker": _brief(through_one),
                "bare_redis": _brief(bare_through_redis),
                "bare_in_process": _brief(bare_in_process),
            }
    finally:
        for server in (two, one, bare_redis, bare_local):
            if server is not None:
                server.stop()
    figure = last.as_dict()
    a, b = figure["value"]["median"], figure["baseline"]["median"]
    result.target("p99 ≤ in-process p99 + 10 ms", None if a is None or b is None else a <= b + 10)
    result.notes.append(
        "both workers share the SQLite file; clients are spread over the workers by the kernel"
    )
    result.notes.append(
        "the same path through Redis with one worker measures the hop alone; with two, three busy "
        "processes (two workers and the load generator with its 1,000 sockets) share this machine's two "
        "cores, which the in-process run (one worker and the load generator) does not. The bare "
        "broadcast through Redis with two workers, against the bare broadcast in one process, measures "
        "that shape's cost here with no agora code in it; the workers' CPU a comment (while the "
        "comments are sent, not while connecting) is agora's own work, and each run's details give the "
        "load generator's CPU a comment (client_cpu_ms) beside it"
    )
    return result

"""What every benchmark shares: the run's context, the load process, and the shape of a result."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.servers import ROOT, Server
from bench.stats import ratio, spread


class Pending(Exception):
    """A feature the benchmark needs has not landed (the route answers 404/405, or the module is missing)."""


class NotMeasurable(Exception):
    """The figure cannot be measured on this machine; the message says why."""


@dataclass(frozen=True)
class Sizes:
    """Every size a benchmark uses; `--quick` shrinks them all for the smoke test."""

    http_requests: int = 3000
    concurrency: int = 64
    ballots: int = 1500
    raw_inserts: int = 3000
    page_comments: int = 100
    fanout_clients: int = 1000
    fanout_messages: int = 200  # p99 by nearest rank: of 30 samples it was the maximum, of 200 the 198th
    max_clients: int = 5000
    idle_clients: int = 1000
    tally_persons: int = 10_000
    roll_units: int = 20_000
    pdf_ballots: int = 10_000
    page_growth: tuple[int, ...] = (100, 1000, 10_000)
    tally_growth: tuple[int, ...] = (100, 1000, 10_000, 50_000)  # a roll holds at most 60,000 rows
    stats_compounds: int = 50
    stats_items: int = 20_000
    max_seconds: float = 60.0

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            http_requests=60,
            concurrency=8,
            ballots=40,
            raw_inserts=50,
            page_comments=5,
            fanout_clients=10,
            fanout_messages=3,
            max_clients=20,
            idle_clients=10,
            tally_persons=50,
            roll_units=50,
            pdf_ballots=20,
            page_growth=(5, 20),
            tally_growth=(10, 50),
            stats_compounds=2,
            stats_items=40,
            max_seconds=15.0,
        )


@dataclass
class Figure:
    """One figure over runs: agora's values, the baseline's (same runs), and their per-run ratio."""

    label: str
    unit: str
    values: list[float | None] = field(default_factory=list)
    baseline: list[float | None] = field(default_factory=list)
    baseline_label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        ratios = [ratio(v, b) for v, b in zip(self.values, self.baseline, strict=False)]
        return {
            "label": self.label,
            "unit": self.unit,
            "value": spread(self.values),
            "baseline_label": self.baseline_label,
            "baseline": spread(self.baseline) if self.baseline else None,
            "ratio": spread(ratios) if self.baseline else None,
            "runs": self.values,
            "baseline_runs": self.baseline,
        }


@dataclass
class Result:
    name: str
    title: str
    status: str = "measured"  # measured | pending | not_measurable | failed
    reason: str | None = None
    figures: list[Figure] = field(default_factory=list)
    targets: list[tuple[str, bool | None]] = field(default_factory=list)  # (text, met)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def figure(self, label: str, unit: str, baseline_label: str | None = None) -> Figure:
        for existing in self.figures:
            if existing.label == label:
                return existing
        created = Figure(label, unit, baseline_label=baseline_label)
        self.figures.append(created)
        return created

    def target(self, text: str, met: bool | None) -> None:
        self.targets.append((text, met))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "figures": [f.as_dict() for f in self.figures],
            "targets": [{"target": t, "verdict": _verdict(m)} for t, m in self.targets],
            "notes": self.notes,
            "details": self.details,
            "seconds": round(self.seconds, 1),
        }


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "missed")


@dataclass
class Context:
    sizes: Sizes
    runs: int
    work: Path
    quick: bool
    pg_url: str | None = None
    redis_url: str | None = None
    shared: dict[str, Any] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def load(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Run one load spec in a separate process and return its JSON result."""
        spec = {"host": "127.0.0.1", "max_seconds": self.sizes.max_seconds, **spec}
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.load"],
            input=json.dumps(spec) + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=float(spec["max_seconds"]) + 120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"load process failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def idle_fleet(self, spec: dict[str, Any]) -> IdleFleet:
        return IdleFleet(self, {"host": "127.0.0.1", "max_seconds": self.sizes.max_seconds, **spec})


class IdleFleet:
    """A load process holding idle websocket clients until released."""

    def __init__(self, ctx: Context, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.load"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(spec) + "\n")
        self.process.stdin.flush()

    def wait_connected(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"idle fleet failed: {self.process.stderr.read()[-2000:] if self.process.stderr else ''}"
            )
        return json.loads(line)

    def release(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("release\n")
        self.process.stdin.flush()
        out = self.process.stdout.read()
        self.process.wait(timeout=60)
        return json.loads(out.strip().splitlines()[-1])


def http_spec(server: Server, requests: list[dict[str, Any]], count: int, concurrency: int) -> dict[str, Any]:
    return {
        "mode": "http",
        "port": server.port,
        "requests": requests,
        "count": count,
        "concurrency": concurrency,
    }

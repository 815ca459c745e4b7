"""Small statistics: percentiles of samples and min / median / max over runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by the nearest-rank method; None for no samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float | int | None]:
    return {
        "n": len(samples_ms),
        "p50": percentile(samples_ms, 50),
        "p90": percentile(samples_ms, 90),
        "p99": percentile(samples_ms, 99),
        "max": max(samples_ms) if samples_ms else None,
        "mean": statistics.fmean(samples_ms) if samples_ms else None,
    }


def spread(values: Iterable[float | None]) -> dict[str, float | None]:
    """min / median / max of one figure over several runs (runs without a value are left out)."""
    present = [v for v in values if v is not None]
    if not present:
        return {"min": None, "median": None, "max": None, "runs": 0}
    return {
        "min": min(present),
        "median": statistics.median(present),
        "max": max(present),
        "runs": len(present),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / denominator  # type: ignore[operator]

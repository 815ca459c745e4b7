"""The soak's memory verdict (bench/soak.py): windowed medians, not single samples."""

from __future__ import annotations

from bench.soak import MEMORY_GROWTH, memory_verdict


def samples(seconds: float, rss_at: object) -> list[tuple[float, int]]:
    return [(t / 2, int(rss_at(t / 2))) for t in range(int(seconds * 2) + 1)]  # type: ignore[operator]


def test_a_warm_up_rise_and_a_lone_spike_are_flat() -> None:
    def rss(at: float) -> float:
        if at < 50:
            return 80_000 + at * 1000  # warm-up: caches and pools fill
        return 140_000 if int(at) != 570 else 200_000  # one spike in the last minute

    verdict = memory_verdict(samples(600, rss), 600)
    assert verdict["ok"] and verdict["growth"] == 0.0 and verdict["windows_s"] == [60, 120, 540, 600]


def test_steady_growth_past_the_limit_fails() -> None:
    grows = samples(600, lambda at: 100_000 * (1 + (MEMORY_GROWTH + 0.03) * at / 600))
    assert not memory_verdict(grows, 600)["ok"]
    within = samples(600, lambda at: 100_000 * (1 + (MEMORY_GROWTH - 0.03) * at / 600))
    assert memory_verdict(within, 600)["ok"]


def test_a_short_run_compares_fifths_and_needs_samples() -> None:
    step = samples(60, lambda at: 100_000 if at < 30 else 112_000)
    verdict = memory_verdict(step, 60)
    assert verdict["windows_s"] == [6, 18, 48, 60] and not verdict["ok"] and verdict["growth"] == 0.12
    assert not memory_verdict([(0.0, 1), (59.0, 1)], 60)["ok"]

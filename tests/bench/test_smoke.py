"""Every benchmark runs at tiny sizes, so the harness cannot rot (the real runs are `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert (out / "latest.json").exists(), completed.stderr[-4000:]
    data = json.loads((out / "latest.json").read_text())
    data["stderr"] = completed.stderr
    data["out"] = out
    return data


def test_every_benchmark_ran_without_failing(quick_results: dict) -> None:
    from bench.run import BENCHMARKS

    results = {r["name"]: r for r in quick_results["results"]}
    assert set(results) == set(BENCHMARKS)
    failed = {name: r["reason"] for name, r in results.items() if r["status"] == "failed"}
    assert not failed, f"{failed}\n{quick_results['stderr'][-4000:]}"


def test_measured_benchmarks_have_figures_and_verdicts(quick_results: dict) -> None:
    for result in quick_results["results"]:
        if result["status"] == "measured":
            assert result["figures"], result["name"]
            assert all(f["value"]["runs"] >= 1 for f in result["figures"]), result["name"]
        else:
            assert result["reason"], result["name"]


def test_markdown_table_and_plots_are_written(quick_results: dict) -> None:
    out: Path = quick_results["out"]
    text = (out / "latest.md").read_text()
    assert "| Benchmark | Target | Verdict |" in text
    for result in quick_results["results"]:
        if result["details"].get("series"):
            assert (out / f"{result['name']}.svg").read_text().startswith("<svg")


def test_readme_and_docs_take_the_latest_tables(quick_results: dict, tmp_path: Path) -> None:
    """A full run rewrites the README's table and docs/bench.md between their markers, nothing else."""
    from bench.report import END, START, update_docs, update_readme

    latest = (quick_results["out"] / "latest.md").read_text()
    for update in (update_readme, update_docs):
        page = tmp_path / "page.md"
        page.write_text(f"# Title\n\nbefore\n\n{START}\nold table\n{END}\n\nafter\n")
        update(page, latest)
        text = page.read_text()
        assert text.startswith("# Title\n\nbefore\n\n") and text.endswith(f"{END}\n\nafter\n")
        assert "old table" not in text
        assert "| Benchmark | Target | Verdict |" in text
        assert "| Benchmark | Figure | min | median | max |" in text
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme, "the README shows the benchmark table between its markers"


def test_load_generator_refuses_other_hosts() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=json.dumps({"mode": "http", "host": "10.0.0.1", "port": 80, "requests": [], "count": 1}) + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode != 0
    assert "refusing" in completed.stderr


def test_stats_and_svg() -> None:
    from bench.stats import percentile, spread
    from bench.svg import line_plot

    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([], 50) is None
    assert spread([3.0, None, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0, "runs": 3}
    svg = line_plot("t", "x", "y", {"a": [(1, 1.0), (10, 5.0)]}, log_x=True)
    assert svg.startswith("<svg") and "polyline" in svg

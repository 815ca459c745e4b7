"""Results: latest.json (everything), latest.md (the tables), one SVG per plotted series."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.harness import Result
from bench.svg import line_plot

QUICK = " (quick sizes: a smoke run, not a measurement)"
NOTE = (
    "The machine has {cpus} cores and the load generator runs on it too: it competes with the server for "
    "CPU, so every rate here is lower, and every latency higher, than the server alone would give. Baselines "
    "run under the same conditions in the same run, which is why the ratios are the figures to compare."
)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "×":
        return f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(cell: dict[str, Any] | None, unit: str = "") -> tuple[str, str, str]:
    if not cell or not cell.get("runs"):
        return "–", "–", "–"
    return _fmt(cell["min"], unit), _fmt(cell["median"], unit), _fmt(cell["max"], unit)


def markdown(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    machine = meta["machine"]
    lines = [
        "# agora benchmarks: latest results",
        "",
        f"Run {meta['started']} on commit `{meta['commit']}`, {meta['runs']} run(s) per figure"
        f"{QUICK if meta['quick'] else ''}, {meta['seconds']} s in all"
        f"{' so far (the run is still going: partial results)' if meta.get('partial') else ''}.",
        f"Machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory']}, "
        f"Python {machine['python']}.",
        "",
        NOTE.format(cpus=machine["cpus"]),
        "",
        "Figures are min / median / max over the runs; a ratio is agora's figure divided by the baseline's "
        "measured in the same run (then min / median / max of those ratios). Verdicts use the medians.",
        "",
        "## Targets",
        "",
        "| Benchmark | Target | Verdict |",
        "|---|---|---|",
    ]
    for r in results:
        if r["targets"]:
            for t in r["targets"]:
                lines.append(f"| {r['title']} | {t['target']} | **{t['verdict']}** |")
        elif r["status"] != "measured":
            lines.append(f"| {r['title']} | – | {r['status'].replace('_', ' ')}: {r['reason']} |")
    lines += [
        "",
        "## Figures",
        "",
        "| Benchmark | Figure | min | median | max | baseline | baseline median | ratio min / median / max |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        if r["status"] != "measured":
            lines.append(f"| {r['title']} | *{r['status'].replace('_', ' ')}* | | | | | | |")
            continue
        for f in r["figures"]:
            lo, mid, hi = _spread(f["value"])
            base = _fmt(f["baseline"]["median"]) if f.get("baseline") and f["baseline"].get("runs") else "–"
            ratio = " / ".join(_spread(f.get("ratio"), "×")) if f.get("ratio") else "–"
            lines.append(
                f"| {r['title']} | {f['label']} ({f['unit']}) | {lo} | {mid} | {hi} | "
                f"{f.get('baseline_label') or '–'} | {base} | {ratio} |"
            )
    if meta.get("merged_into"):
        lines += [
            "",
            f"Some benchmarks were re-run on {meta['started']} (commit `{meta['commit']}`) and merged into "
            f"the full run of {meta['merged_into']}; `details.measured` in latest.json dates each result.",
        ]
    lines += ["", "## Notes", ""]
    lines += [f"- **setup**: {note}" for note in meta.get("setup", [])]
    busy = [r for r in results if r["details"].get("loadavg_1min_after", 0) > (machine["cpus"] or 2) + 1]
    if busy:
        lines.append(
            "- **machine load**: other processes were running during "
            + ", ".join(
                f"{r['name']} (1-min load average {r['details']['loadavg_1min_after']})" for r in busy
            )
            + f" on {machine['cpus']} CPUs; figures from those benchmarks carry that noise"
        )
    for r in results:
        notes = list(r["notes"])
        if r["status"] != "measured":
            notes.insert(0, f"{r['status'].replace('_', ' ')}: {r['reason']}")
        for note in notes:
            lines.append(f"- **{r['name']}**: {note}")
    plots = [r for r in results if r["details"].get("series")]
    if plots:
        lines += ["", "## Plots", ""]
        lines += [f"- [{r['title']}]({r['name']}.svg)" for r in plots]
    return "\n".join(lines) + "\n"


def write_results(out: Path, meta: dict[str, Any], results: list[Result], merge: bool = False) -> None:
    """Write the results; with `merge`, replace only these benchmarks in an existing latest.json."""
    out.mkdir(parents=True, exist_ok=True)
    data = [r.as_dict() for r in results]
    for entry in data:
        entry["details"].setdefault("measured", f"{meta['started']}, commit {meta['commit']}")
    if merge and (out / "latest.json").exists():
        previous = json.loads((out / "latest.json").read_text())
        before = previous["meta"]
        for entry in previous["results"]:
            entry["details"].setdefault("measured", f"{before['started']}, commit {before['commit']}")
        fresh = {r["name"]: r for r in data}
        data = [fresh.pop(r["name"], r) for r in previous["results"]] + list(fresh.values())
        setup = sorted(set(before.get("setup", [])) | set(meta.get("setup", [])))
        meta = {**meta, "setup": setup, "merged_into": before.get("merged_into") or before["started"]}
    (out / "latest.json").write_text(
        json.dumps({"meta": meta, "results": data}, indent=2, ensure_ascii=False) + "\n"
    )
    (out / "latest.md").write_text(markdown(meta, data))
    for r in data:
        series = r["details"].get("series")
        if not series:
            continue
        plot = r["details"].get("plot", {})
        svg = line_plot(
            r["title"],
            plot.get("x", "size"),
            plot.get("y", "ms"),
            {name: [tuple(p) for p in points if p[1] is not None] for name, points in series.items()},
            log_x=plot.get("log_x", False),
            log_y=plot.get("log_y", False),
        )
        (out / f"{r['name']}.svg").write_text(svg + "\n")


START, END = "<!-- latest results: start -->", "<!-- latest results: end -->"


def _section(latest_md: str, title: str) -> str:
    """One `## title` section of latest.md, without its heading."""
    part = latest_md.split(f"\n## {title}\n", 1)[1]
    return part.split("\n## ", 1)[0].strip()


def update_readme(readme: Path, latest_md: str) -> None:
    """Put the targets table, and the figures folded under it, into the README between its markers."""
    text = readme.read_text()
    if START not in text or END not in text:
        return
    first = latest_md.split("\n", 3)[2]  # "Run <date> on commit <sha>, N run(s) per figure, ..."
    figures = _section(latest_md, "Figures")
    body = (
        f"{first}\n\n{_section(latest_md, 'Targets')}\n\n<details><summary>Every figure (min / median / max, "
        f"and the ratio to its baseline)</summary>\n\n{figures}\n\n</details>"
    )
    head, _rest = text.split(START, 1)
    _old, tail = _rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{body.strip()}\n{END}{tail}")


def update_docs(docs: Path, latest_md: str) -> None:
    """Put the latest tables into docs/bench.md, between its two markers."""
    text = docs.read_text()
    if START not in text or END not in text:
        return
    body = (
        latest_md.split("\n", 2)[2]
        .replace("](", "](../bench/results/")
        .replace("../bench/results/http", "http")
        .replace("\n## ", "\n### ")
    )
    head, _rest = text.split(START, 1)
    _old, tail = _rest.split(END, 1)
    docs.write_text(f"{head}{START}\n{body.strip()}\n{END}{tail}")

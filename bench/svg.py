"""Line plots as plain SVG, without a plotting library."""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 60
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        start, stop = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        return [10.0**e for e in range(start, stop + 1)]
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.floor(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 2)]


def _label(value: float) -> str:
    if value >= 1000 and value == int(value):
        return f"{int(value):,}"
    if value == int(value):
        return str(int(value))
    return f"{value:.3g}"


def line_plot(
    title: str,
    x_label: str,
    y_label: str,
    series: dict[str, list[tuple[float, float]]],
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> str:
    """An SVG document plotting each series (name -> [(x, y), ...]) as a line with markers."""
    points = [p for values in series.values() for p in values if p[1] is not None]
    if not points:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="80">'
            f'<text x="10" y="40" font-family="sans-serif" font-size="14">'
            f"{escape(title)}: no data</text></svg>"
        )
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = (min(ys), max(ys)) if log_y else (0.0, max(ys) * 1.1 or 1.0)
    if log_x and x_lo <= 0 or log_y and y_lo <= 0:
        log_x = log_x and x_lo > 0
        log_y = log_y and y_lo > 0
    x_ticks, y_ticks = _ticks(x_lo, x_hi if x_hi > x_lo else x_lo * 10, log_x), _ticks(y_lo, y_hi, log_y)
    x_lo, x_hi = min(x_ticks[0], x_lo), max(x_ticks[-1], x_hi)
    y_lo, y_hi = min(y_ticks[0], y_lo), max(y_ticks[-1], y_hi)

    def sx(x: float) -> float:
        lo, hi, v = (math.log10(x_lo), math.log10(x_hi), math.log10(x)) if log_x else (x_lo, x_hi, x)
        return LEFT + (v - lo) / ((hi - lo) or 1) * (WIDTH - LEFT - RIGHT)

    def sy(y: float) -> float:
        lo, hi, v = (math.log10(y_lo), math.log10(y_hi), math.log10(y)) if log_y else (y_lo, y_hi, y)
        return HEIGHT - BOTTOM - (v - lo) / ((hi - lo) or 1) * (HEIGHT - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 15}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="15" y="{HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 15 {HEIGHT / 2})">'
        f"{escape(y_label)}</text>",
    ]
    for t in x_ticks:
        if x_lo <= t <= x_hi:
            x = sx(t)
            out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
            out.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 15}" text-anchor="middle">{_label(t)}</text>'
            )
    for t in y_ticks:
        if y_lo <= t <= y_hi:
            y = sy(t)
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    out.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
        f'fill="none" stroke="#333"/>'
    )
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        coords = [(sx(x), sy(y)) for x, y in sorted(values) if y is not None]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords)
        ly = TOP + 15 + index * 15
        out.append(f'<rect x="{LEFT + 10}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{LEFT + 25}" y="{ly}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)

"""Geometry for the server-rendered SVG charts (turnout meter, result bars): pure, no markup.

Every figure is exact for display purposes only: widths are percentages of the bar, computed from
integers (areas in cents); the verdicts themselves come from agora.ballots.tally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BAR_WIDTH = 300  # SVG user units


def cents(area: str | None) -> int | None:
    """ "89.50" -> 8950 (the API's area strings back to integers)."""
    if area is None:
        return None
    whole, _sep, fraction = area.partition(".")
    return int(whole) * 100 + int((fraction or "0").ljust(2, "0")[:2])


def percent(part: int, whole: int | None) -> str:
    """Display only: one decimal, rounded half down (never shows a threshold as met when it is not)."""
    if not whole:
        return "–"
    tenths = (1000 * part) // whole
    return f"{tenths // 10}.{tenths % 10}%"


def width(part: int, whole: int | None) -> int:
    if not whole:
        return 0
    return min(BAR_WIDTH, (BAR_WIDTH * part) // whole)


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    total: str
    percent: str
    width: int
    marker: int | None  # x of the threshold line, None when there is none
    marker_label: str
    met: bool | None


def turnout_bars(turnout: dict[str, Any], labels: dict[str, str]) -> list[Bar]:
    """Persons and area that took part, against the 2/3 quorum of each."""
    persons, persons_total = int(turnout["persons"]), turnout.get("persons_total")
    area, area_total = cents(turnout.get("area")) or 0, cents(turnout.get("area_total"))
    marker = (BAR_WIDTH * 2) // 3
    bars = [
        Bar(
            labels["persons"],
            str(persons),
            "?" if persons_total is None else str(persons_total),
            percent(persons, persons_total),
            width(persons, persons_total),
            marker if persons_total else None,
            labels["quorum"],
            None if not persons_total else persons >= int(turnout["persons_needed"]),
        )
    ]
    if area_total is not None or turnout.get("area_total") is not None:
        needed = cents(turnout.get("area_needed")) or 0
        bars.append(
            Bar(
                labels["area"],
                str(turnout.get("area")),
                str(turnout.get("area_total")),
                percent(area, area_total),
                width(area, area_total),
                marker if area_total else None,
                labels["quorum"],
                None if not area_total else area >= needed,
            )
        )
    return bars


def result_bars(result: dict[str, Any], choice_labels: dict[str, str]) -> list[dict[str, Any]]:
    """Per choice: persons and area, as shares of those who took part (the approval base)."""
    participating = result["participating"]
    p_total, a_total = int(participating["persons"]), cents(participating.get("area"))
    rows = []
    for key, figures in result["choices"].items():
        persons = int(figures["persons"])
        area = cents(figures.get("area"))
        rows.append(
            {
                "key": key,
                "label": choice_labels.get(key, key),
                "persons": persons,
                "persons_percent": percent(persons, p_total),
                "persons_width": width(persons, p_total),
                "area": figures.get("area"),
                "area_percent": None if area is None else percent(area, a_total),
                "area_width": 0 if area is None else width(area, a_total),
            }
        )
    return rows


def threshold_x(required: str) -> int | None:
    """Where a test's bound sits on a bar: ">= 2/3" -> 200 of 300."""
    fraction = required.lstrip("><= ").strip()
    num, _sep, den = fraction.partition("/")
    if not num.isdecimal() or not den.isdecimal() or int(den) == 0:
        return None
    return (BAR_WIDTH * int(num)) // int(den)

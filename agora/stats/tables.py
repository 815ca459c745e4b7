"""The figures as tables: for the dashboard's charts (with their text alternatives), CSV and XLSX.

Pure: no Tortoise, no Starlette. Bar widths are integers of a fixed chart width (display only).
CSV is UTF-8 with a byte-order mark (Excel on Windows then opens Chinese intact); a cell that a
spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) is
neutralised with a leading apostrophe, so a hall or category name cannot run code on the reader's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

CHART_WIDTH = 300
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: int


def bars(items: Iterable[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars scaled to the largest value (all zero: all empty)."""
    pairs = list(items)
    top = max((v for _label, v in pairs), default=0)
    return [Bar(label, value, (CHART_WIDTH * value) // top if top else 0) for label, value in pairs]


def summary_rows(figures: dict[str, Any], label: Callable[[str], str]) -> list[tuple[str, str]]:
    """Every headline figure as (label, value) — the table beside the charts and the exports' first sheet."""
    c, w, v, i = figures["concerns"], figures["wishes"], figures["votes"], figures["implementation"]
    out = [
        (label("concerns_received"), c["received"]),
        (label("concerns_resolved"), c["resolved"]),
        (label("concerns_closed_unresolved"), c["closed_unresolved"]),
        (label("concerns_open"), c["open"]),
        (label("resolution_rate"), c["resolution_rate"]),
        (label("median_days_to_resolve"), c["median_days_to_resolve"]),
        (label("satisfaction_rate"), c["satisfaction_rate"]),
        (label("wishes_received"), w["received"]),
        (label("wishes_fulfilled"), w["fulfilled"]),
        (label("votes_held"), v["held"]),
        (label("votes_passed"), v["passed"]),
        (label("votes_no_decision"), v["no_decision"]),
        (label("turnout_persons_median"), v["turnout_persons_median"]),
        (label("works_active"), i["active"]),
        (label("works_done"), i["done"]),
        (label("works_accepted"), i["accepted"]),
        (label("works_spent"), i["spent"]),
    ]
    return [(name, "–" if value is None else str(value)) for name, value in out]


def children_rows(figures: dict[str, Any]) -> list[list[str]]:
    """One line per child hall: proposals, votes held and passed, works active and done, money spent."""
    return [
        [
            child["name"],
            child["slug"],
            str(sum(child["proposals"]["by_state"].values())),
            str(child["votes"]["held"]),
            str(child["votes"]["passed"]),
            str(child["implementation"]["active"]),
            str(child["implementation"]["done"]),
            child["implementation"]["spent"],
        ]
        for child in figures["children"]
    ]


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_LEADS) else cell


def to_csv(sections: list[tuple[list[str], list[list[str]]]]) -> bytes:
    """Sections (a header row and its rows) separated by an empty line, UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for k, (header, rows) in enumerate(sections):
        if k:
            writer.writerow([])
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([neutralise(str(cell)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, list[str], list[list[str]]]]) -> bytes:
    """One worksheet per section; cells are text (exact decimal strings stay exact), neutralised."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([neutralise(str(cell)) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

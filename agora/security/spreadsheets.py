"""Cells a spreadsheet will not run (pure): OWASP's CSV injection rule, for CSV and XLSX exports.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and WPS (`=HYPERLINK(...)`, `@SUM(...)`, DDE). Such a cell is exported with a leading
single quote, which spreadsheets show as text; the roll importer drops that quote again, so an
exported roll re-imports unchanged (`restore_cell`).
"""

from __future__ import annotations

from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """The cell as text no spreadsheet evaluates; non-strings (numbers) are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def neutralise_row(values: list[Any]) -> list[Any]:
    return [neutralise_cell(v) for v in values]


def restore_cell(value: str) -> str:
    """The original text of a neutralised cell (an import of our own export)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value

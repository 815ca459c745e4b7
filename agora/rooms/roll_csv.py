"""Read an owners' roll uploaded as CSV: all-or-nothing, and every bad line reported at once.

The owners' committee fixes a roll in a spreadsheet; telling them about one error per upload would make
them upload twenty times. So parsing collects every problem with its physical line number and raises
`RollInvalid` with all of them, and nothing is imported unless the whole file is right.
Line 0 in an error means the file as a whole (too large, empty, not text, no units).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from agora.i18n import _, use_locale
from agora.rooms.counting import (
    KINDS,
    STATUSES,
    ParkingUndecided,
    RollUnit,
    count_electorate,
    format_area,
    parse_area,
)
from agora.rooms.roll_columns import canonical_column, canonical_value
from agora.security.spreadsheets import restore_cell

MAX_ROLL_BYTES = 10 * 1024 * 1024
MAX_ROWS = 60_000
"""Rows a roll may have: the largest compounds have some 20,000 units (and co-owners beyond that)."""
REQUIRED_COLUMNS = ("building", "unit", "area", "owner_ref", "owner_name")
OPTIONAL_COLUMNS = ("entrance", "kind", "status")
# A label or a name longer than this is a spreadsheet accident; the limits match agora.rooms.models.
MAX_LENGTHS = {
    "building": 64,
    "entrance": 32,
    "unit": 64,
    "owner_ref": 64,
    "owner_name": 120,
    "area": 40,
    "kind": 40,
    "status": 40,
}

_UTF8_BOM = b"\xef\xbb\xbf"
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class LineError:
    """One problem in the file; `message` is already in the user's language and has no line number."""

    line: int
    message: str


class RollInvalid(Exception):
    """The roll was refused; `errors` lists every problem found, ordered by line."""

    def __init__(self, errors: list[LineError]):
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__(f"the roll has {len(self.errors)} error(s)")


@dataclass(frozen=True)
class ParsedRoll:
    """A valid roll: units sorted by (building, entrance, unit), co-owner rows merged into one unit."""

    units: tuple[RollUnit, ...]
    owner_names: dict[str, str]
    buildings: tuple[str, ...]


def _file_error(message: str) -> RollInvalid:
    return RollInvalid([LineError(0, message)])


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _latin(ch: str) -> bool:
    return "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"


def _prefer_gb18030(data: bytes, utf8_text: str) -> str:
    """Pick GB18030 for bytes that are valid in both encodings but only make sense as Chinese.

    A short GB18030 file can also be valid UTF-8 (楼 is C2 A5, which UTF-8 reads as "¥"). When the
    UTF-8 reading has no Chinese and shows symbols or control characters where a name would have
    Latin letters (元 is D4 AA, which UTF-8 reads as Cyrillic "Ԫ"), while the GB18030 reading is all
    Chinese, the writer meant GB18030. European names ("José Müller") stay UTF-8.
    """
    if utf8_text.isascii() or _CJK.search(utf8_text):  # the common cases, without a loop per character
        return utf8_text
    foreign = [ch for ch in utf8_text if ord(ch) > 127]
    if all(unicodedata.category(ch).startswith("L") and _latin(ch) for ch in foreign):
        return utf8_text
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError:
        return utf8_text
    gb_foreign = [ch for ch in gb_text if ord(ch) > 127]
    if gb_foreign and all(
        _has_cjk(ch) or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" for ch in gb_foreign
    ):
        return gb_text
    return utf8_text


def decode_roll(data: bytes) -> str:
    """Bytes -> text: UTF-8 (with or without BOM), else GB18030, which Excel writes on Chinese Windows."""
    if len(data) > MAX_ROLL_BYTES:
        raise _file_error(_("the file is larger than {max} MB", max=MAX_ROLL_BYTES // (1024 * 1024)))
    data = bytes(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error(_("the file is UTF-16 text; save it as CSV (UTF-8) and upload it again"))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _file_error(_("the file is an Excel workbook; save it as CSV (UTF-8) and upload it again"))
    if data.startswith(_UTF8_BOM):
        try:
            text = data[len(_UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError:
            raise _file_error(_("the file starts as UTF-8 but is not valid UTF-8 text")) from None
    else:
        try:
            text = data.decode("utf-8")
            text = _prefer_gb18030(data, text)
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise _file_error(_("the file is neither UTF-8 nor GB18030 text")) from None
    if "\x00" in text:
        raise _file_error(_("the file is not a text file"))
    if not text.strip():
        raise _file_error(_("the file is empty"))
    return text


@dataclass
class _Unit:
    """A unit as first seen, with the line each of its owners was listed on."""

    line: int
    entrance: str
    area_cents: int
    kind: str
    status: str
    owners: dict[str, int]


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(first physical line, stripped fields) of each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    records = []
    next_line = 1
    for row in reader:
        start, next_line = next_line, reader.line_num + 1
        fields = [restore_cell(field.strip()) for field in row]  # our own export's quoted formulas
        if any(fields):  # blank lines and Excel's ",,,," rows are skipped
            records.append((start, fields))
    return records


def _check_header(line: int, names: list[str]) -> list[LineError]:
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    if not set(names) & set(REQUIRED_COLUMNS):
        # Most likely no header at all: one clear message beats one per data field.
        return [
            LineError(line, _("the first line must name the columns: {columns}", columns=", ".join(known)))
        ]
    errors = []
    seen: set[str] = set()
    for name in names:
        if not name:
            continue  # an unnamed column is allowed as long as it stays empty (checked per line)
        if name in seen:
            errors.append(LineError(line, _('column "{name}" appears twice', name=name)))
        elif name not in known:
            errors.append(
                LineError(
                    line,
                    _(
                        'unknown column "{name}"; the columns are: {columns}',
                        name=name,
                        columns=", ".join(known),
                    ),
                )
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(LineError(line, _('required column "{name}" is missing', name=name)))
    return errors


def _check_fields(values: dict[str, str], known_buildings: set[str] | None) -> tuple[list[str], int]:
    """Messages for the problems of one line taken alone, and its area in cents (0 if bad)."""
    problems = []
    for column, value in values.items():
        if _CONTROL.search(value):
            problems.append(_("{column} contains a line break or a control character", column=column))
        elif len(value) > MAX_LENGTHS[column]:
            problems.append(
                _("{column} is longer than {max} characters", column=column, max=MAX_LENGTHS[column])
            )
    if problems:
        return problems, 0
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            problems.append(_("{column} is empty", column=column))
    area_cents = 0
    if values["area"]:
        try:
            area_cents = parse_area(values["area"])
        except ValueError as error:
            problems.append(str(error))
    if values["kind"] not in KINDS:
        problems.append(
            _('kind "{value}" is not one of: {allowed}', value=values["kind"], allowed=", ".join(KINDS))
        )
    if values["status"] not in STATUSES:
        problems.append(
            _(
                'status "{value}" is not one of: {allowed}',
                value=values["status"],
                allowed=", ".join(STATUSES),
            )
        )
    building = values["building"]
    if building and known_buildings is not None and building not in known_buildings:
        problems.append(_('building "{value}" is not a building of this compound', value=building))
    return problems, area_cents


def parse_roll(data: bytes, *, known_buildings: set[str] | None = None) -> ParsedRoll:
    """Parse and validate a whole roll; raise RollInvalid listing every bad line, or return it all.

    One row per owner of a unit: co-owners are several rows for the same (building, unit), which must
    agree on entrance, area, kind and status. `known_buildings=None` accepts any building label.
    """
    records = _records(decode_roll(data))
    if not records:
        raise _file_error(_("the file is empty"))
    header_line, header = records[0]
    names = [canonical_column(name) for name in header]  # English or Chinese headers
    errors = _check_header(header_line, names)
    if errors:
        raise RollInvalid(errors)

    names_seen: dict[str, tuple[str, int]] = {}  # owner_ref -> (owner_name, line)
    units: dict[tuple[str, str], _Unit] = {}
    unnamed = [i for i, name in enumerate(names) if not name]
    blank = dict.fromkeys(OPTIONAL_COLUMNS, "")
    for line, fields in records[1:]:
        if len(fields) != len(names):
            message = _(
                "expected {expected} fields but found {found}", expected=len(names), found=len(fields)
            )
            errors.append(LineError(line, message))
            continue
        if unnamed and any(fields[i] for i in unnamed):
            errors.append(LineError(line, _("a column without a name holds a value")))
            continue
        values = blank.copy()
        if unnamed:
            values.update((name, value) for name, value in zip(names, fields, strict=True) if name)
        else:
            values.update(zip(names, fields, strict=True))
        values["kind"] = canonical_value("kind", values["kind"]).lower() or "home"
        values["status"] = canonical_value("status", values["status"]).lower() or "owned"
        problems, area_cents = _check_fields(values, known_buildings)
        if not problems:
            problems = _check_against_earlier(values, area_cents, names_seen, units)
        if problems:
            errors.extend(LineError(line, message) for message in problems)
            continue
        ref, key = values["owner_ref"], (values["building"], values["unit"])
        names_seen.setdefault(ref, (values["owner_name"], line))
        unit = units.setdefault(
            key, _Unit(line, values["entrance"], area_cents, values["kind"], values["status"], {})
        )
        unit.owners[ref] = line

    if len(records) == 1:
        errors.append(LineError(0, _("the roll has no units")))
    if errors:
        raise RollInvalid(errors)
    roll_units = sorted(
        (
            RollUnit(b, u.entrance, n, u.area_cents, u.kind, u.status, tuple(u.owners))
            for (b, n), u in units.items()
        ),
        key=lambda u: (u.building, u.entrance, u.unit),
    )
    return ParsedRoll(
        units=tuple(roll_units),
        owner_names={ref: names_seen[ref][0] for ref in sorted(names_seen)},
        buildings=tuple(sorted({u.building for u in roll_units})),
    )


def _check_against_earlier(
    values: dict[str, str],
    area_cents: int,
    names_seen: dict[str, tuple[str, int]],
    units: dict[tuple[str, str], _Unit],
) -> list[str]:
    """Messages for what contradicts an earlier line: owner names, co-owner rows, duplicate rows."""
    problems = []
    ref, name = values["owner_ref"], values["owner_name"]
    if ref in names_seen and names_seen[ref][0] != name:
        earlier_name, earlier = names_seen[ref]
        problems.append(
            _(
                'owner_ref "{ref}" is named "{name}" here but "{earlier_name}" on line {earlier}',
                ref=ref,
                name=name,
                earlier_name=earlier_name,
                earlier=earlier,
            )
        )
    building, label = values["building"], values["unit"]
    unit = units.get((building, label))
    if unit is None:
        return problems
    where = f"{building}/{label}"
    if ref in unit.owners:
        problems.append(
            _(
                'owner_ref "{ref}" is listed twice for unit {unit}; see line {earlier}',
                ref=ref,
                unit=where,
                earlier=unit.owners[ref],
            )
        )
    pairs = (
        ("entrance", values["entrance"], unit.entrance),
        ("area", format_area(area_cents), format_area(unit.area_cents)),
        ("kind", values["kind"], unit.kind),
        ("status", values["status"], unit.status),
    )
    for column, here, there in pairs:
        if here != there:
            problems.append(
                _(
                    'unit {unit} has {column} "{value}" here but "{earlier_value}" on line {earlier}',
                    unit=where,
                    column=column,
                    value=here,
                    earlier_value=there,
                    earlier=unit.line,
                )
            )
    return problems


# --- the roll as plain data, for a parse in another process ---------------------------------------

PlainUnit = tuple[str, str, str, int, str, str, tuple[str, ...]]
"""A `RollUnit`'s fields in order: building, entrance, unit, area_cents, kind, status, owners."""
PlainTotals = tuple[int, int | None, int | None]
"""units, persons and area_cents of a group of units (persons and area None while parking is undecided)."""


class PlainRoll(NamedTuple):
    """A valid roll as tuples, strings and ints only: sent back from a worker process, it is rebuilt by
    the C unpickler alone (no Python call per unit), so the event loop's process pays almost nothing
    for the parse. `totals` and `by_building` are counted with the parking rule the parse was given."""

    units: list[PlainUnit]
    owner_names: dict[str, str]
    buildings: tuple[str, ...]
    totals: PlainTotals
    by_building: dict[str, PlainTotals]
    digest: str  # SHA-256 of the file, for the audit log


def _plain_totals(units: list[RollUnit], parking_counts: bool | None) -> PlainTotals:
    try:
        electorate = count_electorate(units, parking_counts=parking_counts)
    except ParkingUndecided:
        return (len(units), None, None)
    return (len(units), electorate.persons_total, electorate.area_cents_total)


def plain_roll(data: bytes, locale: str, parking_counts: bool | None) -> PlainRoll | list[tuple[int, str]]:
    """Parse, check and count a roll, in `locale`: a `PlainRoll`, or the (line, message) of every error.

    Meant to run in a worker process (`agora.rooms.roll_import`): plain data in and out, and no
    exception crosses the process boundary for a bad file."""
    with use_locale(locale):
        try:
            parsed = parse_roll(data, known_buildings=None)
        except RollInvalid as invalid:
            return [(error.line, error.message) for error in invalid.errors]
    groups: dict[str, list[RollUnit]] = {label: [] for label in parsed.buildings}
    for unit in parsed.units:
        groups[unit.building].append(unit)
    return PlainRoll(
        units=[
            (u.building, u.entrance, u.unit, u.area_cents, u.kind, u.status, u.owners) for u in parsed.units
        ],
        owner_names=parsed.owner_names,
        buildings=parsed.buildings,
        totals=_plain_totals(list(parsed.units), parking_counts),
        by_building={label: _plain_totals(group, parking_counts) for label, group in groups.items()},
        digest=hashlib.sha256(data).hexdigest(),
    )

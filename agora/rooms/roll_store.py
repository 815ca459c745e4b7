"""The current roll as stored: load it as `RollUnit`s, total it, export it as CSV.

Only active units and owners make up the current roll; inactive rows are kept because snapshots,
ballots and invites point at them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from agora.rooms.counting import ParkingUndecided, RollUnit, count_electorate, format_area
from agora.rooms.models import Hall, Ownership, Unit
from agora.rooms.rules import rules_from
from agora.security.spreadsheets import neutralise_row

EXPORT_COLUMNS = ("building", "entrance", "unit", "area", "kind", "status", "owner_ref", "owner_name")
CHUNK = 500  # ids per `IN (...)`: well under SQLite's variable limit


def chunks(ids: list[int], size: int = CHUNK) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True)
class Totals:
    """Units on the roll, and N and A; persons/area are None while parking is undecided."""

    units: int
    persons: int | None
    area_cents: int | None

    def to_json(self) -> dict[str, Any]:
        area = None if self.area_cents is None else format_area(self.area_cents)
        return {"units": self.units, "persons": self.persons, "area": area}


def totals_of(units: list[RollUnit], parking_counts: bool | None) -> Totals:
    try:
        electorate = count_electorate(units, parking_counts=parking_counts)
    except ParkingUndecided:
        return Totals(units=len(units), persons=None, area_cents=None)
    return Totals(len(units), electorate.persons_total, electorate.area_cents_total)


async def compound_of(hall: Hall) -> Hall | None:
    """The compound a hall belongs to (itself for a compound), None for a community."""
    if hall.kind == "compound":
        return hall
    if hall.kind == "building" and hall.compound_id is not None:
        return await Hall.get_or_none(id=hall.compound_id)
    return None


async def parking_rule(compound: Hall) -> bool | None:
    return rules_from(compound.rules).parking_counts


async def building_labels(compound_id: int) -> dict[int, str]:
    """building hall id -> its roll label."""
    rows = await Hall.filter(kind="building", compound_id=compound_id).values("id", "label", "name")
    return {row["id"]: row["label"] or row["name"] for row in rows}


async def load_roll(
    compound_id: int, *, building_id: int | None = None, entrance: str | None = None
) -> list[RollUnit]:
    """The active units of a compound (or of one building, or one entrance), with their owners' refs."""
    labels = await building_labels(compound_id)
    query = Unit.filter(compound_id=compound_id, active=True)
    if building_id is not None:
        query = query.filter(building_id=building_id)
    if entrance is not None:
        query = query.filter(entrance=entrance)
    rows = await query.values("id", "building_id", "entrance", "label", "area_cents", "kind", "status")
    owners: dict[int, list[str]] = {}
    for part in chunks([row["id"] for row in rows]):
        for own in await Ownership.filter(unit_id__in=part).values("unit_id", "owner__owner_ref"):
            owners.setdefault(own["unit_id"], []).append(own["owner__owner_ref"])
    units = [
        RollUnit(
            building=labels.get(row["building_id"], ""),
            entrance=row["entrance"],
            unit=row["label"],
            area_cents=row["area_cents"],
            kind=row["kind"],
            status=row["status"],
            owners=tuple(owners.get(row["id"], ())),
        )
        for row in rows
    ]
    units.sort(key=lambda u: (u.building, u.entrance, u.unit))
    return units


async def hall_units(hall: Hall) -> list[RollUnit]:
    """The active units of a hall: a compound's, a building's, or every compound's of a community."""
    if hall.kind == "compound":
        return await load_roll(hall.id)
    if hall.kind == "building" and hall.compound_id is not None:
        return await load_roll(hall.compound_id, building_id=hall.id)
    return []


async def hall_totals(hall: Hall) -> Totals:
    """Totals of a hall; a community's are the sum of its compounds' (None if any is undecided)."""
    if hall.kind == "community":
        units, persons, area = 0, 0, 0
        undecided = False
        for member in await Hall.filter(kind="compound", parent_id=hall.id):
            part = totals_of(await load_roll(member.id), await parking_rule(member))
            units += part.units
            if part.persons is None or part.area_cents is None:
                undecided = True
            else:
                persons += part.persons
                area += part.area_cents
        return Totals(units, None if undecided else persons, None if undecided else area)
    compound = await compound_of(hall)
    if compound is None:
        return Totals(0, 0, 0)
    return totals_of(await hall_units(hall), await parking_rule(compound))


async def export_roll_csv(compound: Hall) -> str:
    """The current roll in the import format: one row per owner of a unit, UTF-8 with a BOM for Excel."""
    units = await load_roll(compound.id)
    names = {
        row["owner_ref"]: row["name"]
        for row in await compound.owners.all().values("owner_ref", "name")  # type: ignore[attr-defined]
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for u in units:
        for ref in u.owners:
            area = format_area(u.area_cents)
            row = [u.building, u.entrance, u.unit, area, u.kind, u.status, ref, names.get(ref, "")]
            writer.writerow(neutralise_row(row))  # no cell starts a spreadsheet formula (OWASP)
    return "\ufeff" + out.getvalue()

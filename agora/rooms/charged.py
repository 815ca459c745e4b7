"""The units a maintenance-fund spend charges, named as the roll names them (pure, no I/O).

A spend from the maintenance fund (Civil Code art. 278 item 5) is decided by the owners of the units
it charges (docs/domain.md, "Who counts": Scope). The committee lists them as "building/unit"
("2/1-302"); in a building hall the unit label alone ("1-302") is enough. Each name is matched
against the roll of the proposal's hall and kept in its full form, so the list, the frozen roll and
the record all say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def unit_name(building: str, unit: str) -> str:
    """The full name of a unit in a scope: "building/unit"."""
    return f"{building}/{unit}"


@dataclass(frozen=True)
class Matched:
    """The listed units in their full names (in the order given), and the names that name no unit,
    or more than one."""

    names: list[str]
    unknown: list[str]
    ambiguous: list[str]

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.ambiguous


def match_units(refs: Iterable[str], roll: Iterable[tuple[str, str]], *, building_hall: bool) -> Matched:
    """Match each listed name against the roll's (building, unit) keys.

    A name matches a unit's full name "building/unit"; in a building hall it may also be the unit
    label alone. A name matching two different units is ambiguous; two names of one unit make the
    second a duplicate, reported as ambiguous too (nothing is counted twice).
    """
    keys = list(roll)
    full: dict[str, list[str]] = {}
    for building, unit in keys:
        name = unit_name(building, unit)
        full.setdefault(name, []).append(name)
        if building_hall:
            full.setdefault(unit, []).append(name)
    names: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for ref in refs:
        found = sorted(set(full.get(ref, [])))
        if not found:
            unknown.append(ref)
        elif len(found) > 1 or found[0] in names:
            ambiguous.append(ref)
        else:
            names.append(found[0])
    return Matched(names, unknown, ambiguous)

"""Whose ballot an owner ref fills on a vote, reading the frozen roll and the roll as it is now.

The rule itself is pure (`agora.ballots.transfers`): a unit sold during the vote passes its frozen
person's ballot to the buyer unless the seller voted; the seller no longer may, on any channel; an
owner merely left out of a re-import keeps their vote. This module reads what the rule needs:

- from the frozen roll, each person's owner refs and units (decoded once per snapshot and process,
  kept in a small cache keyed like `electorate`'s index: a snapshot never changes once saved);
- from the current roll, the active owners of those units (one small indexed query per ballot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agora.ballots import queries
from agora.ballots.transfers import FrozenPerson, UnitKey, standing
from agora.errors import Conflict
from agora.i18n import _
from agora.rooms.models import RollSnapshot
from agora.storage.memo import OnceCache


@dataclass(frozen=True)
class FrozenUnits:
    """A frozen roll's persons with their units, and each unit's person."""

    persons: dict[str, FrozenPerson]
    person_of_ref: dict[str, str]
    person_of_unit: dict[UnitKey, str]
    weights: dict[str, int]


_CACHE_SIZE = 64
_cache: OnceCache[tuple[int, str], FrozenUnits] = OnceCache(_CACHE_SIZE)


def index_units(units: list[list[Any]], persons: list[list[Any]]) -> FrozenUnits:
    """From a snapshot's `units` and `persons` (see `RollSnapshot`)."""
    units_of: dict[str, list[UnitKey]] = {}
    person_of_unit: dict[UnitKey, str] = {}
    for row in units:
        person = row[7] if len(row) > 7 else None
        if person is None:
            continue
        key = (str(row[0]), str(row[2]))
        units_of.setdefault(person, []).append(key)
        person_of_unit[key] = person
    frozen = {
        str(key): FrozenPerson(str(key), frozenset(str(r) for r in refs), tuple(units_of.get(key, ())))
        for key, refs, _area in persons
    }
    return FrozenUnits(
        persons=frozen,
        person_of_ref={ref: key for key, person in frozen.items() for ref in person.refs},
        person_of_unit=person_of_unit,
        weights={str(key): int(area) for key, _refs, area in persons},
    )


async def frozen_units(snapshot_id: int, version: str | None = None) -> FrozenUnits:
    """The frozen roll's persons and units; `version` is the snapshot's `snapshot_version` when the
    caller has read its row already (one query fewer), else it is read here."""
    if version is None:
        stamp = await queries.snapshot_stamp(snapshot_id)
        if stamp is None:
            return FrozenUnits({}, {}, {}, {})
        version = snapshot_version(stamp.fingerprint, stamp.created_at)

    async def load() -> FrozenUnits:
        values = await RollSnapshot.filter(id=snapshot_id).values("units", "persons")
        if not values:
            return FrozenUnits({}, {}, {}, {})
        return index_units(_decoded(values[0]["units"]), _decoded(values[0]["persons"]))

    return await _cache.get((snapshot_id, version), load)


def snapshot_version(fingerprint: Any, created_at: Any) -> str:
    """What tells one saved snapshot from another that reuses its id (values as the driver gives them)."""
    return f"{fingerprint}|{created_at}"


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


async def current_owners(compound_id: int, units: set[UnitKey]) -> dict[UnitKey, frozenset[str]]:
    """The active owners, on the roll as it is now, of these (building, unit) labels."""
    if not units:
        return {}
    buildings = sorted({building for building, _unit in units})
    labels = sorted({unit for _building, unit in units})
    found: dict[UnitKey, set[str]] = {}
    for row in await queries.owners_of_units(compound_id, buildings, labels):
        key = (str(row.building), str(row.unit))
        if key not in units:
            continue
        owners = found.setdefault(key, set())
        if row.owner_ref is not None:
            owners.add(str(row.owner_ref))
    return {key: frozenset(refs) for key, refs in found.items()}


async def units_owned_now(compound_id: int, refs: list[str]) -> set[UnitKey]:
    if not refs:
        return set()
    return {(str(row.building), str(row.unit)) for row in await queries.units_of_owners(compound_id, refs)}


def unit_sold() -> Conflict:
    return Conflict(
        _(
            "This owner's unit changed hands during the vote: the new owner may vote for it "
            "(unless a ballot was already cast for it); the previous owner no longer may."
        ),
        code="unit_sold",
    )


@dataclass(frozen=True)
class Holder:
    """Whose ballot a ref fills: the frozen person, its weight, and the ref (the owner or the buyer)."""

    person_key: str
    area_cents: int
    owner_ref: str


async def holder_of(
    snapshot_id: int, compound_id: int, refs: list[str], version: str | None = None
) -> Holder | None:
    """The frozen person these refs vote for now (as owner, or as buyer), None if none; raises
    `unit_sold` when their only claim is a unit they sold during the vote. `version`: as for
    `frozen_units`."""
    frozen = await frozen_units(snapshot_id, version)
    candidates = {frozen.person_of_ref[r] for r in refs if r in frozen.person_of_ref}
    units = {u for key in candidates for u in frozen.persons[key].units}
    owners = await current_owners(compound_id, units)
    result = standing(refs, [frozen.persons[k] for k in candidates], owners)
    if result.person_key is None:
        # Not (or no longer) an owner on the frozen roll: perhaps a buyer of a frozen person's units.
        bought = {
            frozen.person_of_unit[u]
            for u in await units_owned_now(compound_id, refs)
            if u in frozen.person_of_unit
        }
        more = bought - candidates
        if more:
            candidates |= more
            units |= {u for key in more for u in frozen.persons[key].units}
            owners = await current_owners(compound_id, units)
            result = standing(refs, [frozen.persons[k] for k in candidates], owners)
    if result.person_key is None:
        if result.refusal == "unit_sold":
            raise unit_sold()
        return None
    return Holder(result.person_key, frozen.weights.get(result.person_key, 0), result.owner_ref or "")

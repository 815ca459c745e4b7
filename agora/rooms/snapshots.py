"""Freeze the electorate of a vote: the roll of its scope as it stands when voting opens.

The snapshot is self-contained (labels, areas, owner refs, persons, totals, fingerprint), so a later
roll import cannot change what a vote is counted against, and `agora verify` can re-count from it.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, Protocol

from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.rooms.charged import match_units, unit_name
from agora.rooms.counting import ParkingUndecided, RollUnit, count_electorate, fingerprint, in_scope
from agora.rooms.models import Hall, RollSnapshot
from agora.rooms.roll_store import compound_of, load_roll, parking_rule


class FrozenUnit(NamedTuple):
    """One unit of a frozen roll, as `RollSnapshot.units` stores it (a JSON list, in this order)."""

    building: str
    entrance: str
    unit: str
    area_cents: int
    kind: str
    status: str
    owners: list[str]
    person: str | None = None  # the person (ballot) key; None where the unit does not count or in old rolls

    @classmethod
    def of(cls, row: Any) -> FrozenUnit:
        return cls(*row)


class FrozenPerson(NamedTuple):
    """One person (one ballot) of a frozen roll, as `RollSnapshot.persons` stores it."""

    key: str
    owner_refs: list[str]
    area_cents: int

    @classmethod
    def of(cls, row: Any) -> FrozenPerson:
        return cls(*row)


async def freeze_roll(
    hall: Hall,
    entrance: str | None = None,
    *,
    parking_counts: bool | None | Literal["compound"] = "compound",
    charged_units: list[str] | None = None,
) -> RollSnapshot:
    """Freeze a compound's, a building's or one entrance's active units, with the compound's parking rule;
    or, for a maintenance-fund spend, only the units it charges (`charged_units`, "building/unit"),
    refused (409) if one of them is no longer on the roll.

    While parking is undecided the totals are None (the tally refuses to run), but persons are still
    grouped with parking counted, so that every owner can be told which ballot is theirs.
    """
    compound = await compound_of(hall)
    if compound is None:
        raise Invalid(_("A community hall has no roll of its own."), code="no_roll")
    if entrance is not None and hall.kind != "building":
        raise Invalid(_("An entrance is chosen within a building hall."), code="entrance_needs_building")
    building_id = hall.id if hall.kind == "building" else None
    units = await load_roll(compound.id, building_id=building_id, entrance=entrance)
    if charged_units is not None:
        matched = match_units(charged_units, [u.key for u in units], building_hall=hall.kind == "building")
        missing = matched.unknown + matched.ambiguous
        if missing:
            raise Conflict(
                _(
                    "The units charged by the spend must be on the roll when voting opens; "
                    "not on it now: {units}.",
                    units="、".join(missing),
                ),
                code="charged_unit_gone",
            )
        listed = set(matched.names)
        units = in_scope(units, unit_keys={u.key for u in units if unit_name(*u.key) in listed})
    if not units:
        raise Invalid(_("There are no units on the roll for this scope."), code="empty_scope")
    # The parking setting of the rules frozen at the notice when the caller passes it; else the compound's.
    rule = await parking_rule(compound) if isinstance(parking_counts, str) else parking_counts
    try:
        electorate = count_electorate(units, parking_counts=rule)
        persons_total: int | None = electorate.persons_total
        area_total: int | None = electorate.area_cents_total
    except ParkingUndecided:
        electorate = count_electorate(units, parking_counts=True)
        persons_total = area_total = None
    key_of = {unit_key: p.key for p in electorate.persons for unit_key in p.units}
    kind = "entrance" if entrance is not None else hall.kind
    scope: dict[str, Any] = {"kind": kind, "hall": hall.slug, "entrance": entrance}
    if charged_units is not None:
        scope = {"kind": "charged", "hall": hall.slug, "entrance": None, "charged_units": matched.names}
    return await RollSnapshot.create(
        compound=compound,
        scope=scope,
        parking_counts=rule,
        units=[
            list(
                FrozenUnit(
                    building=u.building,
                    entrance=u.entrance,
                    unit=u.unit,
                    area_cents=u.area_cents,
                    kind=u.kind,
                    status=u.status,
                    owners=list(u.owners),
                    person=key_of.get(u.key),
                )
            )
            for u in units
        ],
        persons=[list(FrozenPerson(p.key, list(p.owner_refs), p.area_cents)) for p in electorate.persons],
        persons_total=persons_total,
        area_cents_total=area_total,
        fingerprint=fingerprint(units, rule),
    )


class HasPersons(Protocol):
    """A frozen roll as saved (`RollSnapshot`) or as read in one plain row: its `persons`."""

    @property
    def persons(self) -> Any: ...


def snapshot_person_of(snapshot: HasPersons) -> dict[str, str]:
    """owner_ref -> the key of the person (ballot) that owner casts or shares, in this snapshot."""
    return {ref: person.key for person in frozen_persons(snapshot) for ref in person.owner_refs}


def frozen_persons(snapshot: HasPersons) -> list[FrozenPerson]:
    """The frozen persons as named rows."""
    return [FrozenPerson.of(row) for row in snapshot.persons]


class HasUnits(Protocol):
    """A frozen roll as saved (`RollSnapshot`) or as read in one plain row: its `units`."""

    @property
    def units(self) -> Any: ...


def snapshot_units(snapshot: HasUnits) -> list[RollUnit]:
    """The frozen units, as the pure counting code takes them (re-counting gives the stored totals)."""
    return [
        RollUnit(
            building=f.building,
            entrance=f.entrance,
            unit=f.unit,
            area_cents=f.area_cents,
            kind=f.kind,
            status=f.status,
            owners=tuple(f.owners),
        )
        for f in frozen_units(snapshot)
    ]


def frozen_units(snapshot: HasUnits) -> list[FrozenUnit]:
    """The frozen units as named rows (a roll frozen before person keys were stored has none)."""
    return [FrozenUnit.of(row) for row in snapshot.units]

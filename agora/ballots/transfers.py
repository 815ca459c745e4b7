"""A unit changing hands during a vote, as a pure rule (docs/domain.md, "Ballots").

The vote counts against the roll frozen when it opened: `N`, `A` and every person's weight stay as
frozen. What a sale changes is who may fill a frozen person's one ballot:

- a ballot the seller already cast stands (the slot is filled; the buyer is told it was used);
- otherwise the buyer may vote for it, on any channel;
- the seller no longer may, on any channel.

A frozen person counts as **sold** when every unit they held in the scope is, on the current roll,
owned by somebody and by none of their owner refs. A re-import that merely leaves an owner out (the
unit has no owner now, or still lists them) sells nothing: owners on the frozen roll keep their vote.
A person who sold only some of their units keeps the ballot (they are still an owner in the scope,
and one person casts one ballot); the buyer of such a unit does not get a second ballot for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UnitKey = tuple[str, str]  # (building label, unit label)


@dataclass(frozen=True)
class FrozenPerson:
    person_key: str
    refs: frozenset[str]
    units: tuple[UnitKey, ...]


def is_sold(person: FrozenPerson, current_owners: Mapping[UnitKey, frozenset[str]]) -> bool:
    """Every unit of the person has an owner now, and none of them is the person."""
    if not person.units:
        return False
    for unit in person.units:
        owners = current_owners.get(unit, frozenset())
        if not owners or owners & person.refs:
            return False
    return True


def buyers_of(person: FrozenPerson, current_owners: Mapping[UnitKey, frozenset[str]]) -> frozenset[str]:
    """The current owners of a sold person's units (empty when the person has not sold)."""
    if not is_sold(person, current_owners):
        return frozenset()
    found: set[str] = set()
    for unit in person.units:
        found |= current_owners.get(unit, frozenset())
    return frozenset(found)


@dataclass(frozen=True)
class Standing:
    """Whom a ballot from these owner refs fills, or why none: "unit_sold" or "no_vote"."""

    person_key: str | None
    owner_ref: str | None
    as_buyer: bool = False
    refusal: str | None = None


def standing(
    refs: Iterable[str],
    persons: Iterable[FrozenPerson],
    current_owners: Mapping[UnitKey, frozenset[str]],
) -> Standing:
    """The frozen person these refs vote for: as an owner still holding, else as a buyer.

    Owners first (sorted refs), then purchases (by person key): deterministic, whatever the order in.
    """
    wanted = sorted(set(refs))
    people = sorted(persons, key=lambda p: p.person_key)
    by_ref: dict[str, FrozenPerson] = {ref: p for p in people for ref in p.refs}
    sold_refusal = False
    for ref in wanted:
        person = by_ref.get(ref)
        if person is None:
            continue
        if is_sold(person, current_owners):
            sold_refusal = True
            continue
        return Standing(person.person_key, ref)
    wanted_set = set(wanted)
    for person in people:
        if person.refs & wanted_set:
            continue  # their own (sold) units: a seller does not buy back their own slot
        bought = buyers_of(person, current_owners) & wanted_set
        if bought:
            return Standing(person.person_key, min(bought), as_buyer=True)
    return Standing(None, None, refusal="unit_sold" if sold_refusal else "no_vote")

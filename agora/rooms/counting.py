"""Who counts in an owners' vote, and how much: the pure core of the roll.

Persons and area follow the SPC interpretation on building divisions, arts. 8-9 (see
docs/domain.md, "Who counts, and how much"). Areas are integers in hundredths of a square
metre ("area cents") so that sums are exact; floats never enter.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from agora.i18n import _

KINDS = ("home", "parking", "shop", "stall")
# Parking spaces and stalls (车位、摊位) count toward the vote only as the compound's parking setting says
# (SPC interpretation on building divisions art. 2; docs/domain.md, "Who counts").
FOLLOWS_PARKING = ("parking", "stall")
STATUSES = ("owned", "unsold", "undelivered")
DEVELOPER_STATUSES = frozenset({"unsold", "undelivered"})
DEVELOPER_KEY = "developer"

MAX_AREA_CENTS = 100_000 * 100  # 100,000 m²: no single unit is larger; bigger means a typo
_AREA_RE = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")


@dataclass(frozen=True, slots=True)
class RollUnit:
    """One unit of the roll, as imported. Owners are normalised to a sorted tuple of unique refs."""

    building: str
    entrance: str
    unit: str
    area_cents: int
    kind: str = "home"
    status: str = "owned"
    owners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Counting relies on these invariants; refuse a bad unit here rather than miscount later.
        if type(self.area_cents) is not int or self.area_cents <= 0:
            raise ValueError(f"area_cents must be a positive int, got {self.area_cents!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if any(not isinstance(ref, str) or not ref for ref in self.owners):
            raise ValueError(f"owner refs must be non-empty strings, got {self.owners!r}")
        object.__setattr__(self, "owners", tuple(sorted(set(self.owners))))

    @property
    def key(self) -> tuple[str, str]:
        """(building, unit): what identifies a unit in the roll and in scopes."""
        return (self.building, self.unit)


@dataclass(frozen=True, slots=True)
class Person:
    """One ballot: a group of owners (or the developer, or an ownerless unit) and what they hold."""

    key: str
    owner_refs: tuple[str, ...]
    units: tuple[tuple[str, str], ...]
    area_cents: int


@dataclass(frozen=True, slots=True)
class Electorate:
    """The persons of a scope and the totals N (persons) and A (area) that thresholds use."""

    persons: tuple[Person, ...]
    persons_total: int
    area_cents_total: int
    units_total: int
    excluded_parking: int


class ParkingUndecided(Exception):
    """Parking units are in scope but the compound has not decided whether parking counts."""


def parse_area(text: str) -> int:
    """Parse "89.5" -> 8950. Strict, because a typo in an area silently moves every threshold."""
    raw = text.strip()
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    match = _AREA_RE.fullmatch(raw)
    if match is None:
        raise ValueError(_('area "{value}" is not a positive number with at most two decimals', value=shown))
    whole, fraction = match.group(1), match.group(2) or ""
    whole = whole.lstrip("0") or "0"
    if len(whole) > 6:  # also keeps int() away from absurdly long digit strings
        raise ValueError(_('area "{value}" is larger than {max} m²', value=shown, max="100000"))
    cents = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if cents == 0:
        raise ValueError(_('area "{value}" is not a positive number with at most two decimals', value=shown))
    if cents > MAX_AREA_CENTS:
        raise ValueError(_('area "{value}" is larger than {max} m²', value=shown, max="100000"))
    return cents


def format_area(cents: int) -> str:
    """8950 -> "89.50": the API's decimal-string form, two places, no thousands separator."""
    if type(cents) is not int:
        raise TypeError(f"area cents must be an int, got {cents!r}")
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def in_scope(
    units: Iterable[RollUnit],
    *,
    building: str | None = None,
    entrance: str | None = None,
    unit_keys: set[tuple[str, str]] | None = None,
) -> list[RollUnit]:
    """The units of a scope; None means "no restriction" for each filter, and filters combine.

    An entrance needs its building: entrance labels ("1", "2") repeat in every building.
    """
    if entrance is not None and building is None:
        raise ValueError("an entrance scope needs its building")
    return [
        u
        for u in units
        if (building is None or u.building == building)
        and (entrance is None or u.entrance == entrance)
        and (unit_keys is None or u.key in unit_keys)
    ]


def count_electorate(units: Iterable[RollUnit], *, parking_counts: bool | None) -> Electorate:
    """Group the units of a scope into persons (SPC interpretation on building divisions, arts. 8-9).

    - each unit is one person, with its area;
    - one owner holding several units is one person (area summed);
    - the co-owners of a unit are one person with one ballot;
    - all unsold or undelivered units are one person, the developer ("developer"), area summed;
    - an owned unit with no owner on the roll is its own person, keyed "unit:<building>/<unit>".

    The rules combine transitively: owner X holds unit 1 alone and unit 2 with Y, so X and Y are one
    person holding both; and an owner_ref that appears on a developer unit joins the developer's person.
    This is done by union-find over owner_refs shared between units. It is the conservative reading: it
    guarantees that nobody can cast two ballots, at the price of sometimes giving two people one.

    Parking (stalls follow the same setting): `parking_counts=None` with any parking unit in the input
    raises ParkingUndecided; False
    leaves parking out entirely (no person, no area; counted in `excluded_parking`); True counts it like
    any unit. Shops always count. The same (building, unit) twice is a ValueError, never a double count.
    """
    units = list(units)
    parking = sum(1 for u in units if u.kind in FOLLOWS_PARKING)
    if parking and parking_counts is None:
        raise ParkingUndecided(_("the compound has not decided whether parking spaces count"))
    excluded = 0
    if parking_counts is False:
        excluded = parking
        units = [u for u in units if u.kind not in FOLLOWS_PARKING]
    seen: set[tuple[str, str]] = set()
    for u in units:
        if (u.building, u.unit) in seen:
            raise ValueError(f"unit {u.building}/{u.unit} is listed twice")
        seen.add((u.building, u.unit))

    # Union-find over "nodes": each owner_ref, plus one node standing for the developer's bloc.
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    developer_node = "\0developer"  # cannot collide with an owner_ref from the roll
    for u in units:
        nodes = ["o:" + ref for ref in u.owners]
        if u.status in DEVELOPER_STATUSES:
            nodes.append(developer_node)
        for node in nodes:
            if node not in parent:
                parent[node] = node
        for node in nodes[1:]:
            union(nodes[0], node)

    groups: dict[str, list[RollUnit]] = {}
    for u in units:
        if u.status in DEVELOPER_STATUSES:
            root = find(developer_node)
        elif u.owners:
            root = find("o:" + u.owners[0])
        else:
            root = f"\0unit:{u.building}\0{u.unit}"  # a group of its own
        group = groups.get(root)
        if group is None:
            groups[root] = [u]
        else:
            group.append(u)

    persons = [_person(group) for group in groups.values()]
    persons.sort(key=_person_key)
    for left, right in zip(persons, persons[1:], strict=False):
        if left.key == right.key:
            raise ValueError(f"two persons share the key {left.key!r}; a building or unit label holds '/'")
    return Electorate(
        persons=tuple(persons),
        persons_total=len(persons),
        area_cents_total=sum(p.area_cents for p in persons),
        units_total=len(units),
        excluded_parking=excluded,
    )


def _person_key(person: Person) -> str:
    return person.key


def _person(group: list[RollUnit]) -> Person:
    if len(group) == 1:  # most persons: one unit (its owners are already sorted and unique)
        (only,) = group
        refs = only.owners
        if only.status in DEVELOPER_STATUSES:
            key = DEVELOPER_KEY
        elif refs:
            key = f"owner:{refs[0]}"
        else:
            key = f"unit:{only.building}/{only.unit}"
        return Person(key, refs, ((only.building, only.unit),), only.area_cents)
    # Several units are one person only through a shared owner or the developer's bloc.
    refs = tuple(sorted({ref for u in group for ref in u.owners}))
    key = DEVELOPER_KEY if any(u.status in DEVELOPER_STATUSES for u in group) else f"owner:{refs[0]}"
    return Person(
        key=key,
        owner_refs=refs,
        units=tuple(sorted((u.building, u.unit) for u in group)),
        area_cents=sum(u.area_cents for u in group),
    )


def person_of(electorate: Electorate) -> dict[str, Person]:
    """owner_ref -> the person whose ballot that owner casts (or shares)."""
    return {ref: person for person in electorate.persons for ref in person.owner_refs}


def fingerprint(units: Iterable[RollUnit], parking_counts: bool | None) -> str:
    r"""A sha256 over the roll of a scope and the parking rule, to prove which roll a vote froze.

    Canonical form, for independent verifiers: the SHA-256 hex digest (lowercase) of the UTF-8 bytes of

        {"parking_counts":<true|false|null>,
         "units":[[building,entrance,unit,area_cents,kind,status,[owners...]],...]}

    written on one line, i.e. Python's
    `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`: no whitespace;
    non-ASCII characters written as themselves; only `"`, `\` and control characters escaped (as `\"`,
    `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, else `\u00xx` in lowercase hex); area_cents a JSON integer;
    owners sorted and unique. The unit arrays are sorted by (building, entrance, unit), comparing strings
    by Unicode code point, then by the remaining fields in order. Input order therefore does not matter.
    """
    if parking_counts is not None and type(parking_counts) is not bool:
        raise TypeError(f"parking_counts must be True, False or None, got {parking_counts!r}")
    rows = sorted(
        [u.building, u.entrance, u.unit, u.area_cents, u.kind, u.status, list(u.owners)] for u in units
    )
    canonical = json.dumps(
        {"parking_counts": parking_counts, "units": rows},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

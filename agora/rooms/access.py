"""Who may see which hall, with which roles: the one place every feature asks.

A hall the caller cannot see is reported as absent (NotFound), exactly like a hall that does not
exist, so nobody learns anything about another compound.

Derivation (`roles_by_hall`):
- an administrator sees every hall, with the role "admin";
- a role held in a compound hall holds in its building halls too (the Party branch and the
  owners' committee act for the whole compound); a role held in a building makes its holder a
  "member" of the compound;
- an owner bound to the roll is "owner" and "member" in the compound and in each building where
  they hold a unit;
- a member of a compound is a "member" of its community.

Community staff (the role "staff", held in a community hall) are members of that hall only. For
the figures and the lists, and nothing else, `access_to_read` lets them into every compound and
building under their community with the single role "staff" (`STAFF_READER`): a feature that does
not ask `access_to_read` does not see them there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

from agora.accounts.models import User
from agora.errors import NotFound
from agora.i18n import _
from agora.rooms import queries
from agora.rooms.models import SLUG_MAX_LENGTH, STAFF_ROLE, Hall, MemberRole


class Person(Protocol):
    """Whom access is decided for: a `User`, or a credential's holder read without the model."""

    @property
    def id(self) -> int: ...

    @property
    def is_admin(self) -> bool: ...


MODERATE = frozenset({"moderator", "admin"})
STAFF_READER = frozenset({STAFF_ROLE})
COMMITTEE = frozenset({"committee", "admin"})
ADMIN = frozenset({"admin", "member"})


@dataclass(frozen=True)
class HallAccess:
    hall: Hall
    roles: frozenset[str]

    @property
    def is_moderator(self) -> bool:
        return bool(self.roles & MODERATE)

    @property
    def is_committee(self) -> bool:
        return bool(self.roles & COMMITTEE)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles


async def roles_by_hall(
    user: Person | None,
    *,
    buildings: bool = True,
    owners_in: int | None = None,
    rows: list[queries.RoleOrUnit] | None = None,
) -> dict[int, set[str]]:
    """The caller's roles per hall id, reading only the halls that concern them (not every hall:
    this runs on every request, and the database may hold many compounds).

    One query for most callers (their roles with each hall's kind, compound and parent, and the units
    they own with each unit's compound's parent), one more for compound roles (their buildings) and
    one for building roles whose compound was not seen otherwise (its parent).
    `buildings=False` leaves out what compound roles give in their buildings (the second query), for a
    caller that only asks about a hall that is not a building. `owners_in` reads only the caller's owner
    records on that compound's roll (a roll's owners hold the roll's units), for a caller that only asks
    about that compound or one of its buildings. `rows`: `roles_and_units(user.id, owners_in)` already
    read (with the hall, by `queries.hall_and_roles`)."""
    if user is None:
        return {}
    if user.is_admin:
        ids = cast(list[int], await Hall.all().values_list("id", flat=True))
        return {hall_id: {"admin", "member"} for hall_id in ids}
    result: dict[int, set[str]] = {}
    # The parent of every compound seen so far (a member of a compound is a member of its parent).
    compound_parent: dict[int, int | None] = {}

    def grant(hall_id: int | None, *roles: str) -> None:
        if hall_id is not None:
            result.setdefault(hall_id, set()).update(roles)

    if rows is None:
        rows = await queries.roles_and_units(user.id, owners_in)
    roles = [row for row in rows if row.src == "r"]
    compound_roles: dict[int, set[str]] = {}
    for row in roles:
        kind = row.kind
        if kind is None or row.role is None:  # the hall is gone (a role row always names its role)
            continue
        hall_id = row.hall_id
        grant(hall_id, row.role, "member")
        if kind == "compound":
            compound_roles.setdefault(hall_id, set()).add(row.role)
            compound_parent[hall_id] = row.parent_id
        elif kind == "building":
            grant(row.compound_id, "member")
    if compound_roles and buildings:
        for building in await queries.buildings_of(list(compound_roles)):
            grant(building.id, *compound_roles[building.compound_id], "member")
    for unit in rows:
        if unit.src != "u":
            continue
        grant(unit.hall_id, "owner", "member")
        grant(unit.compound_id, "owner", "member")  # on a "u" row, the unit's building
        if unit.kind == "compound":
            compound_parent[unit.hall_id] = unit.parent_id
    unknown = [hall_id for hall_id in result if hall_id not in compound_parent]
    if unknown and any(row.kind == "building" for row in roles):
        for hall in await queries.compound_parents(unknown):
            compound_parent[hall.id] = hall.parent_id
    for hall_id, parent_id in list(compound_parent.items()):
        if hall_id in result:
            grant(parent_id, "member")
    return result


def _refuse() -> NotFound:
    return NotFound(_("This hall does not exist or you are not a member of it."))


async def access_to(user: User | None, hall: Hall | None) -> HallAccess:
    """The caller's access to a hall already loaded (or NotFound, as for a hall that is not there)."""
    if hall is None or user is None:
        raise _refuse()
    return HallAccess(hall=hall, roles=await _roles_in(user, hall.id, hall.kind, hall.compound_id))


async def _roles_in(
    user: Person,
    hall_id: int,
    kind: str,
    compound_id: int | None,
    rows: list[queries.RoleOrUnit] | None = None,
) -> frozenset[str]:
    """The caller's roles in one hall (NotFound when none), reading only what that hall needs."""
    if user.is_admin:
        return ADMIN
    compound = {"compound": hall_id, "building": compound_id}.get(kind)
    found = await roles_by_hall(user, buildings=kind == "building", owners_in=compound, rows=rows)
    roles = found.get(hall_id)
    if not roles:
        raise _refuse()
    return frozenset(roles)


async def access_hall(user: User | None, slug: str) -> HallAccess:
    if user is None:
        raise _refuse()
    # A slug longer than the column cannot name a hall (PostgreSQL would refuse it with an error).
    hall = await queries.hall_by_slug(slug) if len(slug) <= SLUG_MAX_LENGTH else None
    return await access_to(user, hall)


async def named_hall_of(holder: str, key: str, slug: str) -> queries.HolderAndHall | None:
    """Who holds a credential (`holder`, a statement of one row for `key`), the hall a slug names and
    what `roles_named` needs, in one read and without building the hall's model: what a live socket's
    handshake asks, thousands of times a minute on the morning a compound opens its vote. None when
    nobody holds `key`."""
    if len(slug) > SLUG_MAX_LENGTH:
        slug = ""  # cannot name a hall (PostgreSQL would refuse it with an error)
    return await queries.hall_and_roles_of(holder, key, slug)


async def roles_named(person: Person, found: queries.HolderAndHall) -> tuple[int, frozenset[str]]:
    """The id of the hall `named_hall_of` read and the person's roles in it, as `access_hall` decides
    them (NotFound alike)."""
    if found.hall is None:
        raise _refuse()
    hall = found.hall
    return hall.hall_id, await _roles_in(person, hall.hall_id, str(hall.kind), hall.compound_id, found.rows)


async def access_hall_by_id(user: User | None, hall_id: int) -> HallAccess:
    if user is None:
        raise _refuse()
    return await access_to(user, await Hall.get_or_none(id=hall_id))


async def community_of(hall: Hall) -> int | None:
    """The id of the community a hall is under (itself for a community)."""
    if hall.kind == "community":
        return hall.id
    if hall.kind == "compound":
        return hall.parent_id  # type: ignore[attr-defined,no-any-return]
    if hall.compound_id is None:
        return None
    compound = await Hall.get_or_none(id=hall.compound_id)
    return compound.parent_id if compound is not None else None  # type: ignore[attr-defined]


async def access_to_read(user: User | None, slug: str) -> HallAccess:
    """Access for reading the figures and the lists: a member's (as `access_hall`), or else community
    staff's over a hall under their community, with the roles `STAFF_READER` only. NotFound otherwise."""
    try:
        return await access_hall(user, slug)
    except NotFound:
        if user is None or len(slug) > SLUG_MAX_LENGTH:
            raise
        hall = await Hall.get_or_none(slug=slug)
        community = await community_of(hall) if hall is not None else None
        if hall is None or community is None:
            raise
        if not await MemberRole.filter(user_id=user.id, hall_id=community, role=STAFF_ROLE).exists():
            raise
        return HallAccess(hall=hall, roles=STAFF_READER)

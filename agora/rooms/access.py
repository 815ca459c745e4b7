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
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.accounts.models import User
from agora.errors import NotFound
from agora.i18n import _
from agora.rooms.models import SLUG_MAX_LENGTH, Hall
from agora.web.sql import fetch, in_list

MODERATE = frozenset({"moderator", "admin"})
COMMITTEE = frozenset({"committee", "admin"})


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


# The caller's roles with each hall's kind, compound and parent; the units they own through an active
# owner record, with each unit's compound's kind and parent (plain SQL: this runs on every request).
_ROLES = (
    "SELECT r.hall_id, r.role, h.kind AS hall__kind, h.compound_id AS hall__compound_id,"
    " h.parent_id AS hall__parent_id FROM member_roles r LEFT JOIN halls h ON h.id = r.hall_id"
    " WHERE r.user_id = ?"
)
_OWNERS = "SELECT id FROM owners WHERE user_id = ? AND active = ?"
# Owner records of one compound: its roll's owners are found through the (compound, owner_ref) index
# instead of reading the owners of every compound (owners.user_id has no index).
_OWNERS_IN = "SELECT id FROM owners WHERE compound_id = ? AND user_id = ? AND active = ?"
_OWNED = (
    "SELECT DISTINCT u.compound_id, u.building_id, h.kind AS compound__kind,"
    " h.parent_id AS compound__parent_id FROM units u JOIN ownerships o ON o.unit_id = u.id"
    " LEFT JOIN halls h ON h.id = u.compound_id WHERE u.active = ? AND o.owner_id IN "
)


async def roles_by_hall(
    user: User | None, *, buildings: bool = True, owners_in: int | None = None
) -> dict[int, set[str]]:
    """The caller's roles per hall id, reading only the halls that concern them (not every hall:
    this runs on every request, and the database may hold many compounds).

    Two queries for most callers (their roles with each hall's kind, compound and parent; their owner
    records), one more for owners (their units with each unit's compound's parent), one for compound
    roles (their buildings) and one for building roles whose compound was not seen otherwise (its
    parent).
    `buildings=False` leaves out what compound roles give in their buildings (the third query), for a
    caller that only asks about a hall that is not a building. `owners_in` reads only the caller's owner
    records on that compound's roll (a roll's owners hold the roll's units), for a caller that only asks
    about that compound or one of its buildings."""
    if user is None:
        return {}
    if user.is_admin:
        return {hall_id: {"admin", "member"} for hall_id in await Hall.all().values_list("id", flat=True)}
    result: dict[int, set[str]] = {}
    # The parent of every compound seen so far (a member of a compound is a member of its parent).
    compound_parent: dict[int, int | None] = {}

    def grant(hall_id: int | None, *roles: str) -> None:
        if hall_id is not None:
            result.setdefault(hall_id, set()).update(roles)

    rows = await fetch(_ROLES, user.id)
    compound_roles: dict[int, set[str]] = {}
    for row in rows:
        kind = row["hall__kind"]
        if kind is None:  # the hall is gone
            continue
        hall_id = row["hall_id"]
        grant(hall_id, row["role"], "member")
        if kind == "compound":
            compound_roles.setdefault(hall_id, set()).add(row["role"])
            compound_parent[hall_id] = row["hall__parent_id"]
        elif kind == "building":
            grant(row["hall__compound_id"], "member")
    if compound_roles and buildings:
        compounds = list(compound_roles)
        sql = f"SELECT id, compound_id FROM halls WHERE kind = ? AND compound_id IN {in_list(compounds)}"  # noqa: S608
        for building in await fetch(sql, "building", *compounds):
            grant(building["id"], *compound_roles[building["compound_id"]], "member")
    if owners_in is None:
        owners = await fetch(_OWNERS, user.id, True)
    else:
        owners = await fetch(_OWNERS_IN, owners_in, user.id, True)
    owner_ids = [row["id"] for row in owners]
    units = await fetch(_OWNED + in_list(owner_ids), True, *owner_ids) if owner_ids else []
    for unit in units:
        grant(unit["compound_id"], "owner", "member")
        grant(unit["building_id"], "owner", "member")
        if unit["compound__kind"] == "compound":
            compound_parent[unit["compound_id"]] = unit["compound__parent_id"]
    unknown = [hall_id for hall_id in result if hall_id not in compound_parent]
    if unknown and any(row["hall__kind"] == "building" for row in rows):
        sql = f"SELECT id, parent_id FROM halls WHERE kind = ? AND id IN {in_list(unknown)}"  # noqa: S608
        for hall in await fetch(sql, "compound", *unknown):
            compound_parent[hall["id"]] = hall["parent_id"]
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
    if user.is_admin:
        roles: set[str] | None = {"admin", "member"}
    else:
        compound = {"compound": hall.id, "building": hall.compound_id}.get(hall.kind)
        roles = (await roles_by_hall(user, buildings=hall.kind == "building", owners_in=compound)).get(
            hall.id
        )
    if not roles:
        raise _refuse()
    return HallAccess(hall=hall, roles=frozenset(roles))


async def access_hall(user: User | None, slug: str) -> HallAccess:
    if user is None:
        raise _refuse()
    # A slug longer than the column cannot name a hall; Tortoise would refuse it with a server error.
    hall = await Hall.get_or_none(slug=slug) if len(slug) <= SLUG_MAX_LENGTH else None
    return await access_to(user, hall)


async def access_hall_by_id(user: User | None, hall_id: int) -> HallAccess:
    if user is None:
        raise _refuse()
    return await access_to(user, await Hall.get_or_none(id=hall_id))

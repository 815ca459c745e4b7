"""The rooms feature's plain SQL (through `agora.storage.sql`): the reads of hall access, which run on
every request, and the roll import's reads and bulk writes of a whole compound's units, owners,
ownerships and invites (executemany, no model objects: a 20,000-unit roll costs the round trips)."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any, NamedTuple, TypeVar

from agora.rooms.models import Hall, Invite, Owner, Ownership, Unit
from agora.storage.sql import (
    execute_many,
    fetch,
    fetch_named,
    fetch_rows,
    hydrate,
    in_list,
    insert_statement,
    update_statement,
)

R = TypeVar("R", bound=tuple[Any, ...])

# --- hall access ----------------------------------------------------------------------------------


@cache
def _hall_by_slug_sql() -> str:
    """Built on first use: the model's columns are known only once Tortoise is set up."""
    return f"SELECT {', '.join(sorted(Hall._meta.db_fields))} FROM halls WHERE slug = ?"  # noqa: S608


async def hall_by_slug(slug: str) -> Hall | None:
    """The hall with this slug, in one plain read (each hall page and each live socket's handshake
    starts here: Tortoise's query building cost several times the read)."""
    rows = await fetch(_hall_by_slug_sql(), slug)
    return hydrate(Hall, rows[0]) if rows else None


class RoleOrUnit(NamedTuple):
    """One row of `roles_and_units`: a role the caller holds (`src` "r": the hall, the role, the hall's
    kind, compound and parent) or a unit they own (`src` "u": `hall_id` is the unit's compound,
    `compound_id` its building, `role` is None, `kind` and `parent_id` the compound's)."""

    src: str
    hall_id: int
    role: str | None
    kind: str | None  # None: the hall is gone
    compound_id: int | None
    parent_id: int | None


# `{owners}` limits the owner records: to the caller's, or to theirs on one compound's roll (found
# through the (compound, owner_ref) index, and a roll's owners hold that roll's units). `{user}` is
# the caller's id: a parameter, or a subquery (`hall_and_roles_of`).
_ROLES_AND_UNITS = (
    "SELECT 'r' AS src, r.hall_id AS hall_id, r.role AS role, h.kind AS kind, h.compound_id AS compound_id,"
    " h.parent_id AS parent_id FROM member_roles r LEFT JOIN halls h ON h.id = r.hall_id"
    " WHERE r.user_id = {user}"
    " UNION ALL"
    " SELECT DISTINCT 'u', u.compound_id, NULL, h.kind, u.building_id, h.parent_id"
    " FROM owners w JOIN ownerships o ON o.owner_id = w.id JOIN units u ON u.id = o.unit_id"
    " LEFT JOIN halls h ON h.id = u.compound_id"
    " WHERE {owners}w.user_id = {user} AND w.active = ? AND u.active = ?"
)
_ALL_OWNERS = _ROLES_AND_UNITS.format(owners="", user="?")
_OWNERS_IN = _ROLES_AND_UNITS.format(owners="w.compound_id = ? AND ", user="?")


async def roles_and_units(user_id: int, owners_in: int | None) -> list[RoleOrUnit]:
    """In one read, everything hall access starts from: the caller's roles with each hall's kind,
    compound and parent, and the units they own through an active owner record (only on the roll of
    compound `owners_in`, when given)."""
    if owners_in is None:
        return await fetch_named(RoleOrUnit, _ALL_OWNERS, user_id, user_id, True, True)
    return await fetch_named(RoleOrUnit, _OWNERS_IN, user_id, owners_in, user_id, True, True)


# The hall named by a slug (`src` "h": its id, kind, compound and parent) with `_ROLES_AND_UNITS`' rows
# for that hall, in one statement: the owner records are read on the hall's compound's roll only
# (`owners_in`, as `access_to` asks; all of the caller's for a community, or when no hall has the slug).
_NAMED_HALL = (
    "named AS (SELECT id, kind, compound_id, parent_id FROM halls WHERE slug = ?),"
    " k AS (SELECT CASE kind WHEN 'compound' THEN id WHEN 'building' THEN compound_id END AS owners_in"
    " FROM named)"
)
_NAMED_ROW = "SELECT 'h' AS src, id AS hall_id, NULL AS role, kind, compound_id, parent_id FROM named"
_ON_NAMED_ROLL = "w.compound_id = COALESCE((SELECT owners_in FROM k), w.compound_id) AND "
_ACCESS_COLUMNS = len(RoleOrUnit._fields)


@cache
def _hall_and_roles_of(holder: str) -> str:
    """The hall and the roles of whoever `holder` names, each row led by the holder's columns."""
    roles = _ROLES_AND_UNITS.format(owners=_ON_NAMED_ROLL, user="(SELECT holder_id FROM holder)")
    return (
        f"WITH holder AS ({holder}), {_NAMED_HALL}, access AS ({_NAMED_ROW} UNION ALL {roles})"  # noqa: S608
        " SELECT holder.*, access.* FROM holder LEFT JOIN access ON 1 = 1"
    )


class HolderAndHall(NamedTuple):
    holder: tuple[Any, ...]  # the holder statement's columns, as the driver gave them
    hall: RoleOrUnit | None  # src "h"; None: no hall has the slug
    rows: list[RoleOrUnit]  # the holder's roles and units (`roles_and_units`), for that hall


async def hall_and_roles_of(holder: str, key: str, slug: str) -> HolderAndHall | None:
    """In one read, who holds a credential, the hall a slug names and the holder's roles and units for
    it (`roles_and_units`, limited as `access_to` limits them): what a live socket's handshake asks,
    thousands of times a minute on the morning a compound opens its vote. `holder` is a statement of
    one row (or none) for the parameter `key`, its first column `holder_id` (the user's id): the
    holder's values come back as it gives them, with the hall (a row of `src` "h", no model) and the
    other rows; None when nobody holds `key`."""
    rows = await fetch_rows(_hall_and_roles_of(holder), key, slug, True, True)
    if not rows:
        return None
    values = [tuple(row) for row in rows]  # asyncpg's records do not slice
    split = len(values[0]) - _ACCESS_COLUMNS
    new = tuple.__new__
    access = [new(RoleOrUnit, row[split:]) for row in values if row[split] is not None]
    hall = next((row for row in access if row.src == "h"), None)
    return HolderAndHall(values[0][:split], hall, [row for row in access if row.src != "h"] if hall else [])


class HallAndCompound(NamedTuple):
    id: int
    compound_id: int


async def buildings_of(compound_ids: list[int]) -> list[HallAndCompound]:
    """The building halls of these compounds (at least one)."""
    sql = f"SELECT id, compound_id FROM halls WHERE kind = ? AND compound_id IN {in_list(compound_ids)}"  # noqa: S608
    return await fetch_named(HallAndCompound, sql, "building", *compound_ids)


class HallAndParent(NamedTuple):
    id: int
    parent_id: int | None


async def compound_parents(hall_ids: list[int]) -> list[HallAndParent]:
    """The parent (community) of those of these halls that are compounds (at least one id)."""
    sql = f"SELECT id, parent_id FROM halls WHERE kind = ? AND id IN {in_list(hall_ids)}"  # noqa: S608
    return await fetch_named(HallAndParent, sql, "compound", *hall_ids)


# --- the roll import ------------------------------------------------------------------------------


class StoredUnit(NamedTuple):
    id: int
    building_id: int
    label: str
    entrance: str
    area_cents: int
    kind: str
    status: str
    active: bool  # as the driver gives it (1/0 on SQLite): test its truth only


async def _named_off_loop(row: type[R], sql: str, *params: Any) -> list[R]:
    """`fetch_named` for a whole compound (20,000 rows and more, during a roll import): the tuples are
    made in a worker thread, which gives the event loop the interpreter back every millisecond, rather
    than on the loop in one stretch of tens of milliseconds that every other request would wait out."""
    rows = await fetch_rows(sql, *params)
    new = tuple.__new__
    return await asyncio.to_thread(lambda: [new(row, values) for values in rows])  # type: ignore[type-var]


async def units_of(compound_id: int) -> list[StoredUnit]:
    """Every unit of the compound's roll, active or not."""
    return await _named_off_loop(
        StoredUnit,
        "SELECT id, building_id, label, entrance, area_cents, kind, status, active FROM units"
        " WHERE compound_id = ?",
        compound_id,
    )


class UnitLabel(NamedTuple):
    id: int
    building_id: int
    label: str


async def active_unit_labels(compound_id: int) -> list[UnitLabel]:
    return await _named_off_loop(
        UnitLabel,
        "SELECT id, building_id, label FROM units WHERE compound_id = ? AND active = ?",
        compound_id,
        True,
    )


class StoredOwner(NamedTuple):
    id: int
    owner_ref: str
    name: str
    active: bool  # as the driver gives it (1/0 on SQLite): test its truth only
    user_id: int | None


async def owners_of(compound_id: int) -> list[StoredOwner]:
    """Every owner record of the compound's roll, active or not."""
    sql = "SELECT id, owner_ref, name, active, user_id FROM owners WHERE compound_id = ?"
    return await _named_off_loop(StoredOwner, sql, compound_id)


class OwnerRef(NamedTuple):
    owner_ref: str
    id: int


async def active_owner_refs(compound_id: int) -> list[OwnerRef]:
    return await _named_off_loop(
        OwnerRef, "SELECT owner_ref, id FROM owners WHERE compound_id = ? AND active = ?", compound_id, True
    )


# --- the roll import's writes ---------------------------------------------------------------------
# Each takes rows of plain values in the order its columns name, as the database takes them.

UNIT_VALUES = ("entrance", "area_cents", "kind", "status", "active")
INVITE_COLUMNS = ("code_hash", "hall_id", "role", "owner_id", "max_uses", "uses", "expires_at", "created_at")
Rows = list[tuple[Any, ...]]


async def insert_units(rows: Rows) -> None:
    """Rows of (compound_id, building_id, label, *UNIT_VALUES)."""
    columns = ("compound_id", "building_id", "label", *UNIT_VALUES)
    await execute_many(Unit, insert_statement(Unit, columns), rows)


async def update_units(rows: Rows) -> None:
    """Rows of (*UNIT_VALUES, id)."""
    await execute_many(Unit, update_statement(Unit, UNIT_VALUES), rows)


async def insert_owners(rows: Rows) -> None:
    """Rows of (compound_id, owner_ref, name, active)."""
    await execute_many(Owner, insert_statement(Owner, ("compound_id", "owner_ref", "name", "active")), rows)


async def update_owners(rows: Rows) -> None:
    """Rows of (name, active, id)."""
    await execute_many(Owner, update_statement(Owner, ("name", "active")), rows)


async def insert_ownerships(rows: Rows) -> None:
    """Rows of (unit_id, owner_id)."""
    await execute_many(Ownership, insert_statement(Ownership, ("unit_id", "owner_id")), rows)


async def insert_invites(rows: Rows) -> None:
    """Rows of INVITE_COLUMNS."""
    await execute_many(Invite, insert_statement(Invite, INVITE_COLUMNS), rows)

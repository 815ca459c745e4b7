"""The ballots feature's plain SQL (through `agora.storage.sql`), as named functions returning named
rows: the ledger's reads (called by `ledger.py` and `secrecy.py`, which own the ledger), the online
cast's one read, the frozen roll's rows and the roll as it is now (a unit sold since the freeze).

Reads, and the ledger's two bulk inserts (its entries, the slots of new ballots), which `ledger.py`
alone makes, inside its lock: rows of plain values, no model objects (a batch holds up to 128 ballots).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any, NamedTuple

from agora.ballots.chain import WITHDRAWN, LedgerEntry
from agora.ballots.models import BallotSlot, LedgerRow
from agora.ballots.secret_ledger import SecretEntry
from agora.ballots.tally import CountedBallot
from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from agora.storage.sql import (
    aliased,
    by_alias,
    execute_many,
    fetch,
    fetch_named,
    fetch_rows,
    hydrate,
    in_list,
    insert_statement,
)

# --- the ledger -----------------------------------------------------------------------------------

_LEDGER_SQL = "SELECT {columns} FROM ballot_ledger WHERE proposal_id = ? ORDER BY seq"
_ENTRIES_SQL = _LEDGER_SQL.format(
    columns="seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev, hash,"
    " ciphertext, proof"
)  # LedgerEntry's fields, in order
_SEALED_ENTRIES_SQL = _LEDGER_SQL.format(
    columns="seq, receipt_hash, ciphertext, proof, persons, area_cents, channel, at, replaces, prev, hash"
)  # SecretEntry's fields, in order
# The effective ballots, filtered by the database: an entry counts unless a later one replaces it or
# it is a withdrawal (which only replaces).
_COUNTED_SQL = (
    "SELECT choice, persons, area_cents FROM ballot_ledger WHERE proposal_id = ? AND choice != ?"
    " AND seq NOT IN (SELECT replaces FROM ballot_ledger WHERE proposal_id = ? AND replaces IS NOT NULL)"
    " ORDER BY seq"
)


async def ledger_entries(proposal_id: int) -> list[LedgerEntry]:
    """Every entry of a proposal's ledger, in order, an entry straight from each row: the ledger's
    columns are plain integers and text on every backend, so no per-value converter is needed."""
    entry = LedgerEntry
    return [entry(*row) for row in await fetch_rows(_ENTRIES_SQL, proposal_id)]


async def secret_entries(proposal_id: int) -> list[SecretEntry]:
    """Every entry of a secret vote's ledger, in order."""
    return [SecretEntry(*row) for row in await fetch_rows(_SEALED_ENTRIES_SQL, proposal_id)]


async def counted_ballots(proposal_id: int) -> list[CountedBallot]:
    """The effective ballots (no later entry replaces them, withdrawals left out), in ledger order, each
    row (choice, persons, area) a ballot as it is (no per-field call)."""
    return await fetch_named(CountedBallot, _COUNTED_SQL, proposal_id, WITHDRAWN, proposal_id)


# --- the frozen roll ------------------------------------------------------------------------------


class SnapshotRow(NamedTuple):
    """A frozen roll's totals and its compound's rules, without its units and persons. Values as the
    driver gives them: `electorate.snapshot_info` converts them (and keys its cache on `created_at`)."""

    id: int
    fingerprint: str
    compound_id: int
    persons_total: Any
    area_cents_total: Any
    created_at: Any
    rules: Any  # the compound's rules, JSON text or decoded


_SNAPSHOT_SQL = (
    "SELECT s.id, s.fingerprint, s.compound_id, s.persons_total, s.area_cents_total, s.created_at,"
    " h.rules AS rules FROM roll_snapshots s INDEXED BY roll_snapshots_head"
    " JOIN halls h ON h.id = s.compound_id WHERE s.id = ?"
)


async def snapshot_row(snapshot_id: int) -> SnapshotRow | None:
    rows = await fetch_named(SnapshotRow, _SNAPSHOT_SQL, snapshot_id)
    return rows[0] if rows else None


class FrozenRollRow(NamedTuple):
    """A saved roll snapshot as the driver gives it (`electorate.FrozenRoll` decodes it)."""

    id: int
    compound_id: int
    scope: Any
    parking_counts: Any
    units: Any
    persons: Any
    persons_total: Any
    area_cents_total: Any
    fingerprint: str
    created_at: Any


_ROLL_SQL = (
    "SELECT id, compound_id, scope, parking_counts, units, persons, persons_total, area_cents_total,"
    " fingerprint, created_at FROM roll_snapshots WHERE id = ?"
)


async def frozen_roll(snapshot_id: int) -> FrozenRollRow | None:
    rows = await fetch_named(FrozenRollRow, _ROLL_SQL, snapshot_id)
    return rows[0] if rows else None


class SnapshotStamp(NamedTuple):
    fingerprint: str
    created_at: Any  # as the driver gives it (a cache key)


async def snapshot_stamp(snapshot_id: int) -> SnapshotStamp | None:
    """What tells one saved roll from another (an id can be reused after tables are truncated)."""
    sql = "SELECT fingerprint, created_at FROM roll_snapshots INDEXED BY roll_snapshots_head WHERE id = ?"
    rows = await fetch_named(SnapshotStamp, sql, snapshot_id)
    return rows[0] if rows else None


# --- opening the book (inside the writing transaction) ------------------------------------------


class BookHead(NamedTuple):
    proposal: Proposal
    head_seq: int | None  # None: the ledger is empty
    head_hash: str | None
    public_key: str | None  # hex; None: a named vote
    roll_totals: tuple[int | None, int | None] | None  # the frozen roll's persons and area; None: no roll


@cache
def _book_head_sql() -> str:
    last = "FROM ballot_ledger WHERE proposal_id = p.id ORDER BY seq DESC LIMIT 1"
    return (
        f"SELECT {aliased(Proposal, 'p')}, (SELECT seq {last}) AS b__seq, (SELECT hash {last}) AS b__hash,"  # noqa: S608
        " (SELECT public_key FROM vote_keys WHERE proposal_id = p.id) AS b__key,"
        " s.id AS s__id, s.persons_total AS s__persons, s.area_cents_total AS s__area FROM proposals p"
        " LEFT JOIN roll_snapshots s INDEXED BY roll_snapshots_head ON s.id = p.snapshot_id WHERE p.id = ?"
    )


async def lock_proposal(proposal_id: int, postgres: bool) -> None:
    """Hold the proposal's lock until the transaction ends: every writer of its ledger takes it first.

    On SQLite the write transaction is the lock. On PostgreSQL the proposal's row is locked in a
    statement of its own: a statement that waited for the lock still reads with the snapshot it
    started with (READ COMMITTED), so rows other than the proposal's read in it (the ledger's head)
    would miss what the other writer has just committed (two batches then took the same seq:
    tests/reliability/test_concurrency.py)."""
    if postgres:
        await fetch_rows("SELECT id FROM proposals WHERE id = ? FOR UPDATE", proposal_id)


async def book_head(proposal_id: int, postgres: bool) -> BookHead | None:
    """The proposal, its ledger's last entry, its vote key and its frozen roll's totals (for the
    turnout), in one statement after the lock (`lock_proposal`)."""
    await lock_proposal(proposal_id, postgres)
    rows = await fetch(_book_head_sql(), proposal_id)
    if not rows:
        return None
    columns = by_alias(rows[0])
    book, roll = columns["b"], columns["s"]
    totals = None
    if roll["id"] is not None:
        persons, area = roll["persons"], roll["area"]
        totals = (None if persons is None else int(persons), None if area is None else int(area))
    return BookHead(hydrate(Proposal, columns["p"]), book["seq"], book["hash"], book["key"], totals)


class SlotRow(NamedTuple):
    id: int
    person_key: str
    seq: int
    channel: str


async def slots_of(proposal_id: int, person_keys: list[str]) -> list[SlotRow]:
    """These persons' slots on the proposal (at least one key)."""
    sql = "SELECT id, person_key, seq, channel FROM ballot_slots WHERE proposal_id = ? AND person_key IN "
    return await fetch_named(SlotRow, sql + in_list(person_keys), proposal_id, *person_keys)


# --- the ledger's writes (inside its lock) ---------------------------------------------------------

ENTRY_COLUMNS = (
    "proposal_id", "seq", "receipt_hash", "choice", "ciphertext", "proof", "persons", "area_cents",
    "channel", "at", "replaces", "prev", "hash",
)  # fmt: skip
SLOT_COLUMNS = (
    "proposal_id", "person_key", "seq", "channel", "area_cents", "owner_ref", "user_id", "created_at",
)  # fmt: skip


async def insert_entries(rows: Iterable[tuple[Any, ...]]) -> None:
    """Ledger rows of ENTRY_COLUMNS' values."""
    await execute_many(LedgerRow, insert_statement(LedgerRow, ENTRY_COLUMNS), list(rows))


async def insert_slots(rows: Iterable[tuple[Any, ...]]) -> None:
    """Slot rows of SLOT_COLUMNS' values."""
    await execute_many(BallotSlot, insert_statement(BallotSlot, SLOT_COLUMNS), list(rows))


# --- the online cast's one read -------------------------------------------------------------------


class CastRead(NamedTuple):
    proposal: Proposal
    hall: Hall
    snapshot: SnapshotRow | None  # None: no frozen roll (or its compound is gone)
    refs: list[str]  # the caller's owner refs in the frozen roll's compound (also those a re-import left out)
    public_key: str | None  # a secret vote's key (hex), made when voting opened; None for a named vote


_SNAPSHOT_COLUMNS = ("id", "fingerprint", "compound_id", "persons_total", "area_cents_total", "created_at")


@cache
def _cast_read_sql() -> str:
    """Built on first use: the models' foreign key columns are known only once Tortoise is set up."""
    columns = [aliased(Proposal, "p"), aliased(Hall, "h")]
    columns += [f"s.{c} AS s__{c}" for c in _SNAPSHOT_COLUMNS]
    columns += ["c.id AS c__id", "c.rules AS s__rules", "o.owner_ref AS o__owner_ref"]
    columns += ["(SELECT public_key FROM vote_keys WHERE proposal_id = p.id) AS k__public_key"]
    return (
        f"SELECT {', '.join(columns)} FROM proposals p JOIN halls h ON h.id = p.hall_id"  # noqa: S608
        " LEFT JOIN roll_snapshots s INDEXED BY roll_snapshots_head ON s.id = p.snapshot_id"
        " LEFT JOIN halls c ON c.id = s.compound_id"
        " LEFT JOIN owners o ON o.compound_id = s.compound_id AND o.user_id = ?"
        " WHERE p.id = ?"
    )


async def cast_read(user_id: int, proposal_id: int) -> CastRead | None:
    """In one query: the proposal and its hall, the frozen roll's totals and compound rules, the
    user's owner refs in that compound (active or not), and the vote's public key if it is secret."""
    rows = await fetch(_cast_read_sql(), user_id, proposal_id)
    if not rows:
        return None
    columns = by_alias(rows[0])
    snapshot = None
    if columns["s"]["id"] is not None and columns["c"]["id"] is not None:
        snapshot = SnapshotRow(**columns["s"])
    refs = sorted(str(row["o__owner_ref"]) for row in rows if row["o__owner_ref"] is not None)
    proposal, hall = _cast_models(columns["p"], columns["h"])
    return CastRead(proposal, hall, snapshot, refs, columns["k"]["public_key"])


def _cast_models(proposal: dict[str, Any], hall: dict[str, Any]) -> tuple[Proposal, Hall]:
    """The proposal and hall models of a cast read, made once per distinct row: the key is every
    column's value as read, so any change to either row (the vote closes, a title is edited) is a new
    key and new models; nothing is served that the database did not just return. The models are
    shared by the casts that read the same rows: the cast path only reads them (building them was a
    tenth of a cast's time, most of it the proposal's dates and JSON columns)."""
    try:
        return _models_of_rows(tuple(proposal.items()), tuple(hall.items()))
    except TypeError:  # a value that cannot be a key (none of today's columns): built every time
        return hydrate(Proposal, proposal), hydrate(Hall, hall)


@lru_cache(maxsize=256)
def _models_of_rows(
    proposal: tuple[tuple[str, Any], ...], hall: tuple[tuple[str, Any], ...]
) -> tuple[Proposal, Hall]:
    return hydrate(Proposal, dict(proposal)), hydrate(Hall, dict(hall))


# --- the roll as it is now ------------------------------------------------------------------------


class UnitOwner(NamedTuple):
    building: str
    unit: str
    owner_ref: str | None  # None: the unit has no active owner


class UnitLabel(NamedTuple):
    building: str
    unit: str


# From the compound's buildings (indexed by compound) to their units by (building, label), the units'
# unique key: `units` has no index on its compound, and a lookup by unit label alone read every unit
# of every compound (3 ms a ballot beside a 20,000-unit compound).
_OWNERS_OF_UNITS = (
    "SELECT b.label AS building, u.label AS unit, o.owner_ref AS owner_ref FROM halls b"
    " JOIN units u ON u.building_id = b.id"
    " LEFT JOIN ownerships s ON s.unit_id = u.id"
    " LEFT JOIN owners o ON o.id = s.owner_id AND o.active = ?"
    " WHERE b.compound_id = ? AND b.label IN {buildings}"
    " AND u.compound_id = ? AND u.active = ? AND u.label IN {labels}"
)
_UNITS_OF_OWNERS = (
    "SELECT b.label AS building, u.label AS unit FROM owners o"
    " JOIN ownerships s ON s.owner_id = o.id JOIN units u ON u.id = s.unit_id"
    " JOIN halls b ON b.id = u.building_id"
    " WHERE o.compound_id = ? AND o.active = ? AND u.active = ? AND o.owner_ref IN {refs}"
)


async def owners_of_units(compound_id: int, buildings: list[str], labels: list[str]) -> list[UnitOwner]:
    """The active units of the compound with these building and unit labels (every pair of them; at
    least one of each), a row per active owner (one row with no owner for a unit that has none)."""
    sql = _OWNERS_OF_UNITS.format(buildings=in_list(buildings), labels=in_list(labels))
    return await fetch_named(UnitOwner, sql, True, compound_id, *buildings, compound_id, True, *labels)


async def units_of_owners(compound_id: int, refs: list[str]) -> list[UnitLabel]:
    """The active units these active owners of the compound hold (at least one ref)."""
    sql = _UNITS_OF_OWNERS.format(refs=in_list(refs))
    return await fetch_named(UnitLabel, sql, compound_id, True, True, *refs)


# --- who has voted --------------------------------------------------------------------------------


async def slot_totals(proposal_id: int) -> tuple[int, int]:
    """How many ballots stand on this proposal (its slots) and their area in cents."""
    rows = await fetch_rows(
        "SELECT COUNT(id), COALESCE(SUM(area_cents), 0) FROM ballot_slots WHERE proposal_id = ?", proposal_id
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


async def slot_person_keys(proposal_id: int) -> set[str]:
    """The persons whose ballot stands on this proposal (their slots; a ballot taken back frees one)."""
    rows = await fetch_rows("SELECT person_key FROM ballot_slots WHERE proposal_id = ?", proposal_id)
    return {str(row[0]) for row in rows}

"""Who votes on a proposal and how much each ballot weighs, read from the roll frozen at opening.

The frozen roll is `agora.rooms.snapshots`'s; this module reads it for the ballots feature: the
voter behind an account or an owner reference, the weights, the public (anonymous) roll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, cast

from agora import art278
from agora.accounts.models import User
from agora.ballots import permissions, queries, standing
from agora.ballots.verify import public_roll_fingerprint
from agora.errors import NotFound
from agora.i18n import _
from agora.proposals.models import Proposal
from agora.rooms.access import HallAccess
from agora.rooms.counting import DEVELOPER_KEY, format_area
from agora.rooms.models import Hall, Owner, RollSnapshot
from agora.rooms.rules import Rules, rules_from
from agora.rooms.snapshots import frozen_persons, frozen_units, snapshot_person_of
from agora.storage.memo import OnceCache
from agora.storage.sql import to_datetime


@dataclass(frozen=True)
class Voter:
    """A ballot's weight and the slot it fills: one person (owners' matters) or one account."""

    person_key: str
    persons: int
    area_cents: int
    owner_ref: str = ""


def unit_person_keys(snapshot: RollSnapshot | FrozenRoll) -> dict[tuple[str, str], str | None]:
    """(building, unit) -> person key, None for a unit that does not count (parking left out)."""
    return {(u.building, u.unit): u.person for u in frozen_units(snapshot)}


def person_weights(snapshot: RollSnapshot | FrozenRoll) -> dict[str, int]:
    """person key -> area in cents of all their counted units."""
    return {p.key: int(p.area_cents) for p in frozen_persons(snapshot)}


# --- loading ------------------------------------------------------------------------------------


async def compound_of(proposal: Proposal) -> Hall:
    hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
    if hall.kind == "compound" or hall.compound_id is None:
        return hall
    return await Hall.get(id=hall.compound_id)


async def rules_for(proposal: Proposal) -> Rules:
    if is_owners_matter(proposal) and proposal.snapshot_id is not None:
        return (await snapshot_info(proposal)).rules  # the frozen roll's compound: one query, no Hall model
    return rules_from((await compound_of(proposal)).rules)


class FrozenRoll:
    """A saved `RollSnapshot` as one plain row, its `units` and `persons` decoded on first use.

    Decoding a 20,000-unit roll costs more than the rest of a 10,000-ballot count, which needs only
    the totals; the record reads the units and persons, the turnout table only the units.
    """

    def __init__(self, row: queries.FrozenRollRow) -> None:
        self.id = int(row.id)
        self.compound_id = int(row.compound_id)
        self.scope = _json(row.scope)
        self.parking_counts = None if row.parking_counts is None else bool(row.parking_counts)
        self.persons_total = _int_or_none(row.persons_total)
        self.area_cents_total = _int_or_none(row.area_cents_total)
        self.fingerprint = str(row.fingerprint)
        self.created_at = to_datetime(row.created_at)
        self._units = row.units
        self._persons = row.persons

    @cached_property
    def units(self) -> list[list[Any]]:
        """[[building, entrance, unit, area_cents, kind, status, [owner_refs], person_key]]"""
        return _json(self._units)

    @cached_property
    def persons(self) -> list[list[Any]]:
        """[[person_key, [owner_refs], area_cents]]"""
        return _json(self._persons)


async def load_snapshot(proposal: Proposal) -> FrozenRoll:
    """The proposal's frozen roll: for the count and the record, not per ballot (see `snapshot_info`)."""
    if proposal.snapshot_id is None:
        raise NotFound(_("This vote has no frozen roll."))
    row = await queries.frozen_roll(proposal.snapshot_id)
    if row is None:
        raise NotFound(_("This vote has no frozen roll."))
    return FrozenRoll(row)


# --- the frozen roll, indexed once per process ---------------------------------------------------


@dataclass(frozen=True)
class SnapshotIndex:
    """What casting needs from a frozen roll: owner_ref -> person key, and each person's weight.

    Built once per snapshot and process (a snapshot never changes once saved) and kept in a small
    cache keyed on (id, fingerprint, created_at), so a reused id (tables truncated, ids restarted)
    never serves another roll's index. The totals and the compound come from the row on every read.
    """

    person_of: dict[str, str]
    weights: dict[str, int]


@dataclass(frozen=True)
class SnapshotInfo:
    """One light read of a proposal's frozen roll: its totals, its compound and that compound's rules."""

    id: int
    compound_id: int
    persons_total: int | None
    area_cents_total: int | None
    rules: Rules
    index: SnapshotIndex
    version: str  # `fingerprint|created_at` (agora.ballots.standing.snapshot_version)


_INDEX_CACHE_SIZE = 64
_index_cache: OnceCache[tuple[int, str, str], SnapshotIndex] = OnceCache(_INDEX_CACHE_SIZE)


def index_of_persons(persons: list[list[Any]]) -> SnapshotIndex:
    """The index of a snapshot's `persons` ([[person_key, [owner_refs], area_cents]])."""
    return SnapshotIndex(
        person_of={ref: row[0] for row in persons for ref in row[1]},
        weights={row[0]: int(row[2]) for row in persons},
    )


async def snapshot_info(proposal: Proposal) -> SnapshotInfo:
    """The proposal's frozen roll without decoding its units: one small query, the index cached."""
    if proposal.snapshot_id is None:
        raise NotFound(_("This vote has no frozen roll."))
    row = await queries.snapshot_row(proposal.snapshot_id)
    if row is None:
        raise NotFound(_("This vote has no frozen roll."))
    return await _info_of(row)


async def _info_of(row: queries.SnapshotRow) -> SnapshotInfo:
    snapshot_id = int(row.id)

    async def load() -> SnapshotIndex:
        persons = cast(list[Any], await RollSnapshot.filter(id=snapshot_id).values_list("persons", flat=True))
        return index_of_persons(persons[0] if persons else [])

    index = await _index_cache.get((snapshot_id, str(row.fingerprint), str(row.created_at)), load)
    return SnapshotInfo(
        id=snapshot_id,
        compound_id=int(row.compound_id),
        persons_total=None if row.persons_total is None else int(row.persons_total),
        area_cents_total=None if row.area_cents_total is None else int(row.area_cents_total),
        rules=_compound_rules(row.rules),
        index=index,
        version=standing.snapshot_version(row.fingerprint, row.created_at),
    )


def _compound_rules(stored: Any) -> Rules:
    """The compound's rules from their column, decoded once per distinct text (Rules is immutable;
    every cast reads them)."""
    if isinstance(stored, str | bytes):
        return _rules_of_text(stored)
    return rules_from(_decoded(stored))


@lru_cache(maxsize=256)
def _rules_of_text(text: str | bytes) -> Rules:
    return rules_from(_decoded(text))


def _json(value: Any) -> Any:
    """A JSON column read as plain SQL: text (SQLite, PostgreSQL's jsonb through asyncpg) or decoded."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _decoded(value: Any) -> dict[str, Any] | None:
    """A JSON object column (the compound's rules), None when it holds anything else."""
    value = _json(value)
    return value if isinstance(value, dict) else None


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def is_owners_matter(proposal: Proposal) -> bool:
    return art278.is_owners_matter(proposal.matter)


def has_record(proposal: Proposal) -> bool:
    """The close writes a resolution record (an owners' vote, or art. 279's consents); its roll is
    frozen when voting opens, so that the owners of the scope, and they only, may object to it."""
    return art278.has_record(proposal.matter)


def choices_of(proposal: Proposal) -> list[str]:
    if is_owners_matter(proposal):
        return list(art278.BALLOT_CHOICES)
    return [str(option.get("key")) for option in (proposal.options or []) if isinstance(option, dict)]


def choice_labels(proposal: Proposal) -> dict[str, str]:
    if is_owners_matter(proposal):
        return {"yes": _("Yes"), "no": _("No"), "abstain": _("Abstain"), "invalid": _("Invalid")}
    return {
        str(option.get("key")): str(option.get("label") or option.get("key"))
        for option in (proposal.options or [])
        if isinstance(option, dict)
    }


def owner_voter(
    snapshot: RollSnapshot | FrozenRoll | SnapshotIndex | SnapshotInfo, owner_ref: str
) -> Voter | None:
    if isinstance(snapshot, SnapshotInfo):
        snapshot = snapshot.index
    if isinstance(snapshot, SnapshotIndex):
        person = snapshot.person_of.get(owner_ref)
        if person is None:
            return None
        return Voter(person, 1, snapshot.weights.get(person, 0), owner_ref)
    person = snapshot_person_of(snapshot).get(owner_ref)
    if person is None:
        return None
    return Voter(person, 1, person_weights(snapshot).get(person, 0), owner_ref)


async def voter_for_user(proposal: Proposal, access: HallAccess, user: User) -> Voter:
    """The caller's ballot on this proposal: their person on the frozen roll, or their account.

    Owners' matters: only an owner whose owner_ref is on the roll frozen at opening votes (a tenant
    votes only as an owner's written proxy, on paper). Consultations: every member account.
    """
    if not is_owners_matter(proposal):
        permissions.check_may_vote_in_consultation(access)
        return Voter(f"user:{user.id}", 1, 0)
    return await owner_voter_for_user(await snapshot_info(proposal), user)


async def owner_voter_for_user(info: SnapshotInfo, user: User) -> Voter:
    """On an owners' matter, whose ballot the caller fills: their person on the frozen roll, or the
    person whose units they bought during the vote (see `agora.ballots.standing`)."""
    refs = await Owner.filter(user_id=user.id, compound_id=info.compound_id).values_list(
        "owner_ref", flat=True
    )
    return await voter_of_standing(info, sorted(str(r) for r in refs))


async def voter_of_standing(info: SnapshotInfo, refs: list[str]) -> Voter:
    """The caller's ballot from these owner refs (also those a re-import left out), or a refusal:
    `409 unit_sold` for a seller, `403 no_vote` for anyone else not on the frozen roll."""
    holder = await standing.holder_of(info.id, info.compound_id, refs, info.version)
    if holder is None:
        raise permissions.no_vote()
    return Voter(holder.person_key, 1, holder.area_cents, holder.owner_ref)


def public_units(snapshot: RollSnapshot | FrozenRoll) -> list[dict[str, Any]]:
    """The frozen roll without names or owner refs: person keys replaced by opaque labels."""
    opaque = opaque_persons(snapshot)
    rows = sorted(frozen_units(snapshot), key=lambda u: (u.building, u.entrance, u.unit))
    result = []
    for row in rows:
        label = opaque.get(row.person) if row.person is not None else None
        if label is None:  # a unit that does not count still needs a person key of its own
            developer = row.status in ("unsold", "undelivered")
            label = DEVELOPER_KEY if developer else f"X:{row.building}/{row.unit}"
        result.append(
            {
                "building": row.building,
                "entrance": row.entrance or "",
                "unit": row.unit,
                "area": format_area(int(row.area_cents)),
                "kind": row.kind,
                "status": row.status,
                "person": label,
            }
        )
    return result


def opaque_persons(snapshot: RollSnapshot | FrozenRoll) -> dict[str, str]:
    """person key -> a public label ("P0001", …, "developer"), numbered in roll order."""
    labels: dict[str, str] = {}
    for row in sorted(frozen_units(snapshot), key=lambda u: (u.building, u.entrance, u.unit)):
        person = row.person
        if person is None or person in labels:
            continue
        labels[person] = DEVELOPER_KEY if person == DEVELOPER_KEY else f"P{len(labels) + 1:04d}"
    return labels


def snapshot_public_fingerprint(snapshot: RollSnapshot | FrozenRoll) -> str:
    """The public roll fingerprint of a frozen roll, as its resolution record will state it.

    Published when voting opens; computed from the public units exactly as the record's
    `roll.public_fingerprint` is, so a copy taken at opening can be checked at the end.
    """
    return public_roll_fingerprint(public_units(snapshot), snapshot.parking_counts)

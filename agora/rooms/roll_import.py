"""Import an owners' roll into a compound: preview the change, then replace the roll in one transaction.

Re-importing replaces the roll for future votes. Units and owners no longer listed become inactive and
are never deleted (snapshots, ballots and invites point at them); a frozen snapshot is untouched.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, cast

import anyio.to_thread

from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Invalid, TooLarge, Unavailable
from agora.i18n import _, get_locale
from agora.live.events import atomic, disconnect_user
from agora.offload import WorkerPool
from agora.rooms import permissions, queries
from agora.rooms.access import HallAccess
from agora.rooms.counting import RollUnit
from agora.rooms.joining import issue_invites_to
from agora.rooms.models import Hall, Owner, Ownership, Unit
from agora.rooms.roll_csv import (
    MAX_ROWS,
    LineError,
    PlainRoll,
    plain_roll,
)
from agora.rooms.roll_store import Totals, chunks, export_roll_csv, load_roll, parking_rule, totals_of
from agora.storage.database import own_connection


def check_roll_access(access: HallAccess) -> Hall:
    if access.hall.kind != "compound":
        raise Invalid(_("A roll is imported into a compound hall."), code="not_a_compound")
    permissions.check_can_manage_roll(access)
    return access.hall


async def export_roll(access: HallAccess) -> str:
    return await export_roll_csv(check_roll_access(access))


def check_roll_size(data: bytes) -> None:
    """413 before any parsing for a file with more rows than MAX_ROWS (a cheap count of newlines).
    Bytes: the request is refused with 413 past the upload limit (12 MB) by the middleware, and a
    file between the parser's 10 MB and that is a 422 naming line 0 (`roll_csv.decode_roll`)."""
    if data.count(b"\n") > MAX_ROWS + 1:
        raise TooLarge(_("The roll has more than {max} rows.", max=MAX_ROWS), code="roll_too_large")


IN_THREAD_BELOW = 256 * 1024
"""Bytes under which a roll (some 5,000 rows) is parsed in a worker thread: the worker process costs a
second's start the first time, more than such a parse holds the interpreter."""

PARSING = WorkerPool("roll parsing", 1)
"""One worker process, started on the first big import and kept. Imports queue for it, so two big
imports never take both cores from the compounds being served."""


async def plain_off_loop(data: bytes, parking_counts: bool | None) -> PlainRoll | list[tuple[int, str]]:
    """Parse, check and count the roll in a worker process (a thread for a small file), in the request's
    language: the roll, or the (line, message) of every error. A 20,000-row file takes seconds of CPU:
    in a thread it would hold the interpreter's lock for most of them and every other compound's page
    would wait its turn (issue 16, item 3); in another process the event loop keeps it to itself."""
    check_roll_size(data)
    locale = get_locale()
    if len(data) < IN_THREAD_BELOW:
        return await run_sync_in_thread(plain_roll, data, locale, parking_counts)
    try:
        return await PARSING.run(plain_roll, data, locale, parking_counts)
    except BrokenProcessPool:  # the worker died (killed, out of memory): a new one with the next file
        raise Unavailable(
            _("The roll could not be checked just now: nothing was imported. Please try again."),
            code="roll_worker_stopped",
        ) from None


async def parse_off_loop(data: bytes, parking_counts: bool | None) -> PlainRoll:
    """`plain_off_loop`, a bad file refused with every error (422 `invalid_roll`)."""
    result = await plain_off_loop(data, parking_counts)
    if isinstance(result, list):
        raise Invalid(
            _("The roll has {n} error(s); nothing was imported.", n=len(result)),
            code="invalid_roll",
            lines=[{"line": line, "message": message} for line, message in result],
        )
    return result


async def run_sync_in_thread(func: Any, *args: Any) -> Any:
    context = contextvars.copy_context()
    return await anyio.to_thread.run_sync(lambda: context.run(func, *args))


def building_slug(compound_slug: str, label: str, taken: set[str]) -> str:
    """`<compound>-b<label>`, reduced to slug characters; a hash keeps non-ASCII labels apart."""
    part = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    if part != label.lower():
        digest = hashlib.sha256(label.encode()).hexdigest()[:6]
        part = f"{part}-{digest}" if part else digest
    base = f"{compound_slug}-b"
    slug = (base + part)[:64].rstrip("-")
    n = 2
    while slug in taken:
        suffix = f"-{n}"
        slug = (base + part)[: 64 - len(suffix)].rstrip("-") + suffix
        n += 1
    return slug


def building_name(compound: Hall, label: str) -> str:
    return f"{compound.name} {label}号楼" if label.isdigit() else f"{compound.name} {label}"


@dataclass(frozen=True)
class RollPreview:
    """What an import would change; `errors` non-empty means it would be refused."""

    errors: list[LineError]
    added: list[RollUnit] = field(default_factory=list)
    changed: list[tuple[RollUnit, RollUnit]] = field(default_factory=list)
    removed: list[RollUnit] = field(default_factory=list)
    before: Totals | None = None
    after: Totals | None = None
    new_buildings: list[str] = field(default_factory=list)
    owners: int = 0
    names: dict[str, str] = field(default_factory=dict)  # owner_ref -> name, the file's over the roll's

    @property
    def many_leave(self) -> bool:
        """Many units would leave the roll (10 or more, or a fifth of it): the page asks the
        committee to type their number before importing."""
        return removal_is_large(len(self.removed), self.before.units if self.before else 0)


def removal_is_large(removed: int, units_before: int) -> bool:
    return removed >= 10 or (removed >= 3 and removed * 5 >= units_before)


Changes = tuple[list[RollUnit], list[tuple[RollUnit, RollUnit]], list[RollUnit]]


def _preview_changes(current: list[RollUnit], parsed: PlainRoll) -> Changes:
    """Pure: the units added, changed (old, new) and removed by the file (run in a worker thread)."""
    old = {u.key: u for u in current}
    new = {(u[0], u[2]): RollUnit(*u) for u in parsed.units}
    return (
        [u for k, u in new.items() if k not in old],
        [(old[k], u) for k, u in new.items() if k in old and old[k] != u],
        [u for k, u in old.items() if k not in new],
    )


async def preview_roll(access: HallAccess, data: bytes) -> RollPreview:
    compound = check_roll_access(access)
    current = await load_roll(compound.id)
    rule = await parking_rule(compound)
    before = await run_sync_in_thread(totals_of, current, rule)
    parsed = await plain_off_loop(data, rule)
    if isinstance(parsed, list):
        return RollPreview(errors=[LineError(line, message) for line, message in parsed], before=before)
    added, changed, removed = await run_sync_in_thread(_preview_changes, current, parsed)
    known = {u.building for u in current} | set(
        await Hall.filter(kind="building", compound_id=compound.id).values_list("label", flat=True)
    )
    return RollPreview(
        errors=[],
        added=added,
        changed=changed,
        removed=removed,
        before=before,
        after=Totals(*parsed.totals),
        new_buildings=[b for b in parsed.buildings if b not in known],
        owners=len(parsed.owner_names),
        names={
            **dict(await Owner.filter(compound_id=compound.id).values_list("owner_ref", "name")),  # type: ignore[arg-type]
            **parsed.owner_names,
        },
    )


@dataclass(frozen=True)
class ImportResult:
    totals: Totals
    buildings: dict[str, Totals]
    invites: list[tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.totals.to_json(),
            "buildings": {slug: t.to_json() for slug, t in sorted(self.buildings.items())},
            "invites": [{"owner_ref": ref, "code": code} for ref, code in self.invites],
        }


async def _ensure_buildings(compound: Hall, labels: tuple[str, ...]) -> dict[str, Hall]:
    halls = {h.label or h.name: h for h in await Hall.filter(kind="building", compound_id=compound.id)}
    taken: set[str] | None = None
    for label in labels:
        if label in halls:
            continue
        if taken is None:
            taken = set(cast(list[str], await Hall.all().values_list("slug", flat=True)))
        slug = building_slug(compound.slug, label, taken)
        taken.add(slug)
        halls[label] = await Hall.create(
            kind="building",
            slug=slug,
            name=building_name(compound, label)[:120],
            parent=compound,
            compound_id=compound.id,
            label=label,
        )
    return halls


Rows = queries.Rows


def _unit_changes(
    compound_id: int, parsed: PlainRoll, hall_ids: dict[str, int], stored: list[queries.StoredUnit]
) -> tuple[Rows, Rows, set[int], list[int]]:
    """Pure: the units to insert and to update, the stored ids kept and those leaving the roll."""
    existing = {(row.building_id, row.label): row for row in stored}
    fresh: Rows = []
    changed: Rows = []
    kept: set[int] = set()
    for building, entrance, label, area_cents, kind, status, _owners in parsed.units:
        hall_id = hall_ids[building]
        values = (entrance, area_cents, kind, status, True)  # queries.UNIT_VALUES
        row = existing.get((hall_id, label)) if existing else None
        if row is None:
            fresh.append((compound_id, hall_id, label, *values))
            continue
        kept.add(row.id)
        if (row.entrance, row.area_cents, row.kind, row.status) != values[:4] or not row.active:
            changed.append((*values, row.id))
    gone = [row.id for row in existing.values() if row.active and row.id not in kept]
    return fresh, changed, kept, gone


async def _write_units(
    compound: Hall, parsed: PlainRoll, halls: dict[str, Hall]
) -> tuple[dict[tuple[str, str], int], set[int]]:
    """Create, update and deactivate units: (building label, unit) -> unit id of the new roll, and the
    ids of the units that were already stored (only those can have ownerships to replace).

    Rows are read as the driver gives them, compared in a worker thread and written with executemany:
    a 20,000-unit roll costs the event loop only the round trips.
    """
    stored = await queries.units_of(compound.id)
    hall_ids = {label: hall.id for label, hall in halls.items()}
    fresh, changed, kept, gone = await run_sync_in_thread(
        _unit_changes, compound.id, parsed, hall_ids, stored
    )
    if changed:
        await queries.update_units(changed)
    if fresh:
        await queries.insert_units(fresh)
    for part in chunks(gone):
        await Unit.filter(id__in=part).update(active=False)
    labels = {h.id: label for label, h in halls.items()}
    rows = await queries.active_unit_labels(compound.id)
    ids = await run_sync_in_thread(lambda: {(labels[row.building_id], row.label): row.id for row in rows})
    return ids, kept


def _owner_changes(
    compound_id: int, parsed: PlainRoll, stored: list[queries.StoredOwner]
) -> tuple[Rows, Rows, list[queries.StoredOwner]]:
    """Pure: the owners to insert, to rename or bring back, and the stored rows leaving the roll."""
    existing = {row.owner_ref: row for row in stored}
    fresh: Rows = []
    changed: Rows = []
    for ref, name in parsed.owner_names.items():
        row = existing.get(ref)
        if row is None:
            fresh.append((compound_id, ref, name, True))
        elif row.name != name or not row.active:
            changed.append((name, True, row.id))
    leaving = [row for ref, row in existing.items() if row.active and ref not in parsed.owner_names]
    return fresh, changed, leaving


def _owner_ids(
    active: list[queries.OwnerRef], stored: list[queries.StoredOwner]
) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Pure: owner_ref -> id of the roll's owners, and the (id, owner_ref) of those without an account,
    by owner_ref (an owner's account, once bound, stays: only stored rows can have one)."""
    bound = {row.owner_ref for row in stored if row.user_id}
    ids = {row.owner_ref: row.id for row in active}
    return ids, sorted(((owner_id, ref) for ref, owner_id in ids.items() if ref not in bound), key=_ref)


def _ref(pair: tuple[int, str]) -> str:
    return pair[1]


async def _write_owners(
    compound: Hall, parsed: PlainRoll
) -> tuple[dict[str, int], list[int], list[tuple[int, str]]]:
    """Create, rename, (de)activate owners: owner_ref -> id, the users whose owner left the roll, and
    the (id, owner_ref) of the roll's owners without an account."""
    stored = await queries.owners_of(compound.id)
    fresh, changed, leaving = await run_sync_in_thread(_owner_changes, compound.id, parsed, stored)
    if changed:
        await queries.update_owners(changed)
    if fresh:
        await queries.insert_owners(fresh)
    for part in chunks([row.id for row in leaving]):
        await Owner.filter(id__in=part).update(active=False)
    active = await queries.active_owner_refs(compound.id)
    ids, unbound = await run_sync_in_thread(_owner_ids, active, stored)
    return ids, [row.user_id for row in leaving if row.user_id], unbound


def _wanted_links(
    parsed: PlainRoll, unit_ids: dict[tuple[str, str], int], owner_ids: dict[str, int]
) -> set[tuple[int, int]]:
    return {(unit_ids[u[0], u[2]], owner_ids[ref]) for u in parsed.units for ref in u[6]}


async def _write_ownerships(
    parsed: PlainRoll, unit_ids: dict[tuple[str, str], int], owner_ids: dict[str, int], kept: set[int]
) -> None:
    """Make the owner links of the roll's units exactly the file's: only units stored before can have
    links, so only theirs are read, and only the links that changed are deleted or added."""
    wanted = await run_sync_in_thread(_wanted_links, parsed, unit_ids, owner_ids)
    stale: list[int] = []
    have: set[tuple[int, int]] = set()
    for part in chunks(sorted(kept & set(unit_ids.values()))):
        for link_id, unit_id, owner_id in await Ownership.filter(unit_id__in=part).values_list(
            "id", "unit_id", "owner_id"
        ):
            if (unit_id, owner_id) in wanted:
                have.add((unit_id, owner_id))
            else:
                stale.append(link_id)
    for part in chunks(stale):
        await Ownership.filter(id__in=part).delete()
    links = await run_sync_in_thread(lambda: sorted(wanted - have))
    if links:
        await queries.insert_ownerships(links)


async def import_roll(access: HallAccess, actor: User, data: bytes) -> ImportResult:
    """Replace the compound's roll with the file's, all or nothing, and issue a new invite code for each
    owner without an account (earlier codes stay valid until one is used or they expire)."""
    compound = check_roll_access(access)
    parsed = await parse_off_loop(data, await parking_rule(compound))
    async with own_connection(), atomic():
        halls = await _ensure_buildings(compound, parsed.buildings)
        unit_ids, kept = await _write_units(compound, parsed, halls)
        owner_ids, left_users, unbound = await _write_owners(compound, parsed)
        await _write_ownerships(parsed, unit_ids, owner_ids, kept)
        invites = await issue_invites_to(compound, unbound)
        totals = Totals(*parsed.totals)  # counted with the file, under the compound's parking rule
        buildings = {halls[label].slug: Totals(*t) for label, t in parsed.by_building.items()}
        await record(
            "roll.imported",
            actor=actor,
            object_type="hall",
            object_id=compound.id,
            hall_id=compound.id,
            units=totals.units,
            persons=totals.persons,
            area_cents=totals.area_cents,
            owners=len(owner_ids),
            digest=parsed.digest,
            slips_issued=len(invites),
        )
    if left_users:
        # Closes their sockets in this compound and re-checks the others (its buildings go too, a
        # hall they still see through another role or compound stays open).
        for user_id in left_users:
            await disconnect_user(user_id, compound.id)
    return ImportResult(totals=totals, buildings=buildings, invites=invites)

"""Import an owners' roll into a compound: preview the change, then replace the roll in one transaction.

Re-importing replaces the roll for future votes. Units and owners no longer listed become inactive and
are never deleted (snapshots, ballots and invites point at them); a frozen snapshot is untouched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Forbidden, Invalid
from agora.i18n import _
from agora.live.events import atomic
from agora.rooms import permissions
from agora.rooms.access import HallAccess
from agora.rooms.counting import RollUnit
from agora.rooms.joining import issue_owner_invites
from agora.rooms.models import Hall, Owner, Ownership, Unit
from agora.rooms.roll_csv import LineError, ParsedRoll, RollInvalid, parse_roll
from agora.rooms.roll_store import Totals, chunks, export_roll_csv, load_roll, parking_rule, totals_of


def check_roll_access(access: HallAccess) -> Hall:
    if access.hall.kind != "compound":
        raise Invalid(_("A roll is imported into a compound hall."), code="not_a_compound")
    if not permissions.can_manage_roll(access):
        raise Forbidden(_("Only the owners' committee can manage the roll."))
    return access.hall


async def export_roll(access: HallAccess) -> str:
    return await export_roll_csv(check_roll_access(access))


def parse_or_invalid(data: bytes) -> ParsedRoll:
    try:
        return parse_roll(data, known_buildings=None)
    except RollInvalid as invalid:
        raise Invalid(
            _("The roll has {n} error(s); nothing was imported.", n=len(invalid.errors)),
            code="invalid_roll",
            lines=[{"line": e.line, "message": e.message} for e in invalid.errors],
        ) from None


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


async def preview_roll(access: HallAccess, data: bytes) -> RollPreview:
    compound = check_roll_access(access)
    current = await load_roll(compound.id)
    rule = await parking_rule(compound)
    before = totals_of(current, rule)
    try:
        parsed = parse_roll(data, known_buildings=None)
    except RollInvalid as invalid:
        return RollPreview(errors=invalid.errors, before=before)
    old = {u.key: u for u in current}
    new = {u.key: u for u in parsed.units}
    known = {u.building for u in current} | set(
        await Hall.filter(kind="building", compound_id=compound.id).values_list("label", flat=True)
    )
    return RollPreview(
        errors=[],
        added=[u for k, u in new.items() if k not in old],
        changed=[(old[k], u) for k, u in new.items() if k in old and old[k] != u],
        removed=[u for k, u in old.items() if k not in new],
        before=before,
        after=totals_of(list(parsed.units), rule),
        new_buildings=[b for b in parsed.buildings if b not in known],
        owners=len(parsed.owner_names),
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
            taken = set(await Hall.all().values_list("slug", flat=True))
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


async def _write_units(
    compound: Hall, parsed: ParsedRoll, halls: dict[str, Hall]
) -> dict[tuple[str, str], int]:
    """Create, update and deactivate units; (building label, unit) -> unit id of the new roll."""
    existing = {(u.building_id, u.label): u for u in await Unit.filter(compound_id=compound.id)}  # type: ignore[attr-defined]
    fresh: list[Unit] = []
    kept: set[int] = set()
    for ru in parsed.units:
        hall = halls[ru.building]
        unit = existing.get((hall.id, ru.unit))
        values = {"entrance": ru.entrance, "area_cents": ru.area_cents, "kind": ru.kind, "status": ru.status}
        if unit is None:
            fresh.append(
                Unit(compound_id=compound.id, building_id=hall.id, label=ru.unit, active=True, **values)
            )
            continue
        kept.add(unit.id)
        if not unit.active or any(getattr(unit, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(unit, k, v)
            unit.active = True
            await unit.save(update_fields=[*values, "active"])
    if fresh:
        await Unit.bulk_create(fresh, batch_size=500)
    gone = [u.id for u in existing.values() if u.active and u.id not in kept]
    for part in chunks(gone):
        await Unit.filter(id__in=part).update(active=False)
    labels = {h.id: label for label, h in halls.items()}
    ids = {}
    for row in await Unit.filter(compound_id=compound.id, active=True).values("id", "building_id", "label"):
        ids[(labels[row["building_id"]], row["label"])] = row["id"]
    return ids


async def _write_owners(compound: Hall, parsed: ParsedRoll) -> tuple[dict[str, int], list[int]]:
    """Create, rename, (de)activate owners; owner_ref -> id, and the users whose owner left the roll."""
    existing = {o.owner_ref: o for o in await Owner.filter(compound_id=compound.id)}
    fresh = []
    for ref, name in parsed.owner_names.items():
        owner = existing.get(ref)
        if owner is None:
            fresh.append(Owner(compound_id=compound.id, owner_ref=ref, name=name, active=True))
        elif owner.name != name or not owner.active:
            owner.name, owner.active = name, True
            await owner.save(update_fields=["name", "active"])
    if fresh:
        await Owner.bulk_create(fresh, batch_size=500)
    leaving = [o for ref, o in existing.items() if o.active and ref not in parsed.owner_names]
    for part in chunks([o.id for o in leaving]):
        await Owner.filter(id__in=part).update(active=False)
    ids = dict(await Owner.filter(compound_id=compound.id, active=True).values_list("owner_ref", "id"))
    return ids, [o.user_id for o in leaving if o.user_id]  # type: ignore[attr-defined]


async def import_roll(access: HallAccess, actor: User, data: bytes) -> ImportResult:
    """Replace the compound's roll with the file's, all or nothing, and issue a new invite code for each
    owner without an account (earlier codes stay valid until one is used or they expire)."""
    compound = check_roll_access(access)
    parsed = parse_or_invalid(data)
    async with atomic():
        halls = await _ensure_buildings(compound, parsed.buildings)
        unit_ids = await _write_units(compound, parsed, halls)
        owner_ids, left_users = await _write_owners(compound, parsed)
        roll_ids = list(unit_ids.values())
        for part in chunks(roll_ids):
            await Ownership.filter(unit_id__in=part).delete()
        links = [
            Ownership(unit_id=unit_ids[u.key], owner_id=owner_ids[ref])
            for u in parsed.units
            for ref in u.owners
        ]
        await Ownership.bulk_create(links, batch_size=500)
        unbound = await Owner.filter(compound_id=compound.id, active=True, user_id__isnull=True).order_by(
            "owner_ref"
        )
        invites = await issue_owner_invites(compound, unbound)
        rule = await parking_rule(compound)
        totals = totals_of(list(parsed.units), rule)
        buildings = {
            halls[label].slug: totals_of([u for u in parsed.units if u.building == label], rule)
            for label in parsed.buildings
        }
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
            digest=hashlib.sha256(data).hexdigest(),
            slips_issued=len(invites),
        )
    if left_users:
        from agora.live.hub import disconnect_user

        # Closes their sockets in this compound and re-checks the others (its buildings go too, a
        # hall they still see through another role or compound stays open).
        for user_id in left_users:
            await disconnect_user(user_id, compound.id)
    return ImportResult(totals=totals, buildings=buildings, invites=invites)

"""The concerns list as CSV (UTF-8 with BOM) and XLSX: `/halls/{slug}/concerns.csv` and `.xlsx`.

A compound's or a building's hall exports its concerns as its list shows them to the caller (the
concerns feature's rule: the public ones, the caller's own, all of them for its moderators). A
community's hall exports the concerns of each compound under it that the caller reads: as a member
there, or as community staff (公开 only: never one kept to the moderators). Columns are the list's:
never who raised it, a name given on someone's behalf, a contact, the body or a feedback comment.
`from` / `to` (local dates) limit by when a concern was received (422 as for the figures).
"""

from __future__ import annotations

from datetime import datetime

from agora import clock
from agora.accounts.models import User
from agora.concerns import reads
from agora.concerns.access import Viewer, compound_and_building, staff_reader, viewer_in
from agora.concerns.labels import category_label, kind_label, route_label, urgency_label
from agora.concerns.models import Concern
from agora.concerns.rules import status_label
from agora.i18n import _
from agora.rooms.access import STAFF_READER, access_to_read, roles_by_hall
from agora.rooms.models import STAFF_ROLE, Hall
from agora.stats.services import Range, parse_range


def header() -> list[str]:
    return [
        _("Reference"),
        _("Compound"),
        _("Building"),
        _("Kind"),
        _("Category"),
        _("Title"),
        _("Status"),
        _("Urgency"),
        _("Route"),
        _("Assigned to"),
        _("Received at"),
        _("Due by"),
        _("Resolved at"),
        _("Resident's feedback"),
    ]


def _local(moment: datetime | None) -> str:
    return moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def _satisfied(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Satisfied") if value else _("Not satisfied")


def row(concern: Concern, compound: Hall, buildings: dict[int, Hall]) -> list[str]:
    building = buildings.get(concern.building_id) if concern.building_id else None  # type: ignore[attr-defined]
    return [
        concern.ref,
        compound.name,
        building.name if building is not None else "",
        kind_label(concern.kind),
        category_label(concern.category),
        concern.title,
        status_label(concern.status),
        urgency_label(concern.urgency),
        route_label(concern.route),
        concern.assignee,
        _local(concern.created_at),
        _local(concern.due_at),
        _local(concern.resolved_at),
        _satisfied(concern.feedback_satisfied),
    ]


async def _viewers(user: User, hall: Hall, staff: bool) -> list[tuple[Viewer, Hall | None]]:
    """The caller's viewer in each compound the export covers (and the building, for a building)."""
    if hall.kind != "community":
        compound, building = await compound_and_building_of(hall)
        if staff:
            return [(staff_reader(user, compound), building)]
        return [(await viewer_in(user, compound), building)]
    compounds = await Hall.filter(kind="compound", parent_id=hall.id).order_by("slug")
    mine = await roles_by_hall(user, buildings=False)
    is_staff = STAFF_ROLE in mine.get(hall.id, set())
    out: list[tuple[Viewer, Hall | None]] = []
    for compound in compounds:
        if compound.id in mine:
            out.append((await viewer_in(user, compound), None))
        elif is_staff:
            out.append((staff_reader(user, compound), None))
    return out


async def compound_and_building_of(hall: Hall) -> tuple[Hall, Hall | None]:
    if hall.kind == "compound":
        return hall, None
    compound = await Hall.get(id=hall.compound_id)  # type: ignore[attr-defined]
    return compound, hall


async def export_rows(
    user: User | None, slug: str, raw_from: str | None, raw_to: str | None
) -> tuple[Hall, Range, list[list[str]]]:
    """(the hall, the range, the rows) of the concerns list the caller may export; 404 and 422 as
    for the figures."""
    access = await access_to_read(user, slug)
    span = parse_range(raw_from, raw_to)
    hall = access.hall
    if hall.kind != "community":
        await compound_and_building(access)  # 409 for a hall outside any compound
    assert user is not None  # access_to_read refused an anonymous caller
    viewers = await _viewers(user, hall, access.roles == STAFF_READER)
    ids = [viewer.compound.id for viewer, _building in viewers]
    buildings = {b.id: b for b in await Hall.filter(kind="building", compound_id__in=ids)} if ids else {}
    rows: list[list[str]] = []
    for viewer, building in viewers:
        for concern in await reads.export_list(viewer, building, span.start, span.end):
            rows.append(row(concern, viewer.compound, buildings))
    return hall, span, rows


def filename(hall: Hall, span: Range, ext: str) -> str:
    tail = "-".join(x for x in (span.to_json()["from"], span.to_json()["to"]) if x) or "all"
    return f"agora-{hall.slug}-concerns-{tail}.{ext}"


def sections(rows: list[list[str]]) -> list[tuple[str, list[str], list[list[str]]]]:
    return [(_("Concerns"), header(), rows)]

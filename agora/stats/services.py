"""Figures for a hall and everything under it, for a date range: the use case behind the API,
the dashboard and the exports.

A range is given as local dates (Asia/Shanghai), both included: `from=2026-11-01&to=2026-11-30` is
[2026-11-01 00:00, 2026-12-01 00:00) local time. `from` after `to`, or a date that does not parse, is
422. A hall the caller neither belongs to nor oversees as community staff is 404
(agora.rooms.access.access_to_read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.errors import Invalid
from agora.i18n import _
from agora.rooms.access import access_to_read
from agora.rooms.models import Hall
from agora.stats.figures import Part, roll_up
from agora.stats.queries import FigureCache, HallRow, Rows, rows_under


@dataclass(frozen=True)
class Range:
    first: date | None
    last: date | None

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.first, time(0), clock.LOCAL_TZ).astimezone(UTC) if self.first else None

    @property
    def end(self) -> datetime | None:
        if self.last is None:
            return None
        return datetime.combine(self.last + timedelta(days=1), time(0), clock.LOCAL_TZ).astimezone(UTC)

    def to_json(self) -> dict[str, str | None]:
        return {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
        }


def parse_range(raw_from: str | None, raw_to: str | None) -> Range:
    """Two optional ISO dates; 422 for one that does not parse or a `from` after `to`."""
    found: dict[str, date | None] = {}
    fields: dict[str, str] = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        text = (raw or "").strip()
        found[name] = None
        if text:
            try:
                found[name] = date.fromisoformat(text) if len(text) == 10 else None
            except ValueError:
                found[name] = None
            if found[name] is None:
                fields[name] = "invalid"
    if fields:
        raise Invalid(_("Dates are written YYYY-MM-DD, like 2026-11-30."), code="bad_range", fields=fields)
    first, last = found["from"], found["to"]
    if first and last and first > last:
        raise Invalid(_("The range starts after it ends."), code="bad_range", fields={"from": "after_to"})
    return Range(first, last)


def month_range(month: str) -> tuple[str, str]:
    """ "2026-11" -> ("2026-11-01", "2026-11-30"); 422 for anything else."""
    try:
        first = date.fromisoformat(month.strip() + "-01") if len(month.strip()) == 7 else None
    except ValueError:
        first = None
    if first is None:
        raise Invalid(
            _("A month is written YYYY-MM, like 2026-11."), code="bad_range", fields={"month": "invalid"}
        )
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first.isoformat(), (following - timedelta(days=1)).isoformat()


def _children(hall: Hall, rows: Rows) -> list[HallRow]:
    if hall.kind == "community":
        return [h for h in rows.halls if h.kind == "compound" and h.parent_id == hall.id]
    if hall.kind == "compound":
        return [h for h in rows.halls if h.kind == "building" and h.compound_id == hall.id]
    return []


def _subtree(child: HallRow, rows: Rows) -> set[int]:
    if child.kind == "compound":
        return {child.id} | {h.id for h in rows.halls if h.compound_id == child.id}
    return {child.id}


def _part(rows: Rows) -> Part:
    def plain(tagged: list[tuple[int, Any]]) -> list[Any]:
        return [row for _hall, row in tagged]

    return Part(plain(rows.concerns), plain(rows.proposals), plain(rows.votes), plain(rows.works))


def split(rows: Rows, children: list[HallRow]) -> tuple[dict[int, Rows], Rows]:
    """The rows of each child's subtree, and the hall's own rows under no child, in one pass."""
    root: dict[int, int] = {}
    for child in children:
        for hall_id in _subtree(child, rows):
            root[hall_id] = child.id
    parts = {child.id: Rows([], [], [], [], []) for child in children}
    own = Rows([], [], [], [], [])
    for name in ("concerns", "proposals", "votes", "works"):
        for hall_id, row in getattr(rows, name):
            owner = root.get(hall_id)
            getattr(own if owner is None else parts[owner], name).append((hall_id, row))
    return parts, own


async def hall_stats(
    user: User | None, slug: str, raw_from: str | None, raw_to: str | None, cache: FigureCache
) -> dict[str, Any]:
    """The api.md "Figures" for the hall and every hall under it, plus one line per child hall."""
    access = await access_to_read(user, slug)
    span = parse_range(raw_from, raw_to)
    hall = access.hall
    rows = await rows_under(hall.id, cache, span.start, span.end)
    children = sorted(_children(hall, rows), key=lambda h: h.slug)
    parts, own = split(rows, children)
    # Each row is counted once: the children's tallies and the hall's own rows add up to the whole.
    result, each = roll_up([_part(own)] + [_part(parts[c.id]) for c in children], span.start, span.end)
    result["hall"] = {"slug": hall.slug, "name": hall.name, "kind": hall.kind}
    result["range"] = span.to_json()
    result["children"] = [
        {"slug": c.slug, "name": c.name, "kind": c.kind, **figures}
        for c, figures in zip(children, each[1:], strict=True)
    ]
    return result

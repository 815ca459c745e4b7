"""The API shape of a concern and the view data its templates render from.

A list row is rendered from `row_view(row_payload(...))` on a page and from the live event's payload
(the same `row_payload`) in a push, so a live update equals a fresh page load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora import clock
from agora.concerns import queries, rules
from agora.concerns.models import Concern
from agora.concerns.permissions import Who, can_see_names
from agora.rooms.models import Hall
from agora.storage.sql import to_datetime


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def row_payload(concern: Concern, building: Hall | None) -> dict[str, Any]:
    """What a list row shows (and what a live event carries): nothing about who raised it."""
    return {
        "concern": concern.id,
        "ref": concern.ref,
        "title": concern.title,
        "kind": concern.kind,
        "category": concern.category,
        "status": concern.status,
        "urgency": concern.urgency,
        "route": concern.route,
        "assignee": concern.assignee,
        "building": building.name if building is not None else None,
        "created_at": _iso(concern.created_at),
        "due_at": _iso(concern.due_at),
    }


def row_view(payload: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Template data for `concerns/_row.html`, from a `row_payload` (a page's or a pushed event's)."""
    created = to_datetime(payload["created_at"]) if payload.get("created_at") else None
    due = to_datetime(payload["due_at"]) if payload.get("due_at") else None
    return {
        **payload,
        "id": int(payload["concern"]),
        "created_at": created,
        "due_at": due,
        "overdue": rules.is_overdue(str(payload["status"]), due, now or clock.now()),
    }


def rows(
    concerns: list[Concern], buildings: dict[int, Hall], now: datetime | None = None
) -> list[dict[str, Any]]:
    now = now or clock.now()
    return [row_view(row_payload(c, buildings.get(c.building_id)), now) for c in concerns]  # type: ignore[arg-type,attr-defined]


def concern_json(
    concern: Concern,
    who: Who,
    *,
    compound: Hall,
    building: Hall | None,
    history: list[queries.EventRow],
    replies: list[queries.ReplyRow],
    photos: list[Any],
    proposals: list[queries.ProposalRef],
    survivor: Concern | None,
    body_html: str,
    photo_url: Any,
) -> dict[str, Any]:
    names = can_see_names(who)
    submitter = getattr(concern, "_submitter_name", None)
    return {
        "id": concern.id,
        "ref": concern.ref,
        "hall": compound.slug,
        "building": building.slug if building is not None else None,
        "building_name": building.name if building is not None else None,
        "title": concern.title,
        "body_html": body_html,
        "kind": concern.kind,
        "category": concern.category,
        "visibility": concern.visibility,
        "status": concern.status,
        "effective_status": survivor.status if survivor is not None else concern.status,
        "merged_into": {"id": survivor.id, "ref": survivor.ref} if survivor is not None else None,
        "urgency": concern.urgency,
        "route": concern.route,
        "assignee": concern.assignee,
        "created_at": _iso(concern.created_at),
        "accepted_at": _iso(concern.accepted_at),
        "due_at": _iso(concern.due_at),
        "resolved_at": _iso(concern.resolved_at),
        "closed_at": _iso(concern.closed_at),
        "overdue": rules.is_overdue(concern.status, concern.due_at, clock.now()),
        "submitter": submitter if names else None,
        "on_behalf": (concern.on_behalf_name or None) if names else None,
        "history": [
            {
                "action": row.action,
                "status": row.status,
                "at": _iso(row.at),
                # Who raised it is named only to those who see names; staff actions are signed.
                "by": row.display_name if (row.action != "received" or names) else None,
                "note": row.note,
            }
            for row in history
        ],
        "replies": [
            {
                "id": row.id,
                "as": row.official_as,
                "by": row.display_name,
                "body_html": row.body_html,
                "at": _iso(row.created_at),
            }
            for row in replies
        ],
        "photos": [
            {
                "id": p.id,
                "url": photo_url(p),
                "thumb_url": photo_url(p, True),
                "width": p.width,
                "height": p.height,
            }
            for p in photos
        ],
        "proposals": [{"id": p.id, "title": p.title, "state": p.state} for p in proposals],
        "feedback": (
            {
                "satisfied": concern.feedback_satisfied,
                "comment": concern.feedback_comment,
                "at": _iso(concern.feedback_at),
            }
            if concern.feedback_at is not None
            else None
        ),
    }

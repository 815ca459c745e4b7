"""Reading an implementation for the API, the pages and the live feed, in a fixed number of queries.

`implementation_view` is the api.md shape (`status`, `progress`, `budget`, `spent`, `funding`,
`milestones`, `updates` with their photos) plus what the pages show beside it: the lead, quotes,
budget amendments, the spending ceiling, the before/after pair, the acceptance poll and the record.
Photo bytes are never read here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora.accounts.models import User
from agora.ballots.resolution import current_resolution
from agora.implementation import rules
from agora.implementation.models import (
    BudgetAmendment,
    Implementation,
    ImplementationPhoto,
    ImplementationUpdate,
    Milestone,
    Quote,
)
from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from agora.rooms.rules import rules_from


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def photo_url(proposal_id: int, photo_id: int, thumb: bool = False) -> str:
    url = f"/proposals/{int(proposal_id)}/implementation/photos/{int(photo_id)}.jpg"
    return url + "?size=thumb" if thumb else url


async def _margin(hall_id: int) -> int:
    hall = await Hall.get_or_none(id=hall_id).only("id", "kind", "compound_id", "rules")
    if hall is None:
        return rules.DEFAULT_MARGIN_PERCENT
    if hall.kind == "building" and hall.compound_id is not None:
        compound = await Hall.get_or_none(id=hall.compound_id).only("id", "rules")
        return rules_from(compound.rules if compound else None).budget_margin_percent
    return rules_from(hall.rules).budget_margin_percent


def pair_of(updates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first "before" photo and the latest "after" photo, when both exist."""
    photos = [p for u in updates for p in u["photos"]]
    before = next((p for p in photos if p["stage"] == "before"), None)
    after = next((p for p in reversed(photos) if p["stage"] == "after"), None)
    if before is None or after is None:
        return None
    return {"before": before, "after": after}


async def implementation_view(
    implementation: Implementation, proposal: Proposal, now: datetime
) -> dict[str, Any]:
    pid = proposal.id
    milestones = await Milestone.filter(implementation_id=implementation.id).order_by("due_at", "id")
    updates = (
        await ImplementationUpdate.filter(implementation_id=implementation.id)
        .order_by("at", "id")
        .select_related("by")
    )
    photos = (
        await ImplementationPhoto.filter(implementation_id=implementation.id)
        .order_by("id")
        .only("id", "update_id", "stage", "width", "height", "thumb_width", "thumb_height")
    )
    quotes = await Quote.filter(implementation_id=implementation.id).order_by("quoted_on", "id")
    amendments = await BudgetAmendment.filter(implementation_id=implementation.id).order_by("at", "id")
    lead = await User.get(id=implementation.lead_id).only("id", "login", "display_name")  # type: ignore[attr-defined]
    margin = await _margin(implementation.hall_id)
    resolution = await current_resolution(proposal)
    poll = None
    if implementation.acceptance_proposal_id:
        poll = await Proposal.get_or_none(id=implementation.acceptance_proposal_id).only(
            "id", "state", "closes_at"
        )
    by_update: dict[int, list[dict[str, Any]]] = {}
    for photo in photos:
        by_update.setdefault(photo.update_id, []).append(  # type: ignore[attr-defined]
            {
                "id": photo.id,
                "url": photo_url(pid, photo.id),
                "thumb_url": photo_url(pid, photo.id, True),
                "stage": photo.stage,
                "width": photo.width,
                "height": photo.height,
                "thumb_width": photo.thumb_width,
                "thumb_height": photo.thumb_height,
            }
        )
    update_rows = [
        {
            "id": u.id,
            "kind": u.kind,
            "at": _iso(u.at),
            "by": u.by.display_name if u.by else None,
            "body_html": u.body_html,
            "body": u.body,
            "note": u.note,
            "progress": u.progress,
            "spent": rules.format_money(u.spent_fen),
            "stage": u.stage,
            "photos": by_update.get(u.id, []),
        }
        for u in updates
    ]
    acceptance = None
    if poll is not None:
        answer = None
        if implementation.accepted_count is not None and implementation.rejected_count is not None:
            answer = rules.Acceptance(implementation.accepted_count, implementation.rejected_count)
        acceptance = {
            "proposal": poll.id,
            "state": poll.state,
            "closes_at": _iso(poll.closes_at),
            "accepted": answer.accepted if answer else None,
            "rejected": answer.rejected if answer else None,
            "satisfaction": answer.satisfaction if answer else None,
        }
    return {
        "proposal": pid,
        "title": proposal.title,
        "status": rules.effective_status(implementation.status, implementation.due_at, now),
        "progress": implementation.progress,
        "budget": rules.format_money(implementation.budget_fen),
        "spent": rules.format_money(implementation.spent_fen),
        "budget_margin_percent": margin,
        "spending_ceiling": rules.format_money(rules.spending_ceiling(implementation.budget_fen, margin)),
        "funding": [
            {"source": f["source"], "amount": rules.format_money(int(f["fen"]))}
            for f in implementation.funding
        ],
        "lead": {"login": lead.login, "name": lead.display_name},
        "due_at": _iso(implementation.due_at),
        "created_at": _iso(implementation.created_at),
        "done_at": _iso(implementation.done_at),
        "accepted_at": _iso(implementation.accepted_at),
        "milestones": [
            {"id": m.id, "title": m.title, "due_at": _iso(m.due_at), "done_at": _iso(m.done_at)}
            for m in milestones
        ],
        "updates": update_rows,
        "quotes": [
            {
                "id": q.id,
                "supplier": q.supplier,
                "amount": rules.format_money(q.amount_fen),
                "date": q.quoted_on.isoformat(),
                "chosen": q.chosen,
            }
            for q in quotes
        ],
        "budget_amendments": [
            {
                "proposal": a.proposal_id,
                "old_budget": rules.format_money(a.old_budget_fen),
                "new_budget": rules.format_money(a.new_budget_fen),
                "at": _iso(a.at),
            }
            for a in amendments
        ],
        "pair": pair_of(update_rows),
        "acceptance": acceptance,
        "record": {"number": resolution.number, "url": f"/proposals/{pid}/resolution"}
        if resolution
        else None,
    }


def live_payload(view: dict[str, Any], update_id: int) -> dict[str, Any]:
    """What the hall hears of a new entry: the entry itself and the summary it changed."""
    update = next(u for u in view["updates"] if u["id"] == update_id)
    summary = {
        k: view[k]
        for k in (
            "status",
            "progress",
            "budget",
            "spent",
            "spending_ceiling",
            "funding",
            "pair",
            "acceptance",
        )
    }
    return {"proposal": view["proposal"], "update": update, "summary": summary}


async def implementation_of(proposal: Proposal) -> Implementation | None:
    return await Implementation.get_or_none(proposal_id=proposal.id)


async def photo_bytes(implementation: Implementation, photo_id: int, thumb: bool) -> tuple[bytes, str] | None:
    photo = await ImplementationPhoto.get_or_none(id=photo_id, implementation_id=implementation.id)
    if photo is None:
        return None
    return (photo.thumb if thumb else photo.data), photo.sha256


DECIDED_STATES = ("closed", "certified")
"""The only states whose record can be final and passed, so the only ones an implementation is opened
in (services.open_implementation, decision_stands): a proposal still in discussion or voting is not
asked, which spares every such page a query."""


async def summary_for(proposal: Proposal, now: datetime) -> dict[str, Any] | None:
    """The view for the proposal's page, or None when the decision has no implementation."""
    if proposal.state not in DECIDED_STATES:
        return None
    implementation = await implementation_of(proposal)
    if implementation is None:
        return None
    return await implementation_view(implementation, proposal, now)

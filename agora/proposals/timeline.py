"""A proposal's way through its lifecycle: who may see it, and the timeline of its states.

Every change of state is stamped here (`stamp`): the `*_at` field, the timeline row, the audit
entry and the `proposal.state` event, inside the caller's transaction. People move a proposal
through `agora.proposals.services.transition`; the ballots feature moves it without a person's
request (the automatic close, the certification) through `record_transition`.

This module is what the ballots feature reads of proposals, so it imports nothing from
`agora.ballots`: the proposals feature calls the ballots feature (to open and close a vote), never
the other way round through here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, NotFound
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import lifecycle, queries
from agora.proposals.models import ModerationEntry, Proposal, ProposalTransition
from agora.rooms.access import HallAccess, access_to

# The `*_at` field each state stamps (opens_at/closes_at are the ballots feature's, via open_vote).
STAMPS = {
    "consultation": "consultation_at",
    "notice": "notice_at",
    "closed": "closed_at",
    "certified": "certified_at",
    "withdrawn": "ended_at",
    "rejected": "ended_at",
}

# The steps the ballots feature takes on its own (`record_transition`).
AUTOMATIC = {("voting", "closed"), ("closed", "certified")}


# --- access -------------------------------------------------------------------------------------


async def access_proposal(user: User | None, proposal_id: int) -> tuple[Proposal, HallAccess]:
    """The proposal and the caller's access to its hall; NotFound if absent or not visible."""
    found = await queries.proposal_and_hall(proposal_id)
    if found is None:
        raise NotFound(_("This proposal does not exist or you cannot see it."))
    proposal, hall = found
    try:
        access = await access_to(user, hall)
    except NotFound:
        raise NotFound(_("This proposal does not exist or you cannot see it.")) from None
    return proposal, access


# --- stamps -------------------------------------------------------------------------------------


def state_payload(proposal: Proposal, from_state: str, actor: User | None) -> dict[str, Any]:
    """The `proposal.state` event's payload."""
    return {
        "proposal": proposal.id,
        "title": proposal.title,
        "state": proposal.state,
        "matter": proposal.matter,
        "from": from_state,
        "at": clock.now().isoformat(),
        "by": actor.display_name if actor else None,
    }


async def stamp(proposal: Proposal, to: str, actor: User | None, reason: str, now: datetime) -> None:
    """Move `proposal` (read inside the caller's transaction) to `to`, checked by the caller:
    the state and its `*_at` field, the timeline row, the audit entry, the event."""
    from_state = proposal.state
    proposal.state = to
    updated = ["state"]
    if to in STAMPS:
        setattr(proposal, STAMPS[to], now)
        updated.append(STAMPS[to])
    if to in ("withdrawn", "rejected"):
        proposal.end_reason = reason
        updated.append("end_reason")
    await proposal.save(update_fields=updated)
    await ProposalTransition.create(
        proposal=proposal, from_state=from_state, to_state=to, at=now, by=actor, reason=reason
    )
    hall_id = proposal.hall_id  # type: ignore[attr-defined]
    await record(
        f"proposal.{to}",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=hall_id,
        from_state=from_state,
        reason=reason,
    )
    if to == "rejected":
        await ModerationEntry.create(
            hall_id=hall_id, action="reject", actor=actor, proposal_id=proposal.id, reason=reason, at=now
        )
    await emit(hall_id, "proposal.state", state_payload(proposal, from_state, actor))


async def record_transition(
    proposal: Proposal, to: str, actor: User | None, reason: str = "", at: datetime | None = None
) -> Proposal:
    """For the ballots feature: an automatic close (`actor=None`, `at` the announced close: one
    closing time everywhere) or a certification."""
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if not lifecycle.edge_exists(fresh.state, to, fresh.matter) or (fresh.state, to) not in AUTOMATIC:
            raise Conflict(
                _("A proposal in state {state} cannot be moved to {to}.", state=fresh.state, to=to),
                code="transition_not_allowed",
            )
        await stamp(fresh, to, actor, reason, at or clock.now())
    for name in ("state", "closed_at", "certified_at"):
        setattr(proposal, name, getattr(fresh, name))
    return fresh


# --- reads --------------------------------------------------------------------------------------


async def timeline(proposal: Proposal) -> list[ProposalTransition]:
    return await ProposalTransition.filter(proposal_id=proposal.id).order_by("id").select_related("by")


async def timeline_view(proposal: Proposal) -> list[dict[str, Any]]:
    """The timeline for the page, as plain rows: `to_state`, `at`, `by` ({display_name} or None
    for an automatic step), `reason` (what the template reads of `timeline`'s models)."""
    return [
        {
            "to_state": row.to_state,
            "at": row.at,
            "by": {"display_name": row.display_name} if row.display_name is not None else None,
            "reason": row.reason,
        }
        for row in await queries.timeline_rows(proposal.id)
    ]

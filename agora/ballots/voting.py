"""Opening and closing votes, exactly once, also when the server was down at the closing time.

`close_overdue` closes with a conditional UPDATE (`state='voting' → 'closed' WHERE closes_at <= now`):
whichever worker's UPDATE changes the row does the close; every other worker changes nothing and
moves on. The count, the resolution record draft and the `result.published` event happen in the same
transaction as the state change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import F

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots import electorate, secrecy
from agora.ballots.ledger import counted_ballots
from agora.ballots.models import BallotSlot, IdempotencyKey
from agora.ballots.resolution import draft_resolution
from agora.ballots.tally import tally_consultation
from agora.errors import Conflict
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals.models import Proposal
from agora.proposals.timeline import record_transition
from agora.rooms.models import Hall
from agora.rooms.rules import rules_in_force
from agora.rooms.snapshots import freeze_roll

log = logging.getLogger("agora.ballots")


@dataclass(frozen=True)
class OpenedVote:
    """What opening a vote set on the proposal (and stored)."""

    snapshot_id: int | None  # the roll frozen at opening (owners' matters; None for a consultation)
    roll_fingerprint: str | None  # its public fingerprint, published before any ballot
    opens_at: datetime
    closes_at: datetime  # in UTC

    def apply(self, proposal: Proposal) -> None:
        """Copy what was stored onto a proposal object the caller keeps using."""
        proposal.snapshot_id = self.snapshot_id
        proposal.roll_fingerprint = self.roll_fingerprint
        proposal.opens_at, proposal.closes_at = self.opens_at, self.closes_at


async def open_vote(proposal: Proposal, *, closes_at: datetime, actor: User | None) -> OpenedVote:
    """Freeze the electorate and set the window (the proposals feature has checked state, role and
    dates); returns what it stored, which the caller copies onto its proposal."""
    now = clock.now()
    # Stored in UTC: SQLite compares datetimes as text, so "+08:00" would close votes 8 hours late.
    closes_at = closes_at.astimezone(UTC)
    snapshot_id, fingerprint = proposal.snapshot_id, proposal.roll_fingerprint
    if electorate.has_record(proposal):
        hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
        rules = rules_in_force(proposal.rules, await electorate.rules_for(proposal))  # as frozen at notice
        snapshot = await freeze_roll(
            hall,
            proposal.entrance or None,
            parking_counts=rules.parking_counts,
            charged_units=proposal.charged_units,  # a maintenance-fund spend: only the units it charges
        )
        snapshot_id = snapshot.id
        # Published now, before any ballot: a roll rewritten later no longer matches it.
        fingerprint = electorate.snapshot_public_fingerprint(snapshot)
        if rules.ballot_secrecy == "secret" and electorate.is_owners_matter(proposal):
            await secrecy.start_secret_vote(proposal.id)  # ballots are sealed from the first one
    await Proposal.filter(id=proposal.id).update(
        snapshot_id=snapshot_id, roll_fingerprint=fingerprint, opens_at=now, closes_at=closes_at
    )
    await record(
        "vote.opened",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        closes_at=closes_at.isoformat(),
        snapshot=snapshot_id,
        roll_fingerprint=fingerprint,
    )
    return OpenedVote(snapshot_id, fingerprint, now, closes_at)


async def close_vote(proposal: Proposal, *, actor: User | None, at: datetime | None = None) -> Proposal:
    """A moderator closes the vote (called by the proposals feature's transition, which has checked
    the window and then records the timeline); `at` is the closing time the transition stamps."""
    async with atomic():
        now = at or clock.now()
        if not await _claim(proposal.id, now, due_only=False):
            raise Conflict(_("This vote is not open, so it cannot be closed."), code="not_open")
        await _finish(proposal, actor, now)
    return proposal


async def close_overdue() -> int:
    """Close every vote whose closing time has passed; safe to run in several workers at once."""
    now = clock.now()
    overdue = Proposal.filter(state="voting", closes_at__lte=now, closed_at=None)
    due = cast(list[int], await overdue.values_list("id", flat=True))
    closed = 0
    for proposal_id in due:
        try:
            async with atomic():
                if not await _claim(proposal_id, now, due_only=True):
                    continue  # another worker closed it
                proposal = await Proposal.get(id=proposal_id)
                # The vote ended at its announced close, whenever the schedule gets to it: one closing
                # time in the proposal, the timeline and the record (nothing was accepted after it).
                closed_at = proposal.closed_at or now
                await record_transition(proposal, "closed", None, at=closed_at)
                await _finish(proposal, None, closed_at)
                closed += 1
        except Exception:  # noqa: BLE001 — one bad vote must not keep the others open
            log.exception("closing vote %s failed", proposal_id)
    return closed


async def _claim(proposal_id: int, now: datetime, *, due_only: bool) -> bool:
    """The one conditional UPDATE that decides who closes: only one transaction can change the row."""
    query = Proposal.filter(id=proposal_id, state="voting", closed_at=None)
    if due_only:
        return await query.filter(closes_at__lte=now).update(closed_at=F("closes_at")) == 1
    return await query.update(closed_at=now) == 1


async def _finish(proposal: Proposal, actor: User | None, now: datetime) -> None:
    """Everything a close does, inside the closing transaction: count, record draft, event."""
    proposal.closed_at = now
    await IdempotencyKey.filter(proposal_id=proposal.id).delete()  # sealed receipts go with the vote
    outcome = None
    if electorate.has_record(proposal):
        resolution = await draft_resolution(proposal, now, closed_by=actor.display_name if actor else None)
        outcome = resolution.document["result"]["outcome"]
    await emit(
        proposal.hall_id,  # type: ignore[attr-defined]
        "result.published",
        {"proposal": proposal.id, "outcome": outcome},
    )
    await record(
        "vote.closed",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        outcome=outcome,
        by="moderator" if actor else "schedule",
    )


async def consultation_result(proposal: Proposal) -> dict:
    """A non-binding poll: persons per option, no area, no thresholds."""
    options = electorate.choices_of(proposal)
    counts = tally_consultation(options, await counted_ballots(proposal.id))
    return {
        "state": proposal.state,
        "outcome": None,
        "participating": {"persons": await BallotSlot.filter(proposal_id=proposal.id).count()},
        "choices": {key: {"persons": n} for key, n in counts.items()},
    }

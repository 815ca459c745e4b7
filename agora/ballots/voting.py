"""Opening and closing votes, exactly once, also when the server was down at the closing time.

`close_overdue` closes with a conditional UPDATE (`state='voting' → 'closed' WHERE closes_at <= now`):
whichever worker's UPDATE changes the row does the close; every other worker changes nothing and
moves on. The count, the resolution record draft and the `result.published` event happen in the same
transaction as the state change.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from tortoise.expressions import F

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots import electorate, secrecy
from agora.ballots.chain import LedgerEntry
from agora.ballots.models import BallotSlot, IdempotencyKey
from agora.ballots.tally import CountedBallot, tally_consultation
from agora.ballots.verify import snapshot_public_fingerprint
from agora.errors import Conflict
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from agora.rooms.rules import rules_in_force
from agora.web.sql import fetch_rows

log = logging.getLogger("agora.ballots")


async def open_vote(proposal: Proposal, *, closes_at: datetime, actor: User | None) -> Proposal:
    """Freeze the electorate and set the window (the proposals feature has checked state, role and dates)."""
    now = clock.now()
    # Stored in UTC: SQLite compares datetimes as text, so "+08:00" would close votes 8 hours late.
    closes_at = closes_at.astimezone(UTC)
    if electorate.is_owners_matter(proposal):
        hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
        snapshot = await electorate.freeze_roll(hall, proposal.entrance or None)
        proposal.snapshot_id = snapshot.id
        # Published now, before any ballot: a roll rewritten later no longer matches it.
        proposal.roll_fingerprint = snapshot_public_fingerprint(snapshot)
        rules = rules_in_force(proposal.rules, await electorate.rules_for(proposal))  # as frozen at notice
        if rules.ballot_secrecy == "secret":
            await secrecy.start_secret_vote(proposal.id)  # ballots are sealed from the first one
    proposal.opens_at = now
    proposal.closes_at = closes_at
    await Proposal.filter(id=proposal.id).update(
        snapshot_id=proposal.snapshot_id,
        roll_fingerprint=proposal.roll_fingerprint,
        opens_at=now,
        closes_at=closes_at,
    )
    await record(
        "vote.opened",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        closes_at=closes_at.isoformat(),
        snapshot=proposal.snapshot_id,
        roll_fingerprint=proposal.roll_fingerprint,
    )
    return proposal


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
    due = await Proposal.filter(state="voting", closes_at__lte=now, closed_at=None).values_list(
        "id", flat=True
    )
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
                await electorate.record_transition(proposal, "closed", None, at=closed_at)
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
    if electorate.is_owners_matter(proposal):
        from agora.ballots.resolution import draft_resolution

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


_LEDGER_SQL = "SELECT {columns} FROM ballot_ledger WHERE proposal_id = ? ORDER BY seq"
_ENTRIES_SQL = _LEDGER_SQL.format(
    columns="seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev, hash,"
    " ciphertext, proof"
)  # LedgerEntry's fields, in order
_COUNTED_SQL = _LEDGER_SQL.format(columns="seq, replaces, choice, persons, area_cents")


async def ledger_entries(proposal_id: int) -> list[LedgerEntry]:
    """Every entry of a proposal's ledger, in order, as the chain module takes them.

    One fixed query, an entry straight from each row: the ledger's columns are plain integers and
    text on every backend, so Tortoise's query building and per-value converters are not needed.
    """
    entry = LedgerEntry
    return [entry(*row) for row in await fetch_rows(_ENTRIES_SQL, proposal_id)]


async def counted_ballots(proposal_id: int) -> list[CountedBallot]:
    """The effective ballots (the entries no later entry replaces), reading only what the count needs."""
    rows = await fetch_rows(_COUNTED_SQL, proposal_id)
    replaced = {replaces for _seq, replaces, *_rest in rows if replaces is not None}
    ballot = CountedBallot
    return [
        ballot(choice, persons, area) for seq, _replaces, choice, persons, area in rows if seq not in replaced
    ]


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

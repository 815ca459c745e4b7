"""Acceptance (验收) and the stalled reminder: what happens to a work after it is done, or overdue.

When the committee or the lead reports 100 %, a consultation poll of the hall's residents opens at
once ("do you accept the work?", accept / reject, `POLL_DAYS` days), through the ballots feature's
own opening (one ballot per account, closed by the scheduler at its closing time). Once the poll
has closed, `settle_closed_polls` records the result and the satisfaction rate: more than half of
those who answered accept → `accepted`; otherwise the work goes back to `in_progress`.

A work past its due date that is neither done nor accepted shows as stalled; `remind_stalled`
writes one reminder into its timeline, tells the hall live, and records it in the audit log, so
the committee sees it on the work's page and in the hall's live log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agora import clock
from agora.accounts.models import User
from agora.ballots.voting import consultation_result, open_vote
from agora.concerns.models import Concern
from agora.concerns.rules import FINAL as CONCERN_FINAL
from agora.concerns.services import set_status
from agora.i18n import _
from agora.implementation import history, queries, rules
from agora.implementation.models import Implementation, ImplementationUpdate
from agora.live.events import atomic, emit
from agora.proposals.models import Proposal, ProposalTransition
from agora.storage.database import is_postgres

POLL_DAYS = 7
ACCEPT, REJECT = "accept", "reject"


async def open_poll(
    implementation: Implementation, proposal: Proposal, actor: User, now: datetime
) -> Proposal:
    """Open the residents' acceptance poll (inside the caller's transaction)."""
    poll = await Proposal.create(
        hall_id=implementation.hall_id,
        author=actor,
        title=_("Acceptance: {title}", title=proposal.title)[:200],
        body=_(
            "The work decided in proposal #{id} is reported done. Do you accept it?"
            " See the before and after photos on the work's page: /proposals/{id}/implementation",
            id=proposal.id,
        ),
        category=proposal.category,
        matter="consultation",
        options=[
            {"key": ACCEPT, "label": _("I accept the work")},
            {"key": REJECT, "label": _("I do not accept it")},
        ],
        state="voting",
        consultation_at=now,
    )
    for frm, to in (("draft", "consultation"), ("consultation", "voting")):
        await ProposalTransition.create(proposal=poll, from_state=frm, to_state=to, at=now, by=actor)
    (await open_vote(poll, closes_at=now + timedelta(days=POLL_DAYS), actor=actor)).apply(poll)
    implementation.acceptance_proposal_id = poll.id
    return poll


async def _locked(implementation_id: int) -> Implementation:
    query = Implementation.filter(id=implementation_id)
    if is_postgres():
        query = query.select_for_update()
    return await query.get()


async def settle_closed_polls() -> int:
    """Record the result of every acceptance poll that has closed; returns how many were settled."""
    settled = 0
    waiting = await Implementation.filter(status="done", acceptance_proposal_id__not_isnull=True)
    for implementation in waiting:
        poll = await Proposal.get_or_none(id=implementation.acceptance_proposal_id)
        if poll is None or poll.state not in ("closed", "certified"):
            continue
        counts = (await consultation_result(poll))["choices"]
        answer = rules.Acceptance(
            int(counts.get(ACCEPT, {}).get("persons", 0)), int(counts.get(REJECT, {}).get("persons", 0))
        )
        async with atomic():
            locked = await _locked(implementation.id)
            if locked.status != "done" or locked.acceptance_proposal_id != poll.id:
                continue
            now = clock.now()
            locked.accepted_count, locked.rejected_count = answer.accepted, answer.rejected
            locked.status = "accepted" if answer.passed else "in_progress"
            locked.accepted_at = now if answer.passed else None
            await locked.save(update_fields=["accepted_count", "rejected_count", "status", "accepted_at"])
            entry = await ImplementationUpdate.create(
                implementation=locked,
                kind="acceptance",
                by=None,
                body=_("Residents accepted the work.")
                if answer.passed
                else _("Residents did not accept the work."),
                progress=locked.progress,
                spent_fen=locked.spent_fen,
                at=now,
            )
            await history.audit(
                "accepted" if answer.passed else "not_accepted",
                None,
                locked.proposal_id,  # type: ignore[attr-defined]
                locked.hall_id,
                accepted=answer.accepted,
                rejected=answer.rejected,
            )
            proposal = await Proposal.get(id=locked.proposal_id)  # type: ignore[attr-defined]
            if answer.passed:
                await resolve_concern(proposal, answer)
            view = await queries.implementation_view(locked, proposal, now)
            await emit(locked.hall_id, "implementation.update", queries.live_payload(view, entry.id))
        settled += 1
    return settled


async def resolve_concern(proposal: Proposal, answer: rules.Acceptance) -> None:
    """The concern that led to the proposal is resolved once residents accept the work (through the
    concerns feature's own status change: history, audit and live event). A concern already final
    (resolved, closed unresolved, merged) is left as it is."""
    concern = await Concern.get_or_none(id=proposal.concern_id) if proposal.concern_id else None
    if concern is None or concern.status in CONCERN_FINAL:
        return
    note = _(
        "The work decided in proposal #{id} was accepted by residents (satisfaction rate {rate}).",
        id=proposal.id,
        rate=answer.satisfaction,
    )
    await set_status(concern, "resolved", note=note, actor=None)


async def remind_stalled() -> int:
    """Remind the committee, once per work, when its due date passes before it is done."""
    now = clock.now()
    reminded = 0
    overdue = await Implementation.filter(
        status__in=("planned", "in_progress"), due_at__lt=now, stalled_notified_at__isnull=True
    )
    for implementation in overdue:
        async with atomic():
            locked = await _locked(implementation.id)
            if locked.status not in ("planned", "in_progress") or locked.stalled_notified_at is not None:
                continue
            locked.stalled_notified_at = now
            await locked.save(update_fields=["stalled_notified_at"])
            entry = await ImplementationUpdate.create(
                implementation=locked,
                kind="stalled",
                by=None,
                body=_(
                    "The due date has passed and the work is not done: the owners' committee is reminded."
                ),
                progress=locked.progress,
                spent_fen=locked.spent_fen,
                at=now,
            )
            await history.audit(
                "stalled",
                None,
                locked.proposal_id,  # type: ignore[attr-defined]
                locked.hall_id,
                due_at=locked.due_at.isoformat(),
            )
            proposal = await Proposal.get(id=locked.proposal_id)  # type: ignore[attr-defined]
            view = await queries.implementation_view(locked, proposal, now)
            await emit(locked.hall_id, "implementation.update", queries.live_payload(view, entry.id))
        reminded += 1
    return reminded

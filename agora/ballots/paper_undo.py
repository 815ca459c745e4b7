"""The canvasser's undo window: a paper ballot entered by mistake is taken back within minutes.

A typo at the door (the wrong room, the wrong box ticked) would otherwise use up an owner's one
ballot for good. For `UNDO_SECONDS` after entering it, the canvasser who entered a paper or proxy
ballot may withdraw it while voting is open: the ledger gets a `withdrawn` entry replacing it (the
chain stays append-only, see `agora.ballots.chain`), the owner's slot is freed so a ballot can be
entered again, and the audit log keeps who, when and what was on the mistaken entry. After the window
only the owners' committee can correct it (through the resolution record's correction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots import ledger, permissions
from agora.ballots.casting import access_as_canvasser
from agora.ballots.models import BallotSlot, LedgerRow, PaperBallot
from agora.errors import Conflict, NotFound
from agora.i18n import _
from agora.live.events import atomic

UNDO_SECONDS = 5 * 60


def undo_deadline(entered_at: datetime) -> datetime:
    return entered_at + timedelta(seconds=UNDO_SECONDS)


def may_undo(entered_at: datetime, now: datetime) -> bool:
    """Pure: the window is open up to (not including) five minutes after the entry."""
    return now < undo_deadline(entered_at)


@dataclass(frozen=True)
class Undone:
    owner_ref: str
    channel: str
    seq: int  # the withdrawn entry
    withdrawal_seq: int  # the entry that withdraws it


def _window_passed() -> Conflict:
    return Conflict(
        _(
            "The {minutes} minutes to undo this entry have passed; "
            "only the owners' committee can correct it now.",
            minutes=UNDO_SECONDS // 60,
        ),
        code="undo_window_passed",
    )


async def undo_paper(user: User, proposal_id: int, seq: Any) -> Undone:
    """Withdraw the paper or proxy ballot entered as ledger entry `seq` (its canvasser, in the window)."""
    proposal, _access = await access_as_canvasser(user, proposal_id)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise NotFound(_("There is no such paper ballot on this vote."), code="no_paper_ballot")
    paper = await PaperBallot.get_or_none(proposal_id=proposal.id, seq=seq)
    if paper is None:
        raise NotFound(_("There is no such paper ballot on this vote."), code="no_paper_ballot")
    permissions.check_may_undo_paper_entry(paper.canvasser_id, user.id)  # type: ignore[attr-defined]
    if not may_undo(paper.created_at, clock.now()):
        raise _window_passed()
    async with atomic():
        slot = await BallotSlot.get_or_none(proposal_id=proposal.id, seq=seq)
        if slot is None:
            raise NotFound(_("There is no such paper ballot on this vote."), code="no_paper_ballot")
        book = await ledger.open_book(proposal.id, [slot.person_key])
        book.check_open()
        fresh = await PaperBallot.get_or_none(id=paper.id)  # re-read under the lock: undone once
        earlier = book.earlier(slot.person_key)
        if fresh is None or earlier is None or earlier.seq != seq:
            raise NotFound(_("There is no such paper ballot on this vote."), code="no_paper_ballot")
        entry = await LedgerRow.get(proposal_id=proposal.id, seq=seq)
        withdrawal = book.withdraw(slot.person_key, entry.persons, entry.area_cents)
        await book.write()
        await fresh.delete()  # the proxy's cap counts only the ballots that stand
        await record(
            "ballot.paper_undone",
            actor=user,
            object_type="proposal",
            object_id=proposal.id,
            hall_id=book.proposal.hall_id,  # type: ignore[attr-defined]
            owner_ref=paper.owner_ref,
            channel=slot.channel,
            witness=paper.witness,
            proxy_name=paper.proxy_name,
            entered_at=paper.created_at.isoformat(),
            seq=seq,
            withdrawal_seq=withdrawal.seq,
        )
    return Undone(paper.owner_ref, slot.channel, seq, withdrawal.seq)

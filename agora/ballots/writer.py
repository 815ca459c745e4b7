"""One writer per process for online ballots: queued casts are appended together, in one transaction.

Each online cast is checked outside the lock (access, the voter, the choice), then handed to this
writer and its request waits. The writer takes everything queued (up to `MAX_BATCH`), opens one write
transaction, and for each proposal in it takes the proposal's lock, re-checks that the vote is open,
reads the head of the ledger and the slots of the persons in the batch, then decides every cast in
arrival order exactly as a lone cast would: a replayed Idempotency-Key gets its first response, a
second ballot for a person (from the database or from earlier in the same batch) is refused, the rest
are chained one after another. It writes the rows, emits one `ballot.turnout` per proposal, commits
once, and only then answers every waiting request: a receipt is never given for an uncommitted
ballot, and a crash loses only ballots nobody was told about.

Refusals are decided here but their messages are built by the waiting request (in its language), so
one refusal never fails the others. If the shared transaction itself fails (a storage fault, an
unexpected constraint), nothing of it was committed, and every request in it falls back to casting
alone, in its own transaction, as before, where the error, if it persists, is its own.

While the writer is committing one batch the next fills up, so batches grow with the load and cost
nothing when there is none (a lone cast is a batch of one).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.ballots import secrecy
from agora.ballots.chain import GENESIS, append, hash_receipt, receipt_code
from agora.ballots.electorate import Voter
from agora.ballots.idempotency import key_reused, key_row, mismatch, request_digest, stored_response
from agora.ballots.models import BallotSlot, IdempotencyKey, LedgerRow
from agora.errors import DomainError
from agora.live.events import atomic, emit
from agora.rooms.counting import format_area

log = logging.getLogger("agora.ballots")

MAX_BATCH = 128


@dataclass
class Cast:
    """One online cast waiting for the writer."""

    proposal_id: int
    voter: Voter
    choice: str
    user: User
    key: str | None
    revote: bool
    future: asyncio.Future[Any] = field(repr=False)


class RunAlone:
    """The shared transaction failed: the request casts on its own (nothing of the batch was written)."""


RUN_ALONE = RunAlone()


@dataclass(frozen=True)
class Refused:
    """A refusal decided by the writer; `error()` builds the message in the waiting request's language."""

    error: Callable[[], DomainError]


@dataclass
class _Slot:
    channel: str
    seq: int
    id: int | None = None  # None: created in this batch
    row: BallotSlot | None = None


@dataclass
class _Queue:
    casts: list[Cast] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()


async def submit(
    proposal_id: int, voter: Voter, choice: str, user: User, key: str | None, revote: bool
) -> dict[str, Any] | Refused | RunAlone:
    """Queue one cast and wait until its batch has committed (or been refused, or failed)."""
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _Queue()
    cast = Cast(proposal_id, voter, choice, user, key, revote, loop.create_future())
    queue.casts.append(cast)
    if queue.task is None or queue.task.done():
        queue.task = loop.create_task(_drain(queue))
    return await cast.future


async def _drain(queue: _Queue) -> None:
    while queue.casts:
        batch, queue.casts = queue.casts[:MAX_BATCH], queue.casts[MAX_BATCH:]
        batch = [cast for cast in batch if not cast.future.done()]  # a request gone before its turn
        if not batch:
            continue
        try:
            outcomes = await _write(batch)
        except asyncio.CancelledError:
            _settle(batch, [RUN_ALONE] * len(batch))
            for cast in queue.casts:
                if not cast.future.done():
                    cast.future.set_result(RUN_ALONE)
            queue.casts = []
            raise
        except Exception:  # noqa: BLE001 — nothing committed: each cast is retried on its own
            log.warning("a batch of %d ballots failed; casting each on its own", len(batch), exc_info=True)
            outcomes = [RUN_ALONE] * len(batch)
        _settle(batch, outcomes)


def _settle(batch: list[Cast], outcomes: list[Any]) -> None:
    for cast, outcome in zip(batch, outcomes, strict=True):
        if not cast.future.done():
            cast.future.set_result(outcome)


async def _write(batch: list[Cast]) -> list[Any]:
    """Decide and write a batch in one transaction; the outcomes in batch order, valid once committed."""
    from agora.ballots.casting import check_open, lock_proposal

    outcomes: list[Any] = [None] * len(batch)
    by_proposal: dict[int, list[int]] = {}
    for position, cast in enumerate(batch):
        by_proposal.setdefault(cast.proposal_id, []).append(position)
    keys: dict[tuple[int, str], tuple[int, dict[str, Any], str | None]] = {}  # (user id, key) -> first answer
    async with atomic():
        for proposal_id, positions in by_proposal.items():
            locked = await lock_proposal(proposal_id)
            try:
                check_open(locked)
                closed = None
            except DomainError:
                closed = Refused(_not_open_of(locked))
            written = await _write_proposal(locked, [batch[p] for p in positions], closed, keys)
            for position, outcome in zip(positions, written, strict=True):
                outcomes[position] = outcome
    return outcomes


def _not_open_of(proposal: Any) -> Callable[[], DomainError]:
    from agora.ballots.casting import not_open

    return lambda: not_open(proposal)


def _already_voted(channel: str) -> Callable[[], DomainError]:
    from agora.ballots.casting import already_voted

    return lambda: already_voted(channel)


async def _write_proposal(
    proposal: Any,
    casts: list[Cast],
    closed: Refused | None,
    keys: dict[tuple[int, str], tuple[int, dict[str, Any], str | None]],
) -> list[Any]:
    from agora.ballots.casting import _turnout_payload

    outcomes: list[Any] = []
    slots: dict[str, _Slot] = {}
    prev, seq = GENESIS, 0
    if closed is None:
        wanted = list({cast.voter.person_key for cast in casts})
        for row in await BallotSlot.filter(proposal_id=proposal.id, person_key__in=wanted).values(
            "id", "person_key", "seq", "channel"
        ):
            slots[row["person_key"]] = _Slot(row["channel"], row["seq"], row["id"])
        head = await LedgerRow.filter(proposal_id=proposal.id).order_by("-seq").limit(1).values("seq", "hash")
        prev, seq = (head[0]["hash"], head[0]["seq"]) if head else (GENESIS, 0)
    public_key = await secrecy.public_key_of(proposal.id) if closed is None else None
    ledger: list[LedgerRow] = []
    new_slots: list[BallotSlot] = []
    moves: list[tuple[int, int, int, int]] = []  # slot id, from seq, to seq, user id
    remembered: list[IdempotencyKey] = []
    for cast in casts:
        if cast.key is not None:
            replay = keys.get((cast.user.id, cast.key)) or await stored_response(cast.user.id, cast.key)
            if replay is not None:
                if replay[0] != proposal.id:
                    outcomes.append(Refused(key_reused))
                elif replay[2] is not None and replay[2] != request_digest(cast.key, cast.choice):
                    outcomes.append(Refused(mismatch))
                else:
                    outcomes.append(dict(replay[1]))
                continue
        if closed is not None:
            outcomes.append(closed)
            continue
        voter = cast.voter
        slot = slots.get(voter.person_key)
        if slot is not None and not (cast.revote and slot.channel == "online"):
            outcomes.append(Refused(_already_voted(slot.channel)))
            continue
        seq += 1
        code = receipt_code()
        at = clock.now().isoformat(timespec="milliseconds")
        entry = append(
            prev,
            proposal.id,
            seq,
            receipt_hash=hash_receipt(code),
            choice=cast.choice,
            persons=voter.persons,
            area_cents=voter.area_cents,
            channel="online",
            at=at,
            replaces=slot.seq if slot else None,
        )
        if public_key is not None:  # a secret vote: sealed as it is recorded, the choice not kept
            entry = secrecy.sealed(public_key, proposal.id, entry)
        prev = entry.hash
        ledger.append(LedgerRow(proposal_id=proposal.id, **secrecy.row_values(entry)))
        if slot is None:
            row = BallotSlot(
                proposal_id=proposal.id,
                person_key=voter.person_key,
                seq=seq,
                channel="online",
                area_cents=voter.area_cents,
                owner_ref=voter.owner_ref,
                user_id=cast.user.id,
                created_at=clock.now(),
            )
            new_slots.append(row)
            slots[voter.person_key] = _Slot("online", seq, None, row)
        elif slot.row is not None:  # a revote of a ballot cast earlier in this batch
            slot.row.seq = seq
            slot.row.user_id = cast.user.id
            slot.seq = seq
        else:
            assert slot.id is not None
            moves.append((slot.id, slot.seq, seq, cast.user.id))
            slot.seq = seq
        body = {
            "receipt": code,
            "entry_hash": entry.hash,
            "persons": voter.persons,
            "area": format_area(voter.area_cents),
        }
        if cast.key is not None:
            request = request_digest(cast.key, cast.choice)
            keys[(cast.user.id, cast.key)] = (proposal.id, body, request)
            remembered.append(key_row(cast.user.id, cast.key, proposal.id, body, request))
        outcomes.append(body)
    if ledger:
        await LedgerRow.bulk_create(ledger)
        if new_slots:
            await BallotSlot.bulk_create(new_slots)
        for slot_id, old, new, user_id in moves:
            moved = await BallotSlot.filter(id=slot_id, seq=old).update(seq=new, user_id=user_id)
            if moved != 1:
                raise RuntimeError("a ballot slot moved under the proposal's lock")
        if remembered:
            await IdempotencyKey.bulk_create(remembered)
        await emit(proposal.hall_id, "ballot.turnout", await _turnout_payload(proposal), durable=False)
    return outcomes

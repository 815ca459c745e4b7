"""One writer per process for online ballots: queued casts are appended together, in one transaction.

Each online cast is checked outside the lock (access, the voter, the choice), then handed to this
writer and its request waits. The writer takes everything queued (up to `MAX_BATCH`), opens one write
transaction, and for each proposal in it opens the proposal's book (`agora.ballots.ledger.open_book`:
the lock, the re-check that the vote is open, the head and the slots of the persons in the batch),
then decides every cast in arrival order exactly as a lone cast would: a replayed Idempotency-Key
gets its first response, a second ballot for a person (from the database or from earlier in the same
batch) is refused, the rest are chained one after another. It writes the book (one `ballot.turnout`
per proposal), commits once, and only then answers every waiting request: a receipt is never given
for an uncommitted ballot, and a crash loses only ballots nobody was told about.

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
from dataclasses import dataclass, field
from typing import Any

from agora.accounts.models import User
from agora.ballots import ledger
from agora.ballots.idempotency import key_reused, key_row, mismatch, request_digest, stored_response
from agora.ballots.ledger import Ballot, Book, Refused, receipt_json
from agora.ballots.models import IdempotencyKey
from agora.live.events import atomic

log = logging.getLogger("agora.ballots")

MAX_BATCH = 128


@dataclass
class Cast:
    """One online cast waiting for the writer."""

    proposal_id: int
    ballot: Ballot
    user: User
    key: str | None
    future: asyncio.Future[Any] = field(repr=False)


class RunAlone:
    """The shared transaction failed: the request casts on its own (nothing of the batch was written)."""


RUN_ALONE = RunAlone()


@dataclass
class _Queue:
    casts: list[Cast] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()


async def submit(
    proposal_id: int, ballot: Ballot, user: User, key: str | None
) -> dict[str, Any] | Refused | RunAlone:
    """Queue one cast and wait until its batch has committed (or been refused, or failed)."""
    loop = asyncio.get_running_loop()
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = _Queue()
    cast = Cast(proposal_id, ballot, user, key, loop.create_future())
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
    outcomes: list[Any] = [None] * len(batch)
    by_proposal: dict[int, list[int]] = {}
    for position, cast in enumerate(batch):
        by_proposal.setdefault(cast.proposal_id, []).append(position)
    keys: dict[tuple[int, str], tuple[int, dict[str, Any], str | None]] = {}  # (user id, key) -> first answer
    async with atomic():
        for proposal_id, positions in by_proposal.items():
            casts = [batch[p] for p in positions]
            book = await ledger.open_book(proposal_id, [cast.ballot.voter.person_key for cast in casts])
            written = await _write_book(book, casts, keys)
            for position, outcome in zip(positions, written, strict=True):
                outcomes[position] = outcome
    return outcomes


async def _write_book(
    book: Book, casts: list[Cast], keys: dict[tuple[int, str], tuple[int, dict[str, Any], str | None]]
) -> list[Any]:
    """One proposal's casts, in arrival order: replays answered, the rest decided by the book."""
    proposal_id = book.proposal.id
    outcomes: list[Any] = []
    remembered: list[IdempotencyKey] = []
    for cast in casts:
        if cast.key is not None:
            replay = keys.get((cast.user.id, cast.key)) or await stored_response(cast.user.id, cast.key)
            if replay is not None:
                if replay[0] != proposal_id:
                    outcomes.append(Refused(key_reused))
                elif replay[2] is not None and replay[2] != request_digest(cast.key, cast.ballot.choice):
                    outcomes.append(Refused(mismatch))
                else:
                    outcomes.append(dict(replay[1]))
                continue
        outcome = book.add(cast.ballot)
        if isinstance(outcome, Refused):
            outcomes.append(outcome)
            continue
        body = receipt_json(outcome, cast.ballot.voter)
        if cast.key is not None:
            request = request_digest(cast.key, cast.ballot.choice)
            keys[(cast.user.id, cast.key)] = (proposal_id, body, request)
            remembered.append(key_row(cast.user.id, cast.key, proposal_id, body, request))
        outcomes.append(body)
    await book.write()
    if remembered:
        await IdempotencyKey.bulk_create(remembered)
    return outcomes

"""The ledger of a proposal: the one path by which a ballot is written, and its reads.

Every ballot — an online cast (queued by `agora.ballots.writer`, or alone when its batch failed), a
paper ballot, a proxy's ballot, the demo's — is written the same way, inside one write transaction:

    book = await open_book(proposal_id, person_keys)   # lock the proposal, re-check voting is open,
                                                       # read the head and these persons' slots
    outcome = book.add(Ballot(voter, choice, ...))     # decide, in memory: an entry or a refusal
    await book.write()                                 # the entries, the slots, the turnout event

`open_book` takes the proposal's lock (BEGIN IMMEDIATE on SQLite, `SELECT … FOR UPDATE` on
PostgreSQL) and holds it until commit; the unique (proposal, person_key) slot and the unique
(proposal, seq) entry are the database's own guard behind it. `decide` is pure: given the head, the
person's earlier slot and the ballot, it chains the new entry or refuses; `may_replace` is the
revote rule, written once. The transaction commits before any receipt is returned, so an
acknowledged ballot is durable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import DoesNotExist

from agora import clock
from agora.ballots import electorate, queries, secrecy
from agora.ballots.chain import (
    GENESIS,
    SEALED_WITHDRAWAL,
    WITHDRAWN,
    LedgerEntry,
    append,
    hash_receipt,
    receipt_code,
)
from agora.ballots.electorate import Voter
from agora.ballots.models import BallotSlot
from agora.ballots.secret_ledger import SecretEntry, append_secret
from agora.ballots.tally import CountedBallot, turnout, turnout_to_json
from agora.errors import Conflict, DomainError
from agora.i18n import _
from agora.live.events import emit
from agora.proposals.models import Proposal
from agora.rooms.counting import format_area
from agora.storage.database import is_postgres

# --- refusals -----------------------------------------------------------------------------------


def channel_phrase(channel: str) -> str:
    return {
        "online": _("online"),
        "paper": _("on paper, entered by a canvasser"),
        "proxy": _("by proxy"),
    }.get(channel, channel)


def already_voted(channel: str) -> Conflict:
    return Conflict(
        _(
            "A ballot for this owner was already recorded {channel}. Only one ballot per owner counts.",
            channel=channel_phrase(channel),
        ),
        code="already_voted",
    )


def not_open(proposal: Proposal) -> Conflict:
    if proposal.state in ("closed", "certified"):
        message = _("Voting on this proposal has closed. Nothing is accepted after the close.")
    else:
        message = _("Voting on this proposal is not open.")
    return Conflict(message, code="not_open")


@dataclass(frozen=True)
class Refused:
    """A refusal decided inside the writing transaction.

    `error()` builds the message when it is raised, so a refusal decided by the batch writer is
    worded in the language of the request that waits for it.
    """

    error: Callable[[], DomainError]


# --- the rule, pure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ballot:
    """One ballot to write: whose (the voter), what, through which channel, and by which account."""

    voter: Voter
    choice: str
    channel: str = "online"
    user_id: int | None = None  # the account that cast it online; None on paper and in the demo
    revote: bool = False  # the compound's rules let a later online ballot replace an online one
    receipt: str | None = None  # the receipt code, when chosen before the lock (a new one otherwise)
    envelope: secrecy.Envelope | None = None  # the choice sealed before the lock for that receipt


@dataclass(frozen=True)
class Head:
    """The last entry of a ledger (seq 0 and GENESIS for an empty one)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Earlier:
    """A person's ballot already in the ledger: its channel and the seq of its entry."""

    channel: str
    seq: int


@dataclass(frozen=True)
class Accepted:
    """A ballot the ledger takes: its entry (chained to the head it was decided on) and its receipt."""

    entry: LedgerEntry | SecretEntry  # sealed (agora-ledger/2) on a secret vote
    receipt: str


def may_replace(ballot: Ballot, earlier: Earlier) -> bool:
    """The revote rule: an online ballot replaces an earlier online one where the rules allow it.

    A paper or proxy ballot is final, and nothing replaces one (docs/domain.md, "Ballots").
    """
    return ballot.revote and ballot.channel == "online" and earlier.channel == "online"


def decide(
    proposal_id: int, head: Head, earlier: Earlier | None, ballot: Ballot, *, receipt: str, at: str
) -> Accepted | Refused:
    """The entry this ballot appends after `head`, or the refusal (one ballot per person counts)."""
    if earlier is not None and not may_replace(ballot, earlier):
        channel = earlier.channel
        return Refused(lambda: already_voted(channel))
    entry = append(
        head.hash,
        proposal_id,
        head.seq + 1,
        receipt_hash=hash_receipt(receipt),
        choice=ballot.choice,
        persons=ballot.voter.persons,
        area_cents=ballot.voter.area_cents,
        channel=ballot.channel,
        at=at,
        replaces=earlier.seq if earlier is not None else None,
    )
    return Accepted(entry, receipt)


def is_open(proposal: Proposal) -> bool:
    """Voting is open: the proposal is in `voting`, not closed, and its closing time is ahead."""
    return (
        proposal.state == "voting"
        and proposal.closed_at is None
        and proposal.closes_at is not None
        and clock.now() < proposal.closes_at
    )


def check_open(proposal: Proposal) -> None:
    if not is_open(proposal):
        raise not_open(proposal)


# --- the writing transaction ----------------------------------------------------------------------


async def lock(proposal_id: int) -> Proposal:
    """Re-read the proposal inside the writing transaction, holding its lock until commit
    (`queries.lock_proposal`)."""
    await queries.lock_proposal(proposal_id, is_postgres())
    return await Proposal.get(id=proposal_id)


@dataclass
class NewSlot:
    """A slot this book creates, written by `Book.write` (a revote in the same book moves it first)."""

    person_key: str
    seq: int
    channel: str
    area_cents: int
    owner_ref: str
    user_id: int | None
    created_at: datetime

    def values(self) -> tuple[Any, ...]:
        """queries.SLOT_COLUMNS' values after the proposal id."""
        return (
            self.person_key, self.seq, self.channel, self.area_cents,
            self.owner_ref, self.user_id, self.created_at,
        )  # fmt: skip


@dataclass
class _Slot:
    earlier: Earlier
    id: int | None = None  # None: created by this book
    row: NewSlot | None = None  # the unsaved row, when created by this book


@dataclass
class Book:
    """One proposal's ledger inside the writing transaction, its lock held: decide, then write.

    A closed book (voting not open) refuses every ballot with `not_open`.
    """

    proposal: Proposal
    open: bool
    head: Head = Head(0, GENESIS)
    public_key: bytes | None = None  # a secret vote's: every entry is sealed as it is recorded
    roll_totals: tuple[int | None, int | None] | None = None  # the frozen roll's (persons, area), as read
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _entries: list[LedgerEntry | SecretEntry] = field(default_factory=list)
    _new_slots: list[NewSlot] = field(default_factory=list)
    _moves: list[tuple[int, int, int, int | None]] = field(default_factory=list)  # id, from, to, user
    _freed: list[tuple[int, int]] = field(default_factory=list)  # withdrawn ballots' slots (id, area)
    opened_at: Head = Head(0, GENESIS)  # the head when the book was opened (the turnout memo's check)

    def check_open(self) -> None:
        if not self.open:
            raise not_open(self.proposal)

    def add(self, ballot: Ballot) -> Accepted | Refused:
        """Decide one ballot after those added before it; nothing is written until `write`."""
        if not self.open:
            proposal = self.proposal
            return Refused(lambda: not_open(proposal))
        person = ballot.voter.person_key
        slot = self._slots.get(person)
        now = clock.now()
        outcome = decide(
            self.proposal.id,
            self.head,
            slot.earlier if slot else None,
            ballot,
            receipt=ballot.receipt or receipt_code(),
            at=now.isoformat(timespec="milliseconds"),
        )
        if isinstance(outcome, Refused):
            return outcome
        entry: LedgerEntry | SecretEntry = outcome.entry
        if self.public_key is not None:  # a secret vote: the choice is sealed, and not kept
            entry = secrecy.sealed(self.public_key, self.proposal.id, entry, ballot.envelope)
            outcome = Accepted(entry, outcome.receipt)
        self.head = Head(entry.seq, entry.hash)
        self._entries.append(entry)
        if slot is None:
            voter, user_id = ballot.voter, ballot.user_id
            row = NewSlot(person, entry.seq, ballot.channel, voter.area_cents, voter.owner_ref, user_id, now)
            self._new_slots.append(row)
            self._slots[person] = _Slot(Earlier(ballot.channel, entry.seq), None, row)
        elif slot.row is not None:  # a revote of a ballot added earlier to this book
            slot.row.seq = entry.seq
            slot.row.user_id = ballot.user_id
            slot.earlier = Earlier(slot.earlier.channel, entry.seq)
        else:
            assert slot.id is not None
            self._moves.append((slot.id, slot.earlier.seq, entry.seq, ballot.user_id))
            slot.earlier = Earlier(slot.earlier.channel, entry.seq)
        return outcome

    def earlier(self, person_key: str) -> Earlier | None:
        """This person's ballot already in the ledger (when opened in this book), or None."""
        slot = self._slots.get(person_key)
        return slot.earlier if slot else None

    def withdraw(self, person_key: str, persons: int, area_cents: int) -> LedgerEntry | SecretEntry:
        """Take back this person's paper or proxy ballot (opened in this book): an entry with
        ``choice=withdrawn``, the same weight (the replaced entry's) and channel, replacing it; the slot
        is freed on `write`, so the owner may vote again.
        On a secret vote the withdrawal is sealed without an envelope (`chain.SEALED_WITHDRAWAL`)."""
        slot = self._slots[person_key]
        assert slot.id is not None and slot.earlier.channel in ("paper", "proxy")
        fields: dict[str, Any] = {
            "receipt_hash": hash_receipt(receipt_code()),  # a receipt nobody is given
            "persons": persons,
            "area_cents": area_cents,
            "channel": slot.earlier.channel,
            "at": clock.now().isoformat(timespec="milliseconds"),
            "replaces": slot.earlier.seq,
        }
        entry: LedgerEntry | SecretEntry
        if self.public_key is not None:  # a sealed ledger: the withdrawal has no envelope
            entry = append_secret(
                self.head.hash, self.proposal.id, self.head.seq + 1,
                ciphertext=SEALED_WITHDRAWAL, proof=SEALED_WITHDRAWAL, **fields,
            )  # fmt: skip
        else:
            entry = append(self.head.hash, self.proposal.id, self.head.seq + 1, choice=WITHDRAWN, **fields)
        self.head = Head(entry.seq, entry.hash)
        self._entries.append(entry)
        self._freed.append((slot.id, area_cents))  # the slot's weight: the replaced entry's, as given
        del self._slots[person_key]
        return entry

    async def write(self) -> None:
        """Save what was added (entries, new or moved or freed slots) and announce the turnout."""
        if not self._entries:
            return
        proposal_id = self.proposal.id
        await queries.insert_entries(_entry_values(proposal_id, entry) for entry in self._entries)
        if self._freed:
            await BallotSlot.filter(id__in=[slot_id for slot_id, _area in self._freed]).delete()
        if self._new_slots:
            await queries.insert_slots((proposal_id, *slot.values()) for slot in self._new_slots)
        for slot_id, old, new, user_id in self._moves:
            moved = await BallotSlot.filter(id=slot_id, seq=old).update(seq=new, user_id=user_id)
            if moved != 1:  # the lock makes this impossible; the database's guard says it anyway
                raise already_voted("online")
        change = (
            len(self._new_slots) - len(self._freed),
            sum(slot.area_cents for slot in self._new_slots) - sum(area for _id, area in self._freed),
        )
        self._entries, self._new_slots, self._moves, self._freed = [], [], [], []
        payload = await turnout_payload(
            self.proposal,
            slots=await _slot_totals_after(self, change),
            secret=self.public_key is not None,
            roll_totals=self.roll_totals,
        )
        hall_id = self.proposal.hall_id  # type: ignore[attr-defined]
        await emit(hall_id, "ballot.turnout", payload, durable=False)


# The turnout after a write, without counting every slot of the vote again on every batch (at 60,000
# owners that count was the writer's largest cost by the end of a voting day). Slots change only in
# `Book.write`, beside the ledger entries of the same transaction, so a proposal's slot totals are a
# function of its ledger head: remembered here per proposal with the head they were counted at, a
# book opened at that head adds its own changes; any other head (another worker wrote, a batch was
# rolled back, a new database) counts again. A head's hash chains every receipt, so it is never reused.
_SLOT_TOTALS_KEPT = 512
_slot_totals: dict[int, tuple[Head, int, int]] = {}  # proposal id -> (head, slots, area cents)


async def _slot_totals_after(book: Book, change: tuple[int, int]) -> tuple[int, int]:
    """The slots and their area after `book`'s write, which changed them by `change`."""
    proposal_id = book.proposal.id
    known = _slot_totals.pop(proposal_id, None)
    if known is not None and known[0] == book.opened_at:
        totals = (known[1] + change[0], known[2] + change[1])
    else:
        totals = await queries.slot_totals(proposal_id)
    if len(_slot_totals) >= _SLOT_TOTALS_KEPT:
        del _slot_totals[next(iter(_slot_totals))]  # the least recently written
    _slot_totals[proposal_id] = (book.head, *totals)
    book.opened_at = book.head
    return totals


async def open_book(proposal_id: int, person_keys: Iterable[str]) -> Book:
    """Lock the proposal, re-check that voting is open, read the head and these persons' slots.

    Call inside `agora.live.events.atomic()`; the lock is held until that transaction ends."""
    read = await queries.book_head(proposal_id, is_postgres())
    if read is None:
        raise DoesNotExist(Proposal)  # as `lock`'s get() would
    if not is_open(read.proposal):
        return Book(read.proposal, open=False)
    book = Book(read.proposal, open=True)
    if read.head_seq is not None and read.head_hash is not None:
        book.head = book.opened_at = Head(read.head_seq, read.head_hash)
    book.public_key = bytes.fromhex(read.public_key) if read.public_key is not None else None
    book.roll_totals = read.roll_totals
    wanted = list(set(person_keys))
    if wanted:
        for row in await queries.slots_of(proposal_id, wanted):
            book._slots[row.person_key] = _Slot(Earlier(row.channel, row.seq), row.id)
    return book


def _entry_values(proposal_id: int, entry: LedgerEntry | SecretEntry) -> tuple[Any, ...]:
    values = secrecy.row_values(entry)
    return (proposal_id, *(values[column] for column in queries.ENTRY_COLUMNS[1:]))


def receipt_json(accepted: Accepted, voter: Voter) -> dict[str, Any]:
    """What the voter is told: the receipt code (shown once), the entry's hash and the weight."""
    return {
        "receipt": accepted.receipt,
        "entry_hash": accepted.entry.hash,
        "persons": voter.persons,
        "area": format_area(voter.area_cents),
    }


# --- reads ----------------------------------------------------------------------------------------


async def turnout_now(
    proposal: Proposal,
    *,
    slots: tuple[int, int] | None = None,
    secret: bool | None = None,
    roll_totals: tuple[int | None, int | None] | None = None,
) -> dict[str, Any]:
    """Participation so far (never the split of choices), in the docs/api.md shape; `slots` (the
    count of standing ballots and their area), `secret` and the frozen roll's `roll_totals` (persons,
    area) when the caller already read them."""
    voted, area = slots if slots is not None else await queries.slot_totals(proposal.id)
    persons_total = area_total = None
    if electorate.is_owners_matter(proposal) and proposal.snapshot_id is not None:
        if roll_totals is None:
            info = await electorate.snapshot_info(proposal)
            roll_totals = (info.persons_total, info.area_cents_total)
        persons_total, area_total = roll_totals
    meter = turnout(persons_total, area_total, voted, area)
    if secret is None:
        secret = await secrecy.is_secret(proposal.id)
    if secret:  # published in steps: no change is one ballot's weight
        meter = secrecy.coarse_turnout(meter, area_total)
    return turnout_to_json(meter)


async def turnout_payload(proposal: Proposal, **known: Any) -> dict[str, Any]:
    """The `ballot.turnout` event's payload (`known`: as `turnout_now` takes them)."""
    return {"proposal": proposal.id, "turnout": await turnout_now(proposal, **known)}


async def ledger_entries(proposal_id: int) -> list[LedgerEntry]:
    """Every entry of a proposal's ledger, in order, as the chain module takes them.

    One fixed query, an entry straight from each row: the ledger's columns are plain integers and
    text on every backend, so Tortoise's query building and per-value converters are not needed.
    """
    return await queries.ledger_entries(proposal_id)


async def counted_ballots(proposal_id: int) -> list[CountedBallot]:
    """The effective ballots (the entries no later entry replaces, a withdrawal excepted), in ledger
    order, reading only what the count needs: the database drops the replaced entries and the
    withdrawals, and each row (choice, persons, area) becomes a ballot as it is (the tuple built from
    the row: no per-field call)."""
    return await queries.counted_ballots(proposal_id)

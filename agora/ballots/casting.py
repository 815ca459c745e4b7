"""Casting ballots: online, on paper, by proxy; delivery proofs; the voter's own ballot.

Each use case checks what it can outside the lock (access, the voter, the choice), then writes
through `agora.ballots.ledger`: an online cast through the batch writer (`agora.ballots.writer`),
alone when its batch failed; a paper or proxy ballot in its own transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from tortoise.exceptions import IntegrityError

from agora import clock
from agora.accounts.models import User
from agora.art278 import RESIDENT_MEETING
from agora.audit.services import record
from agora.ballots import electorate, ledger, permissions, proxies, queries, secrecy, writer
from agora.ballots.chain import hash_receipt, receipt_code
from agora.ballots.electorate import Voter
from agora.ballots.idempotency import check_key, remember, replay_of, request_digest
from agora.ballots.ledger import Ballot, Refused, already_voted, not_open, receipt_json
from agora.ballots.models import BallotSlot, DeliveryProof, LedgerRow, PaperBallot
from agora.errors import Conflict, Forbidden, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic
from agora.proposals.models import Proposal
from agora.rooms.access import HallAccess, access_to
from agora.rooms.rules import rules_in_force


def check_choice(proposal: Proposal, choice: Any) -> str:
    allowed = electorate.choices_of(proposal)
    if not isinstance(choice, str) or choice not in allowed:
        raise Invalid(
            _("Unknown choice. Choose one of: {choices}.", choices=", ".join(allowed)),
            code="unknown_choice",
            fields={"choice": "unknown"},
        )
    return choice


# --- the online cast's one read ------------------------------------------------------------------


@dataclass(frozen=True)
class _CastRead:
    proposal: Proposal
    access: HallAccess
    snapshot: queries.SnapshotRow | None  # the frozen roll's row as `electorate.snapshot_info` reads it
    refs: list[str]  # the caller's owner refs in the frozen roll's compound (also those a re-import left out)
    public_key: str | None  # a secret vote's key (hex)


async def _read_for_cast(user: User, proposal_id: int) -> _CastRead:
    """What an online cast reads before the writer, in one query then the caller's roles in the hall:
    the proposal and its hall (as `agora.proposals.timeline.access_proposal`), the frozen roll's
    totals and compound rules, and the caller's owner refs in that compound.
    Nothing is cached across requests: a removed owner or a lost role counts on the next cast."""
    read = await queries.cast_read(user.id, proposal_id)
    if read is None:
        raise NotFound(_("This proposal does not exist or you cannot see it."))
    proposal, hall, snapshot, refs, public_key = read
    try:
        access = await access_to(user, hall)
    except NotFound:
        # An owner on the frozen roll keeps their vote when a re-import left them out of the roll
        # (and so out of the hall's members): the vote counts them, so they may cast it.
        if snapshot is None or not refs or not electorate.is_owners_matter(proposal):
            raise NotFound(_("This proposal does not exist or you cannot see it.")) from None
        info = await electorate._info_of(snapshot)
        if not any(ref in info.index.person_of for ref in refs):
            raise NotFound(_("This proposal does not exist or you cannot see it.")) from None
        access = HallAccess(hall, frozenset({"owner"}))
    return _CastRead(proposal, access, snapshot, refs, public_key)


async def _snapshot_of(read: _CastRead) -> electorate.SnapshotInfo:
    if read.snapshot is None:
        raise NotFound(_("This vote has no frozen roll."))
    return await electorate._info_of(read.snapshot)  # the index of persons is cached per snapshot


# --- use cases ----------------------------------------------------------------------------------


async def cast_ballot(user: User, proposal_id: int, choice: Any, idempotency_key: str | None = None) -> dict:
    """An owner's (on a consultation, a member's) ballot → `{receipt, entry_hash, persons, area}`."""
    key = check_key(idempotency_key)
    read = await _read_for_cast(user, proposal_id)
    proposal, access = read.proposal, read.access
    if key is not None:
        replay = await replay_of(user, key, proposal.id, request_digest(key, choice))
        if replay is not None:
            return replay
    if proposal.state not in ("voting", "closed", "certified"):
        raise not_open(proposal)
    if proposal.matter == "unanimous":
        raise Conflict(
            _("This matter is decided by the consent of each interested owner, not by ballots."),
            code="consents_not_ballots",
        )
    if proposal.matter == RESIDENT_MEETING:
        raise Conflict(
            _("A residents' meeting is decided by the residents present at it, not by ballots."),
            code="meeting_not_ballots",
        )
    if electorate.is_owners_matter(proposal):
        info = await _snapshot_of(read)
        voter = await electorate.voter_of_standing(info, read.refs)  # a unit sold: the buyer's
        revote = rules_in_force(proposal.rules, info.rules).revote  # as frozen at the notice
    else:
        voter = await electorate.voter_for_user(proposal, access, user)
        revote = False
    ballot = Ballot(voter, check_choice(proposal, choice), "online", user.id, revote)
    if read.public_key is not None and proposal.state == "voting":
        ballot = await _sealed_ahead(ballot, proposal, bytes.fromhex(read.public_key))
    outcome = await writer.submit(proposal.id, ballot, user, key)
    if isinstance(outcome, dict):
        return outcome
    if isinstance(outcome, Refused):
        raise outcome.error()
    return await _cast_alone(user, proposal, ballot, key)


async def _sealed_ahead(ballot: Ballot, proposal: Proposal, public_key: bytes) -> Ballot:
    """The ballot with its receipt chosen and its choice sealed before the writer's lock
    (`secrecy.seal_ahead`). Not for a person whose standing ballot it cannot replace: the writer
    refuses that one, and sealing it first would make each refused cast cost the sealing's work.
    Whatever happens between here and the lock, the book seals anew what this envelope does not fit."""
    if not ballot.revote and await queries.slots_of(proposal.id, [ballot.voter.person_key]):
        return ballot  # read outside the lock: a hint, the book decides
    receipt = receipt_code()
    envelope = await secrecy.seal_ahead(public_key, proposal.id, hash_receipt(receipt), ballot.choice)
    return replace(ballot, receipt=receipt, envelope=envelope)


async def _cast_alone(user: User, proposal: Proposal, ballot: Ballot, key: str | None) -> dict:
    """One online ballot in its own transaction (when a shared batch could not be written)."""
    try:
        async with atomic():
            book = await ledger.open_book(proposal.id, [ballot.voter.person_key])
            if key is not None:
                replay = await replay_of(user, key, proposal.id, request_digest(key, ballot.choice))
                if replay is not None:
                    return replay
            outcome = book.add(ballot)
            if isinstance(outcome, Refused):
                raise outcome.error()
            await book.write()
            body = receipt_json(outcome, ballot.voter)
            if key is not None:
                await remember(user, key, proposal.id, body, request_digest(key, ballot.choice))
    except IntegrityError:
        raise await _duplicate(proposal, ballot.voter) from None
    return body


async def _duplicate(proposal: Proposal, voter: Voter) -> Conflict:
    """The database refused a second slot: say which channel came first."""
    slot = await BallotSlot.get_or_none(proposal_id=proposal.id, person_key=voter.person_key)
    return already_voted(slot.channel if slot else "online")


def _proxy(value: Any, proposal: Proposal) -> proxies.ProxyInput | None:
    """`{name, id_last4, authorization, property_staff?}`, its authorization naming this proposal."""
    if (
        isinstance(value, dict)
        and "authorization" not in value
        and ("reference" in value or "scope" in value)
    ):
        # The first form ({name, reference, scope}): its reference and scope are the authorization's words.
        words = " ".join(str(value.get(k) or "") for k in ("reference", "scope")).strip()
        value = {**value, "authorization": words}
    proxy, problems = proxies.parse_proxy(value)
    if problems:
        raise Invalid(
            _(
                "A proxy needs the proxy's name, the last four characters of their ID number "
                "and the written authorization."
            ),
            fields=problems,
        )
    if proxy is not None and not proxies.names_proposal(proxy.authorization, proposal.id, proposal.title):
        raise Invalid(
            _(
                "The written authorization must name this proposal (its number {id} or its title); "
                "a general authorization is not enough.",
                id=proposal.id,
            ),
            code="authorization_not_for_proposal",
            fields={"proxy.authorization": "not_for_proposal"},
        )
    return proxy


def stored_proxy_key(proxy: proxies.ProxyInput) -> str:
    """The identity the cap counts, as stored (a digest when the normalised name is very long)."""
    key = proxy.key
    if len(key) <= 120:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    label = {"owner_ref": _("the owner reference"), "witness": _("the witness")}.get(name, name)
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(_("Please fill in {field}.", field=label), fields={name: "required"})
    if len(value) > limit:
        raise Invalid(_("{field} is too long.", field=label), fields={name: "too_long"})
    return value.strip()


async def access_as_canvasser(user: User, proposal_id: int) -> tuple[Proposal, Any]:
    """The proposal for a canvasser's paper work (paper ballots, deliveries, undoing a paper entry):
    NotFound if the caller cannot see it, Forbidden unless a canvasser, Invalid unless an owners' vote."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_enter_paper)
    if not electorate.is_owners_matter(proposal):
        raise Invalid(_("Paper ballots are for owners' votes only."), code="not_owners_matter")
    return proposal, access


async def cast_paper(user: User, proposal_id: int, data: dict[str, Any]) -> dict:
    """A canvasser enters a signed paper ballot (or a proxy's), with a witness. A spoiled paper ballot
    is entered as `invalid`: it takes part (and counts toward the quorum) without a choice."""
    proposal, _access = await access_as_canvasser(user, proposal_id)
    owner_ref = _text(data, "owner_ref", 64)
    witness = _text(data, "witness", 120)
    proxy = _proxy(data.get("proxy"), proposal)
    if proposal.state not in ("voting", "closed", "certified"):
        raise not_open(proposal)
    info = await electorate.snapshot_info(proposal)
    try:
        voter = await electorate.voter_of_standing(info, [owner_ref])
    except Forbidden:
        raise NotFound(
            _("No owner with this reference is on this vote's roll."), code="unknown_owner"
        ) from None
    raw_choice = data.get("choice")
    choice = "invalid" if raw_choice == "invalid" else check_choice(proposal, raw_choice)
    rules = rules_in_force(proposal.rules, info.rules)  # as frozen at the notice
    if proxy is not None and proxy.property_staff and rules.proxy_bar_property_staff:
        raise Invalid(
            _("The rules of procedure bar property-management staff from acting as proxies."),
            code="proxy_property_staff",
            fields={"proxy.property_staff": "barred"},
        )
    cap = rules.proxy_cap
    channel = "proxy" if proxy else "paper"
    key = stored_proxy_key(proxy) if proxy else None
    try:
        async with atomic():
            book = await ledger.open_book(proposal.id, [voter.person_key])
            book.check_open()
            if proxy is not None:
                held = await PaperBallot.filter(proposal_id=proposal.id, proxy_key=key).count()
                if proxies.cap_reached(held, cap):
                    raise Conflict(
                        _(
                            "{name} already represents {n} owners on this vote; "
                            "the rules allow at most {cap}.",
                            name=proxy.name,
                            n=held,
                            cap=cap,
                        ),
                        code="proxy_cap",
                    )
            outcome = book.add(Ballot(voter, choice, channel))
            if isinstance(outcome, Refused):
                raise outcome.error()
            await book.write()
            seq = outcome.entry.seq
            await PaperBallot.create(
                proposal_id=proposal.id,
                seq=seq,
                owner_ref=voter.owner_ref,
                canvasser=user,
                witness=witness,
                proxy_name=proxy.name if proxy else None,
                proxy_key=key,
                proxy_id_last4=proxy.id_last4 if proxy else None,
                proxy_authorization=proxy.authorization if proxy else None,
                created_at=clock.now(),
            )
            await record(
                "ballot.paper_entered",
                actor=user,
                object_type="proposal",
                object_id=proposal.id,
                hall_id=book.proposal.hall_id,  # type: ignore[attr-defined]
                owner_ref=voter.owner_ref,
                channel=channel,
                witness=witness,
                proxy=None
                if proxy is None
                else {"name": proxy.name, "id_last4": proxy.id_last4, "authorization": proxy.authorization},
                seq=seq,
            )
    except IntegrityError:
        raise await _duplicate(proposal, voter) from None
    # `seq` names the entry for the canvasser's undo window (agora.ballots.paper_undo).
    return {**receipt_json(outcome, voter), "channel": channel, "seq": seq}


async def record_delivery(user: User, proposal_id: int, data: dict[str, Any]) -> dict:
    """A canvasser records that an owner was served a ballot (proof for deemed participation)."""
    proposal, _access = await access_as_canvasser(user, proposal_id)
    owner_ref = _text(data, "owner_ref", 64)
    witness = _text(data, "witness", 120)
    voter = electorate.owner_voter(await electorate.snapshot_info(proposal), owner_ref)
    if voter is None:
        raise NotFound(_("No owner with this reference is on this vote's roll."), code="unknown_owner")
    try:
        async with atomic():
            locked = await ledger.lock(proposal.id)
            ledger.check_open(locked)
            now = clock.now()
            await DeliveryProof.create(
                proposal_id=proposal.id,
                owner_ref=owner_ref,
                person_key=voter.person_key,
                delivered_at=now,
                witness=witness,
                canvasser=user,
                created_at=now,
            )
            await record(
                "ballot.delivery_recorded",
                actor=user,
                object_type="proposal",
                object_id=proposal.id,
                hall_id=locked.hall_id,  # type: ignore[attr-defined]
                owner_ref=owner_ref,
                witness=witness,
            )
    except IntegrityError:
        raise Conflict(
            _("The delivery of this owner's ballot is already recorded."), code="already_recorded"
        ) from None
    return {"owner_ref": owner_ref, "delivered_at": now.isoformat(), "witness": witness}


async def my_ballot(user: User, proposal_id: int) -> dict:
    """The caller's effective ballot (the receipt code itself is never stored, only its hash)."""
    read = await _read_for_cast(user, proposal_id)
    proposal = read.proposal
    voter: Voter | None = None
    if proposal.matter == RESIDENT_MEETING:
        raise Conflict(
            _("A residents' meeting is decided by the residents present at it, not by ballots."),
            code="meeting_not_ballots",
        )
    if electorate.is_owners_matter(proposal):
        info = await _snapshot_of(read)
        try:
            voter = await electorate.voter_of_standing(info, read.refs)  # a buyer: the slot bought
        except Conflict:  # a seller still sees the ballot cast before the sale
            voter = next((v for r in read.refs if (v := electorate.owner_voter(info, r)) is not None), None)
        except Forbidden:
            voter = None
    else:
        try:
            voter = await electorate.voter_for_user(proposal, read.access, user)
        except (Forbidden, NotFound):
            voter = None
    if voter is None:
        raise NotFound(_("You have no ballot on this proposal."), code="no_ballot")
    slot = await BallotSlot.get_or_none(proposal_id=proposal.id, person_key=voter.person_key)
    if slot is None:
        raise NotFound(_("You have no ballot on this proposal."), code="no_ballot")
    row = await LedgerRow.get(proposal_id=proposal.id, seq=slot.seq)
    return {
        "receipt": None,
        "receipt_hash": row.receipt_hash,
        "choice": None if row.ciphertext else row.choice,  # a secret vote keeps no choice
        "sealed": bool(row.ciphertext),
        "channel": row.channel,
        "at": row.at,
    }

"""The resolution record: built at close, certified by the owners' committee, then frozen.

The document follows `agora-resolution/1` (see agora.ballots.verify and docs/verify.md): the plan's
full text and hash, the timeline, the public roll (room, area and an opaque person key per unit, no
names), the hash-chained ledger and its head, the participating units, the count with every
threshold test, any deemed participation, channel counts, who certified it and when it was posted.
Once posted it is never written again: a correction is a new record that `supersedes` the old one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from agora import clock
from agora.accounts.models import User
from agora.art278 import UNANIMOUS
from agora.audit.services import record
from agora.ballots import consenting, electorate, permissions, publication, secrecy
from agora.ballots.certification import record_hash as record_hash  # re-exported: the hash of a record
from agora.ballots.chain import GENESIS, effective
from agora.ballots.ledger import ledger_entries, lock
from agora.ballots.models import BallotSlot, DeliveryProof, Resolution
from agora.ballots.publication import procedure_rules
from agora.ballots.publication import record_is_final_and_passed as record_is_final_and_passed  # for impl
from agora.ballots.tally import CountedBallot, DeemedParticipation, result_to_json, tally_owners
from agora.ballots.verify import FORMAT, public_roll_fingerprint
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic
from agora.notify.notices import told_count
from agora.proposals import calendar
from agora.proposals.models import Proposal, ProposalTransition
from agora.proposals.timeline import access_proposal, record_transition
from agora.rooms.access import access_hall
from agora.rooms.counting import FOLLOWS_PARKING, format_area
from agora.rooms.models import Hall
from agora.rooms.rules import rules_fingerprint
from agora.rooms.snapshots import frozen_units

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
VERDICTS = {"passed": "通过", "no_decision": "未形成决定", "undetermined": "无法确定"}


def verdict_label(outcome: str | None) -> str:
    return {
        "passed": _("Passed"),
        "no_decision": _("No decision made"),
        "undetermined": _("Cannot be determined"),
    }.get(outcome or "", _("No result"))


def _verdict(outcome: str) -> dict[str, str]:
    return {"outcome": outcome, "text": VERDICTS[outcome]}


async def residents_committee(proposal: Proposal) -> dict[str, Any] | None:
    """The residents' committee told of the notice: the community the compound belongs to."""
    compound = await electorate.compound_of(proposal)
    if compound.parent_id is None or proposal.notice_at is None:  # type: ignore[attr-defined]
        return None
    community = await Hall.get_or_none(id=compound.parent_id)  # type: ignore[attr-defined]
    if community is None:
        return None
    return {
        "hall": community.slug,
        "name": community.name,
        "notified_at": _iso(proposal.notice_at),
        # How many of the community's staff (the residents' committee) were notified at the notice.
        "staff": await told_count(proposal.id),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(clock.LOCAL_TZ).isoformat() if moment else None


def published_ledger(entries: list[Any]) -> dict[str, Any]:
    """The published ledger: one shape for the ledger API and the record, so exports compare."""
    return {
        "entries": [
            {
                "seq": e.seq,
                "receipt_hash": e.receipt_hash,
                "choice": e.choice,
                "persons": e.persons,
                "area": format_area(e.area_cents),
                "channel": e.channel,
                "at": e.at,
                "replaces": e.replaces,
                "prev": e.prev,
                "hash": e.hash,
            }
            for e in entries
        ],
        "head": entries[-1].hash if entries else GENESIS,
    }


async def _timeline(proposal: Proposal, closed_by: str | None = None) -> dict[str, Any]:
    rows = (
        await ProposalTransition.filter(proposal_id=proposal.id).order_by("at", "id").prefetch_related("by")
    )
    closing = next((r for r in reversed(rows) if r.to_state == "closed"), None)
    return {
        "notice_at": _iso(proposal.notice_at),
        "opens_at": _iso(proposal.opens_at),
        "closes_at": _iso(proposal.closes_at),
        "closed_at": _iso(proposal.closed_at),
        # Who closed the vote (null: automatically, at the end of the announced window) and the one
        # extension of the window with its reason (api.md, "Procedure").
        "closed_by": closed_by or (closing.by.display_name if closing is not None and closing.by else None),  # type: ignore[attr-defined]
        "extension": proposal.extension,
        "transitions": [
            {"state": r.to_state, "at": _iso(r.at), "by": r.by.display_name if r.by else None}
            for r in rows
            if r.to_state not in ("closed", "certified")  # the close and posting are stated below
        ],
    }


def _choices_of(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """A record's opened totals back as (persons, area in cents)."""
    return {
        key: (figures["persons"], int(figures["area"].replace(".", "")))
        for key, figures in result["choices"].items()
    }


async def _count_ledger(proposal: Proposal, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The ledger, checked link by link, and what the count takes from it, for either kind of vote.

    A secret vote's totals are opened once, at the close (the key is destroyed then); a correction of
    its record reuses the totals and proofs of the record it supersedes, for the same ledger only.
    Raises Conflict (``ledger_broken``) naming the first entry that breaks the chain.
    """
    public_key = await secrecy.public_key_of(proposal.id)
    if public_key is None:
        entries = await ledger_entries(proposal.id)
        secrecy.check_chain(proposal.id, entries)
        counted = effective(entries)
        return {
            "secrecy": "named",
            "entries": entries,
            "counted": counted,
            "ballots": [CountedBallot(e.choice, e.persons, e.area_cents) for e in counted],
            "ledger": published_ledger(entries),
            "extra": {},
        }
    sealed = await secrecy.secret_entries(proposal.id)
    secrecy.check_chain(proposal.id, sealed)
    counted_sealed = secrecy.effective_secret(sealed)
    head = sealed[-1].hash if sealed else GENESIS
    if previous is not None and previous.get("head") == head and previous.get("decryption"):
        choices, decryption = _choices_of(previous["result"]), previous["decryption"]
    else:
        tally = await secrecy.count_secret(proposal.id, counted_sealed)
        choices, decryption = tally.choices, tally.decryption
    return {
        "secrecy": "secret",
        "entries": sealed,
        "counted": counted_sealed,
        "ballots": [CountedBallot(key, persons, area) for key, (persons, area) in choices.items()],
        "ledger": {"entries": [secrecy.published_entry(e) for e in sealed], "head": head},
        "extra": {"election": secrecy.election_json(proposal.id, public_key), "decryption": decryption},
    }


async def build_document(
    proposal: Proposal,
    number: str,
    now: datetime,
    previous: dict[str, Any] | None = None,
    closed_by: str | None = None,
) -> dict[str, Any]:
    """Count the closed vote and write the record (a draft until certified)."""
    if proposal.matter == UNANIMOUS:
        return await build_consent_document(proposal, number, now, closed_by)
    snapshot = await electorate.load_snapshot(proposal)
    rules = await procedure_rules(proposal)  # as frozen at the notice: later changes do not apply
    hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
    compound = await electorate.compound_of(proposal)
    ledger = await _count_ledger(proposal, previous)
    entries, counted = ledger["entries"], ledger["counted"]
    units = electorate.public_units(snapshot)
    parking_counts = snapshot.parking_counts
    counts_unit = {
        (u["building"], u["unit"]): (u["kind"] not in FOLLOWS_PARKING or parking_counts is True)
        for u in units
    }
    unit_persons = electorate.unit_person_keys(snapshot)
    weights = electorate.person_weights(snapshot)

    def units_of(persons: set[str]) -> list[dict[str, str]]:
        return [
            {"building": u["building"], "unit": u["unit"], "area": u["area"]}
            for u in units
            if counts_unit[(u["building"], u["unit"])]
            and unit_persons.get((u["building"], u["unit"])) in persons
        ]

    voters = set(
        cast(list[str], await BallotSlot.filter(proposal_id=proposal.id).values_list("person_key", flat=True))
    )
    deemed = None
    deemed_spec = None
    if rules.deemed_participation:
        proofs = DeliveryProof.filter(proposal_id=proposal.id)
        served = set(cast(list[str], await proofs.values_list("person_key", flat=True)))
        silent = sorted(p for p in served - voters if p in weights)
        deemed = DeemedParticipation(
            rules.deemed_participation, [CountedBallot("abstain", 1, weights[p]) for p in silent]
        )
        deemed_spec = {
            "clause": rules.deemed_participation,
            "units": [{"building": u["building"], "unit": u["unit"]} for u in units_of(set(silent))],
        }
    ballots = ledger["ballots"]
    result = tally_owners(
        proposal.matter, snapshot.persons_total, snapshot.area_cents_total, ballots, deemed=deemed
    )
    channels = {"online": 0, "paper": 0, "proxy": 0}
    for entry in counted:
        channels[entry.channel] = channels.get(entry.channel, 0) + 1
    head = entries[-1].hash if entries else GENESIS
    body = proposal.body or ""
    consents = await consenting.consent_tally(proposal)
    owners = await consenting.consent_owners(proposal, owner_rooms(snapshot)) if consents else None
    return {
        "format": FORMAT,
        "number": number,
        "title": proposal.title,
        "hall": {"slug": hall.slug, "name": hall.name, "kind": hall.kind},
        "compound": {"slug": compound.slug, "name": compound.name},
        "scope": snapshot.scope,
        "proposal": {
            "id": proposal.id,
            "title": proposal.title,
            "matter": proposal.matter,
            "item": proposal.item,
            "category": proposal.category,
            "entrance": proposal.entrance,
            # A maintenance-fund spend: the units it charges; `agora verify` checks the roll is exactly them.
            "charged_units": proposal.charged_units,
            "body": body,
            "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        },
        "timeline": await _timeline(proposal, closed_by),
        "roll": {
            "parking_counts": parking_counts,
            "fingerprint": snapshot.fingerprint,
            "public_fingerprint": public_roll_fingerprint(units, parking_counts),
            "published_fingerprint": proposal.roll_fingerprint,
            "units": units,
            "totals": {
                "persons": snapshot.persons_total,
                "area": None if snapshot.area_cents_total is None else format_area(snapshot.area_cents_total),
            },
        },
        "roll_fingerprint": snapshot.fingerprint,
        "secrecy": ledger["secrecy"],
        **ledger["extra"],
        "ledger": ledger["ledger"],
        "head": head,
        "entry_count": len(entries),
        "participation": units_of(voters),
        "result": result_to_json(result),
        "verdict": _verdict(
            consenting.combined_outcome(proposal, result.outcome, consents) or result.outcome
        ),
        "deemed_participation": deemed_spec,
        "channels": channels,
        # The procedure (api.md, "Procedure"): the rules in force as frozen at notice, the residents'
        # committee told of the notice, an elevator's consents of the occupied units.
        "rules": rules.to_json(),
        "rules_fingerprint": rules_fingerprint(rules),
        "residents_committee": await residents_committee(proposal),
        "consents": consenting.public_consents(consents, owners),
        "certified": [],
        "created_at": _iso(now),
        "posted_at": None,
        "display_until": None,
        "supersedes": None,
    }


def owner_rooms(snapshot: electorate.FrozenRoll) -> dict[str, list[str]]:
    """owner ref -> the rooms ("building/unit") they held on the roll frozen at opening."""
    rooms: dict[str, list[str]] = {}
    for unit in frozen_units(snapshot):
        for ref in unit.owners:
            rooms.setdefault(str(ref), []).append(f"{unit.building}/{unit.unit}")
    return rooms


def _plan(proposal: Proposal) -> dict[str, Any]:
    body = proposal.body or ""
    return {
        "id": proposal.id,
        "title": proposal.title,
        "matter": proposal.matter,
        "item": proposal.item,
        "category": proposal.category,
        "entrance": proposal.entrance,
        "body": body,
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
    }


async def build_consent_document(
    proposal: Proposal, number: str, now: datetime, closed_by: str | None = None
) -> dict[str, Any]:
    """The record of an art. 279 change of use (住改商): no ballots, no count. It passes only when every
    owner the proposal lists as interested consented; it shows each one's answer (consented, refused,
    not answered), how it was given (online, or entered with its witness) and when. The roll frozen
    at opening is the scope whose owners may object; the ledger is empty (`agora verify` checks so)."""
    snapshot = await electorate.load_snapshot(proposal)
    rules = await procedure_rules(proposal)
    hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
    compound = await electorate.compound_of(proposal)
    units = electorate.public_units(snapshot)
    tally = await consenting.consent_tally(proposal)
    owners = await consenting.consent_owners(proposal, owner_rooms(snapshot))
    outcome = consenting.combined_outcome(proposal, None, tally) or "no_decision"
    return {
        "format": FORMAT,
        "number": number,
        "title": proposal.title,
        "hall": {"slug": hall.slug, "name": hall.name, "kind": hall.kind},
        "compound": {"slug": compound.slug, "name": compound.name},
        "scope": snapshot.scope,
        "proposal": {**_plan(proposal), "affected": list(proposal.affected or [])},
        "timeline": await _timeline(proposal, closed_by),
        "roll": {
            "parking_counts": snapshot.parking_counts,
            "fingerprint": snapshot.fingerprint,
            "public_fingerprint": public_roll_fingerprint(units, snapshot.parking_counts),
            "published_fingerprint": proposal.roll_fingerprint,
            "units": units,
            "totals": {
                "persons": snapshot.persons_total,
                "area": None if snapshot.area_cents_total is None else format_area(snapshot.area_cents_total),
            },
        },
        "roll_fingerprint": snapshot.fingerprint,
        "ledger": {"entries": [], "head": GENESIS},  # consents are not ballots
        "head": GENESIS,
        "entry_count": 0,
        "participation": [],
        "result": {
            "outcome": outcome,
            "reason": None if outcome == "passed" else "not_unanimous",
            "tests": [],
        },
        "verdict": _verdict(outcome),
        "deemed_participation": None,
        "rules": rules.to_json(),
        "rules_fingerprint": rules_fingerprint(rules),
        "residents_committee": await residents_committee(proposal),
        "consents": consenting.public_consents(tally, owners),
        "certified": [],
        "created_at": _iso(now),
        "posted_at": None,
        "display_until": None,
        "supersedes": None,
    }


async def _next_number(compound: Hall, now: datetime) -> tuple[int, int, str]:
    year = now.astimezone(clock.LOCAL_TZ).year
    last = await Resolution.filter(compound_id=compound.id, year=year).order_by("-sequence").first()
    sequence = (last.sequence + 1) if last else 1
    return year, sequence, f"{compound.name}-{year}-{sequence:03d}"


async def draft_resolution(
    proposal: Proposal,
    now: datetime,
    *,
    supersedes: Resolution | None = None,
    reason: str = "",
    closed_by: str | None = None,
) -> Resolution:
    compound = await electorate.compound_of(proposal)
    year, sequence, number = await _next_number(compound, now)
    previous = supersedes.document if supersedes is not None else None
    document = await build_document(proposal, number, now, previous, closed_by)
    if supersedes is not None:
        document["supersedes"] = supersedes.number
        document["correction"] = reason
    return await Resolution.create(
        compound=compound,
        proposal_id=proposal.id,
        year=year,
        sequence=sequence,
        number=number,
        title=proposal.title,
        document=document,
        supersedes=supersedes,
        correction_reason=reason,
        created_at=now,
    )


async def check_ledger_unchanged(proposal_id: int, document: dict[str, Any]) -> None:
    """Refuse (``ledger_broken``, naming the entry) when the stored ledger is no longer the one the
    record published at close: an entry changed, removed, reordered or added since."""
    if document.get("secrecy") == "secret":
        entries: list[Any] = await secrecy.secret_entries(proposal_id)
    else:
        entries = await ledger_entries(proposal_id)
    broken = secrecy.chain_break(proposal_id, entries)
    count = document.get("entry_count", len(document["ledger"]["entries"]))
    if broken is None and len(entries) != count:
        broken = (min(len(entries), count) + 1, "count")
    if broken is None and (entries[-1].hash if entries else GENESIS) != document["head"]:
        broken = (len(entries), "hash")
    if broken is not None:
        raise secrecy.broken_chain(*broken)


async def current_resolution(proposal: Proposal) -> Resolution | None:
    """The newest record of the proposal (a correction supersedes the ones before it)."""
    return await Resolution.filter(proposal_id=proposal.id).order_by("-id").first()


async def resolution_json(user: User, proposal_id: int) -> dict[str, Any]:
    proposal, _access = await access_proposal(user, proposal_id)
    resolution = await _closed_resolution(proposal)
    return await present(resolution)


async def _closed_resolution(proposal: Proposal) -> Resolution:
    if proposal.state not in ("closed", "certified") or not electorate.has_record(proposal):
        raise Conflict(
            _("There is no resolution record: the vote has not closed, or this is not an owners' vote."),
            code="no_resolution",
        )
    resolution = await current_resolution(proposal)
    if resolution is None:
        raise NotFound(_("The resolution record is not there."))
    return resolution


async def present(resolution: Resolution) -> dict[str, Any]:
    """The document plus its status (draft, preliminary, final) and the objections so far; a posted
    record is returned exactly as frozen."""
    document = dict(resolution.document)
    later = await Resolution.filter(supersedes_id=resolution.id).first()
    document.update(await publication.stage_fields(resolution))
    document["record_hash"] = resolution.hash or None
    document["superseded_by"] = later.number if later else None
    return document


async def certify(user: User, proposal_id: int) -> dict[str, Any]:
    """A member of the owners' committee signs; with `certify_signatures` signatures the record is
    posted as preliminary and frozen (objections follow, then the final record)."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_certify)
    async with atomic():
        locked = await lock(proposal.id)
        resolution = await _closed_resolution(locked)
        if resolution.posted_at is None:
            await check_ledger_unchanged(locked.id, resolution.document)
        document, posted = await publication.sign(resolution, locked, user, access)
        if posted is not None:
            resolution.posted_at = posted  # the moment the document says
            resolution.display_until = calendar.display_until(resolution.posted_at)
            resolution.hash = record_hash(document)
            if locked.state == "closed":
                await record_transition(locked, "certified", user)
        resolution.document = document
        await resolution.save()
        await record(
            "resolution.certified",
            actor=user,
            object_type="resolution",
            object_id=resolution.id,
            hall_id=locked.hall_id,  # type: ignore[attr-defined]
            number=resolution.number,
            posted=resolution.posted_at is not None,
        )
    return await present(resolution)


async def correct(user: User, proposal_id: int, reason: Any) -> dict[str, Any]:
    """A correction: a new record, counted again, pointing at the posted one it supersedes."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_correct)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid(_("A correction needs a reason."), fields={"reason": "required"})
    async with atomic():
        locked = await lock(proposal.id)
        old = await _closed_resolution(locked)
        if old.posted_at is None:
            raise Conflict(
                _("Only a posted record is corrected; this one is still a draft."), code="not_posted"
            )
        new = await draft_resolution(locked, clock.now(), supersedes=old, reason=reason.strip())
        await record(
            "resolution.corrected",
            actor=user,
            object_type="resolution",
            object_id=new.id,
            hall_id=locked.hall_id,  # type: ignore[attr-defined]
            supersedes=old.number,
            reason=reason.strip(),
        )
    return await present(new)


async def archive(user: User, slug: str, query: str = "") -> tuple[Hall, list[Resolution]]:
    """Every record of a compound, newest first; `query` searches titles and numbers."""
    access = await access_hall(user, slug)
    hall = access.hall
    compound_id = hall.id if hall.kind == "compound" else hall.compound_id
    if compound_id is None:
        raise NotFound(_("Resolution records are kept per compound."))
    rows = Resolution.filter(compound_id=compound_id)
    query = query.strip()[:100]
    if query:
        rows = rows.filter(Q(title__icontains=query) | Q(number__icontains=query))
    return hall, await rows.order_by("-year", "-sequence").prefetch_related("proposal")

"""Recording individual consents: art. 279 (住改商) and an elevator's occupied units.

`POST /api/v1/proposals/{id}/consents {owner_ref, consent: true|false, witness?}`:
- online, by the owner: the caller's own owner ref must be listed (`owner_ref` may be left out);
- entered with a witness by a canvasser or a committee member: `owner_ref` and `witness` required.

Accepted while the vote (its announced window) is open, once per owner: the first signed answer
stands, and nothing is accepted after the close. A refused consent is recorded like a consent (it is
an answer), and named to the committee in `GET …/consents`; the public record carries the counts.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots import electorate, permissions
from agora.ballots.consents import ConsentTally, elevator_outcome, tally_consents, unanimity_outcome
from agora.ballots.ledger import lock
from agora.ballots.models import Consent
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic
from agora.proposals.models import Proposal
from agora.proposals.timeline import access_proposal
from agora.rooms.models import Owner

WITNESS_MAX = 120


def required_refs(proposal: Proposal) -> list[str]:
    """The owners whose individual consent this proposal needs (empty: none)."""
    if proposal.matter == "unanimous":
        return list(proposal.affected or [])
    if proposal.category == "elevator":
        return list(proposal.occupied or [])
    return []


async def consent_tally(proposal: Proposal) -> ConsentTally | None:
    required = required_refs(proposal)
    if not required and proposal.matter != "unanimous":
        return None
    rows = await Consent.filter(proposal_id=proposal.id).values_list("owner_ref", "consent")
    return tally_consents(required, {str(ref): bool(value) for ref, value in rows})


def combined_outcome(proposal: Proposal, vote_outcome: str | None, tally: ConsentTally | None) -> str | None:
    """The decision with the consents: unanimity alone (art. 279), or the vote held back by them."""
    if proposal.matter == "unanimous":
        return unanimity_outcome(tally) if tally is not None else "no_decision"
    if proposal.category == "elevator" and vote_outcome is not None:
        return elevator_outcome(vote_outcome, tally)
    return vote_outcome


def public_consents(
    tally: ConsentTally | None, owners: list[dict[str, Any]] | None = None
) -> dict[str, Any] | None:
    """For the record: how many consented, refused, did not answer and, when given, each owner's
    answer (`consent_owners`: owner refs and rooms, as the proposal lists them; never a name)."""
    if tally is None:
        return None
    counts: dict[str, Any] = {
        "required": len(tally.required),
        "consented": len(tally.consented),
        "refused": len(tally.refused),
        "pending": len(tally.pending),
        "unanimous": tally.unanimous,
    }
    if owners is not None:
        counts["owners"] = owners
    return counts


ANSWERS = {True: "consented", False: "refused"}


async def consent_owners(proposal: Proposal, units: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each owner whose consent the proposal asks, in the proposal's order: their rooms on the roll
    frozen at opening (`units`: owner ref -> ["building/unit"]), the answer (consented, refused,
    not_answered), how it was given (online, or entered with the witness named) and when."""
    rows = {str(c.owner_ref): c for c in await Consent.filter(proposal_id=proposal.id)}
    listed = []
    for ref in dict.fromkeys(required_refs(proposal)):
        row = rows.get(ref)
        listed.append(
            {
                "owner_ref": ref,
                "units": units.get(ref, []),
                "answer": ANSWERS[bool(row.consent)] if row is not None else "not_answered",
                "channel": row.channel if row is not None else None,
                "witness": (row.witness or None) if row is not None else None,
                "at": row.created_at.astimezone(clock.LOCAL_TZ).isoformat() if row is not None else None,
            }
        )
    return listed


async def record_consent(user: User, proposal_id: int, data: dict[str, Any]) -> dict[str, Any]:
    proposal, access = await access_proposal(user, proposal_id)
    witness = data.get("witness")
    owner_ref = data.get("owner_ref")
    compound = await electorate.compound_of(proposal)
    own = sorted(
        str(r)
        for r in await Owner.filter(user_id=user.id, compound_id=compound.id).values_list(
            "owner_ref", flat=True
        )
    )
    # Who may, before what the proposal asks: an owner for themselves, or staff with a witness.
    entered = witness not in (None, "") or (isinstance(owner_ref, str) and owner_ref not in own)
    if entered:
        permissions.check_may_enter_consent(access)
    elif not own:
        raise permissions.not_listed()
    required = required_refs(proposal)
    if not required:
        raise Conflict(_("This proposal asks for no individual consent."), code="no_consents")
    consent = data.get("consent")
    if not isinstance(consent, bool):
        raise Invalid(_("Say whether the owner consents (true or false)."), fields={"consent": "required"})
    if entered:
        if not isinstance(witness, str) or not witness.strip() or len(witness) > WITNESS_MAX:
            raise Invalid(
                _("A consent entered for an owner needs the witness."), fields={"witness": "required"}
            )
        if not isinstance(owner_ref, str) or not owner_ref.strip():
            raise Invalid(_("Please fill in the owner reference."), fields={"owner_ref": "required"})
        ref, channel, witness_text = owner_ref.strip(), "witnessed", witness.strip()
    else:
        listed = [r for r in own if r in required]
        if not listed:
            raise permissions.not_listed()
        ref, channel, witness_text = listed[0], "online", ""
    if ref not in required:
        raise NotFound(_("This owner's consent is not asked on this proposal."), code="not_listed")
    try:
        async with atomic():
            locked = await lock(proposal.id)
            now = clock.now()
            if locked.state != "voting" or locked.closes_at is None or now >= locked.closes_at:
                raise Conflict(
                    _("Consents are given while the vote is open. Nothing is accepted after the close."),
                    code="not_open",
                )
            row = await Consent.create(
                proposal_id=locked.id,
                owner_ref=ref,
                consent=consent,
                channel=channel,
                witness=witness_text,
                user=user,
                created_at=now,
            )
            await record(
                "consent.recorded",
                actor=user,
                object_type="proposal",
                object_id=locked.id,
                hall_id=locked.hall_id,  # type: ignore[attr-defined]
                owner_ref=ref,
                consent=consent,
                channel=channel,
                witness=witness_text,
            )
    except IntegrityError:
        raise Conflict(
            _("This owner's answer is already recorded; the first signed answer stands."),
            code="already_answered",
        ) from None
    return {"owner_ref": ref, "consent": row.consent, "channel": channel, "at": now.isoformat()}


async def consents_for_committee(user: User, proposal_id: int) -> dict[str, Any]:
    """Who consented, who refused, who has not answered: named, for the committee only."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_see_consents)
    tally = await consent_tally(proposal)
    return {"consents": tally.to_json() if tally else None}


async def consent_page_view(user: User, proposal_id: int) -> dict[str, Any]:
    """What the consents page shows this caller, by the rules of `record_consent` and
    `consents_for_committee`: their own question (an owner whose consent is asked), the form to
    enter one with a witness (canvassers, the committee), the named list (the committee only).

    A proposal that asks for no individual consent has no such page (NotFound); anyone else of the
    compound is refused (Forbidden)."""
    proposal, access = await access_proposal(user, proposal_id)
    required = required_refs(proposal)
    if not required:
        raise NotFound(_("This proposal asks for no individual consent."), code="no_consents")
    compound = await electorate.compound_of(proposal)
    own = sorted(
        str(r)
        for r in await Owner.filter(user_id=user.id, compound_id=compound.id).values_list(
            "owner_ref", flat=True
        )
    )
    listed = [r for r in own if r in required]
    can_enter = permissions.may_enter_consent(access)
    is_committee = permissions.may_see_consents(access)
    if not listed and not can_enter:
        raise permissions.not_listed()
    answers = {
        str(ref): bool(value)
        for ref, value in await Consent.filter(proposal_id=proposal.id).values_list("owner_ref", "consent")
    }
    now = clock.now()
    is_open = proposal.state == "voting" and proposal.closes_at is not None and now < proposal.closes_at
    names: dict[str, str] = {}
    tally = None
    if is_committee:
        tally = (await consents_for_committee(user, proposal.id))["consents"]
        names = {
            str(ref): str(name)
            for ref, name in await Owner.filter(compound_id=compound.id, owner_ref__in=required).values_list(
                "owner_ref", "name"
            )
        }
    return {
        "proposal": proposal,
        # The owner answers online for their first listed unit (as `record_consent` does).
        "mine": [{"owner_ref": ref, "answer": answers.get(ref)} for ref in listed],
        "can_answer": is_open and bool(listed) and listed[0] not in answers,
        "can_enter": can_enter and is_open,
        "is_open": is_open,
        "tally": tally,
        "names": names,
        "witness_max": WITNESS_MAX,
    }

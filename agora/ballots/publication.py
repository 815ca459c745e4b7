"""Publishing a resolution record: certification, the preliminary record, objections, the final one.

    closed ──certify (committee members, `certify_signatures` of them)──▶ preliminary
    preliminary ──objections by owners of the scope, for `objection_days` local days──▶
    ──finalize (committee, every objection answered)──▶ final

A platform administrator is not the owners' committee and never signs. The preliminary document is
frozen with its hash when posted; objections are kept beside it; the final document is the
preliminary one plus the objections with their answers and its own posting, hashed again (the
preliminary hash stays in `preliminary`). Dates are counted in Asia/Shanghai local days
(`agora.proposals.calendar`); a posting later than "within 3 days" is flagged, never refused.

`record_is_final_and_passed(proposal)` is what implementation after a decision waits for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots import electorate, permissions
from agora.ballots.certification import Signature as CountedSignature
from agora.ballots.certification import certification_complete, final_and_passed, record_hash, record_status
from agora.ballots.ledger import lock
from agora.ballots.models import Certification, Objection, Resolution
from agora.ballots.standing import holder_of
from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.live.events import atomic
from agora.notify.notices import tell_result
from agora.proposals import calendar
from agora.proposals.models import Proposal
from agora.proposals.timeline import access_proposal
from agora.rooms.access import HallAccess
from agora.rooms.models import Owner
from agora.rooms.rules import Rules, rules_in_force

OBJECTION_MAX = 4000
ANSWER_MAX = 4000


def _iso(moment: Any) -> str | None:
    return moment.astimezone(calendar.LOCAL_TZ).isoformat() if moment else None


async def procedure_rules(proposal: Proposal) -> Rules:
    """The rules frozen into the proposal at notice (the compound's only for an older proposal)."""
    return rules_in_force(proposal.rules, await electorate.rules_for(proposal))


def status_of(resolution: Resolution) -> str:
    return record_status(resolution.posted_at is not None, resolution.finalized_at is not None)


# --- certification ----------------------------------------------------------------------------------


async def sign(
    resolution: Resolution, proposal: Proposal, user: User, access: HallAccess
) -> tuple[dict[str, Any], datetime | None]:
    """Add the caller's signature (a committee member) → (document, the posting time when this
    signature completes the certification). The caller holds the lock."""
    permissions.check_may_certify(access)
    if resolution.posted_at is not None:
        raise Conflict(
            _("This record is already certified and posted; it cannot change."), code="already_posted"
        )
    if await Certification.filter(resolution_id=resolution.id, user_id=user.id).exists():
        raise Conflict(_("You have already certified this record."), code="already_certified")
    rules = await procedure_rules(proposal)
    now = clock.now()
    await Certification.create(resolution=resolution, user=user, name=user.display_name, at=now)
    signatures = await Certification.filter(resolution_id=resolution.id).order_by("at", "id")
    document = dict(resolution.document)
    document["certified"] = [{"by": s.name, "at": _iso(s.at)} for s in signatures]
    document["signatures_required"] = rules.certify_signatures
    # Every signature here was checked as a committee member's when given.
    counted = [CountedSignature(s.user_id, True, False) for s in signatures]  # type: ignore[attr-defined]
    if not certification_complete(counted, rules.certify_signatures):
        return document, None
    closed_at = proposal.closed_at or now
    document.update(
        {
            "stage": "preliminary",
            "posted_at": _iso(now),
            "display_until": _iso(calendar.display_until(now)),
            "objection_days": rules.objection_days,
            "objections_until": _iso(calendar.objections_until(now, rules.objection_days)),
            "publish_by": _iso(calendar.publish_deadline(closed_at)),
            "published_late": calendar.published_late(closed_at, now),
        }
    )
    return document, now


# --- objections ---------------------------------------------------------------------------------------


async def owner_standing(proposal: Proposal, user: User) -> str:
    """The caller's owner ref on this vote's frozen roll (as owner or buyer), or Forbidden."""
    info = await electorate.snapshot_info(proposal)
    refs = sorted(
        str(r)
        for r in await Owner.filter(user_id=user.id, compound_id=info.compound_id).values_list(
            "owner_ref", flat=True
        )
    )
    voter = await holder_of(info.id, info.compound_id, refs, info.version) if refs else None
    if voter is None:
        raise permissions.not_an_owner()
    return voter.owner_ref


async def file_objection(proposal: Proposal, resolution: Resolution, user: User, body: Any) -> Objection:
    """An owner of the scope objects to the preliminary record, within the objection period."""
    if not isinstance(body, str) or not body.strip():
        raise Invalid(_("Write your objection."), fields={"body": "required"})
    if len(body) > OBJECTION_MAX:
        raise Invalid(_("The objection is too long."), fields={"body": "too_long"})
    owner_ref = await owner_standing(proposal, user)
    if resolution.posted_at is None or resolution.finalized_at is not None:
        raise Conflict(
            _("Objections are received while the record is preliminary, after its certification."),
            code="not_preliminary",
        )
    rules = await procedure_rules(proposal)
    now = clock.now()
    if not calendar.objections_open(resolution.posted_at, rules.objection_days, now):
        raise Conflict(
            _(
                "The objection period ended at {until}.",
                until=calendar.shown(calendar.objections_until(resolution.posted_at, rules.objection_days)),
            ),
            code="objection_period_over",
        )
    objection = await Objection.create(
        resolution=resolution,
        proposal_id=proposal.id,
        owner_ref=owner_ref,
        user=user,
        body=body.strip(),
        created_at=now,
    )
    await record(
        "resolution.objection",
        actor=user,
        object_type="resolution",
        object_id=resolution.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        objection=objection.id,
    )
    return objection


def objection_json(o: Objection, answered_by: str | None = None) -> dict[str, Any]:
    """Public: the objection's words and the answer, never who objected."""
    return {
        "id": o.id,
        "body": o.body,
        "at": _iso(o.created_at),
        "answer": o.answer or None,
        "answered_at": _iso(o.answered_at),
        "answered_by": answered_by,
    }


async def objections_of(resolution: Resolution) -> list[dict[str, Any]]:
    rows = await Objection.filter(resolution_id=resolution.id).order_by("id").prefetch_related("answered_by")
    return [objection_json(o, o.answered_by.display_name if o.answered_by else None) for o in rows]  # type: ignore[attr-defined]


def parse_answers(value: Any) -> dict[int, str]:
    """`{"<id>": "answer"}` or `[{id, answer}]` → {id: answer}; 422 when malformed."""
    pairs: list[tuple[Any, Any]]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        pairs = [(v.get("id"), v.get("answer")) for v in value]
    elif value is None:
        pairs = []
    else:
        raise Invalid(_("answers must map each objection to its answer."), fields={"answers": "invalid"})
    answers: dict[int, str] = {}
    for key, text in pairs:
        try:
            ident = int(key)
        except (TypeError, ValueError):
            raise Invalid(
                _("answers must map each objection to its answer."), fields={"answers": "invalid"}
            ) from None
        if not isinstance(text, str) or len(text) > ANSWER_MAX:
            raise Invalid(
                _("Each answer is a text of at most {n} characters.", n=ANSWER_MAX),
                fields={"answers": "invalid"},
            )
        answers[ident] = text.strip()
    return answers


async def finalize(
    proposal: Proposal, resolution: Resolution, user: User, access: HallAccess, answers_raw: Any
) -> None:
    """The committee answers every objection and posts the final record (caller holds the lock)."""
    permissions.check_may_finalize(access)
    answers = parse_answers(answers_raw)
    if resolution.posted_at is None or resolution.finalized_at is not None:
        raise Conflict(_("Only a preliminary record is made final."), code="not_preliminary")
    rules = await procedure_rules(proposal)
    now = clock.now()
    if not calendar.objection_period_over(resolution.posted_at, rules.objection_days, now):
        raise Conflict(
            _(
                "The objection period runs until {until}: the final record may be posted from {start}.",
                until=calendar.shown(calendar.objections_until(resolution.posted_at, rules.objection_days)),
                start=calendar.shown(calendar.finalize_from(resolution.posted_at, rules.objection_days)),
            ),
            code="objection_period_open",
        )
    rows = await Objection.filter(resolution_id=resolution.id).order_by("id")
    missing = [o.id for o in rows if not answers.get(o.id)]
    if missing:
        raise Invalid(
            _(
                "Answer every objection before the final record: {ids}.",
                ids=", ".join(f"#{i}" for i in missing),
            ),
            code="unanswered_objections",
            fields={f"answers.{i}": "required" for i in missing},
        )
    for o in rows:
        o.answer, o.answered_by, o.answered_at = answers[o.id], user, now  # type: ignore[assignment]
        await o.save(update_fields=["answer", "answered_by_id", "answered_at"])
    preliminary = dict(resolution.document)
    period_end = calendar.objections_until(resolution.posted_at, rules.objection_days)
    document = {
        **preliminary,
        "stage": "final",
        "preliminary": {
            "posted_at": preliminary.get("posted_at"),
            "display_until": preliminary.get("display_until"),
            "hash": resolution.hash,
        },
        "objections": [objection_json(o, user.display_name) for o in rows],
        "finalized_by": user.display_name,
        "posted_at": _iso(now),
        "display_until": _iso(calendar.display_until(now)),
        "publish_by": _iso(calendar.publish_deadline(period_end)),
        "published_late": calendar.published_late(period_end, now),
    }
    resolution.preliminary_hash = resolution.hash
    resolution.document = document
    resolution.hash = record_hash(document)
    resolution.finalized_at = now
    resolution.display_until = calendar.display_until(now)
    await resolution.save(
        update_fields=["preliminary_hash", "document", "hash", "finalized_at", "display_until"]
    )
    await record(
        "resolution.finalized",
        actor=user,
        object_type="resolution",
        object_id=resolution.id,
        hall_id=proposal.hall_id,  # type: ignore[attr-defined]
        number=resolution.number,
        objections=len(rows),
    )
    await tell_residents_committee(proposal, resolution, user, now)


async def tell_residents_committee(
    proposal: Proposal, resolution: Resolution, user: User, now: datetime
) -> None:
    """The residents' committee is told of every owners' vote's result (domain.md, "Who takes part"):
    at the final record, every staff member of the compound's community gets the outcome in their
    inbox (e-mail or SMS by the notifier), in the record's transaction; the audit log says how many."""
    compound = await electorate.compound_of(proposal)
    if compound.parent_id is None:  # type: ignore[attr-defined]
        return
    told = await tell_result(compound.parent_id, proposal.id, now)  # type: ignore[attr-defined]
    await record(
        "resolution.residents_committee_told",
        actor=user,
        object_type="resolution",
        object_id=resolution.id,
        hall_id=compound.parent_id,  # type: ignore[attr-defined]
        number=resolution.number,
        staff=told,
    )


async def record_is_final_and_passed(proposal: Proposal) -> bool:
    """The decision may be carried out: its newest record is final, and it passed."""
    resolution = await Resolution.filter(proposal_id=proposal.id).order_by("-id").first()
    if resolution is None:
        return False
    outcome = (resolution.document.get("verdict") or {}).get("outcome")
    return final_and_passed(status_of(resolution), outcome)


async def stage_fields(resolution: Resolution) -> dict[str, Any]:
    """What `present` adds to a record's document: its status and the objections so far."""
    status = status_of(resolution)
    fields: dict[str, Any] = {"status": status}
    if status == "preliminary":
        fields["objections"] = await objections_of(resolution)
    elif status == "draft":
        fields["objections"] = []
    return fields


# --- use cases (access, lock, check, write) ---------------------------------------------------------


async def _record_under_lock(proposal_id: int) -> tuple[Proposal, Resolution]:
    locked = await lock(proposal_id)
    if locked.state not in ("closed", "certified") or not electorate.has_record(locked):
        raise Conflict(
            _("There is no resolution record: the vote has not closed, or this is not an owners' vote."),
            code="no_resolution",
        )
    resolution = await Resolution.filter(proposal_id=locked.id).order_by("-id").first()
    if resolution is None:
        raise Conflict(_("The resolution record is not there."), code="no_resolution")
    return locked, resolution


async def object_to_record(user: User, proposal_id: int, body: Any) -> dict[str, Any]:
    """POST …/objections: an owner of the scope objects to the preliminary record → {id}."""
    proposal, _access = await access_proposal(user, proposal_id)
    if proposal.snapshot_id is None or not electorate.has_record(proposal):
        raise permissions.not_an_owner()
    await owner_standing(proposal, user)  # who may object, before the record's state
    async with atomic():
        locked, resolution = await _record_under_lock(proposal.id)
        objection = await file_objection(locked, resolution, user, body)
    return {"id": objection.id, "at": _iso(objection.created_at)}


async def finalize_record(user: User, proposal_id: int, answers: Any) -> Resolution:
    """POST …/resolution/finalize: the committee answers each objection and posts the final record."""
    proposal, access = await permissions.proposal_for(user, proposal_id, permissions.check_may_finalize)
    async with atomic():
        locked, resolution = await _record_under_lock(proposal.id)
        await finalize(locked, resolution, user, access, answers)
    return resolution

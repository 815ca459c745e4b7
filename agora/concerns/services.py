"""Concern use cases: raise, triage, change status, merge, reply, feedback.

Each checks who may (`permissions`), validates (`rules`), then writes in one `atomic()` transaction
with its history row, its audit entry and (for a public concern) its live event, which reaches the
hall only after the commit. The concern is read again inside the transaction (locked on PostgreSQL)
so the status checked is the status changed.

`set_status(concern, to, note, actor)` is the one write path for a status: the routes call it after
checking the caller's role, and other features (implementation accepted → resolved) may call it
directly with `actor=None` for an automatic step.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from agora import clock
from agora.accounts.models import User
from agora.concerns import categories, history, permissions, rules, search
from agora.concerns.access import Viewer
from agora.concerns.models import Concern, ConcernReply
from agora.concerns.photos import process_all, store_processed
from agora.concerns.views import row_payload
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import markdown
from agora.rooms.models import Hall
from agora.web.http import parse_id

FOLLOW_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed by hand
FOLLOW_LENGTH = 10


# --- raising -------------------------------------------------------------------------------------


def follow_digest(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_follow_code() -> str:
    return "".join(secrets.choice(FOLLOW_ALPHABET) for _i in range(FOLLOW_LENGTH))


async def resolve_building(compound: Hall, hall_building: Hall | None, raw: Any) -> Hall | None:
    """The building named by slug or label (or the building whose hall this is); 422 if unknown."""
    if raw in (None, ""):
        return hall_building
    if not isinstance(raw, str) or len(raw) > 64:
        raise Invalid(_("This compound has no such building."), fields={"building": "unknown"})
    building = await Hall.filter(kind="building", compound_id=compound.id, slug=raw).first()
    if building is None:
        building = await Hall.filter(kind="building", compound_id=compound.id, label=raw).first()
    if building is None or (hall_building is not None and building.id != hall_building.id):
        raise Invalid(_("This compound has no such building."), fields={"building": "unknown"})
    return building


async def _next_seq(compound_id: int) -> int:
    found = (
        await Concern.filter(compound_id=compound_id).annotate(top=Max("seq")).values_list("top", flat=True)
    )
    return int(cast(list[int | None], found)[0] or 0 if found else 0) + 1


async def raise_concern(
    viewer: Viewer, hall_building: Hall | None, data: dict[str, Any], photos: list[bytes] | None = None
) -> tuple[Concern, str | None]:
    """A member raises a concern or a wish (a canvasser for a named resident: the follow code is
    returned once, only its digest is kept). Photos are processed before the transaction opens."""
    who = viewer.who()
    permissions.check_can_raise(who)
    raised = rules.check_raise(data, await categories.category_keys(viewer.compound.id))
    permissions.check_can_raise(who, on_behalf=raised.on_behalf is not None)
    building = await resolve_building(viewer.compound, hall_building, data.get("building"))
    processed = await process_all(photos or [])
    code = new_follow_code() if raised.on_behalf is not None else None
    now = clock.now()
    async with atomic():
        concern = await _create(viewer, raised, building, code, now)
        await history.add_event(concern, "received", "received", now, viewer.user)
        await store_processed(concern, viewer.user, processed, now)
        await search.index_document(viewer.compound.id, "concern", concern.id, concern.title, concern.body)
        on_behalf = raised.on_behalf is not None
        await history.audit("create", concern, viewer.user, on_behalf=on_behalf, visibility=raised.visibility)
        await notify(concern, "concern.created")
    return concern, code


async def _create(
    viewer: Viewer, raised: rules.Raised, building: Hall | None, code: str | None, now: datetime
) -> Concern:
    """Insert with the compound's next number. Concerns of one compound are numbered one at a time:
    the compound's hall row is locked until the transaction ends (on PostgreSQL, `FOR NO KEY UPDATE`,
    which does not hold up rows that merely reference the hall; SQLite has one writer anyway). The
    unique (compound, seq) stays the guard: a clash retries."""
    await Hall.filter(id=viewer.compound.id).select_for_update(no_key=True).first()
    for _attempt in range(5):
        seq = await _next_seq(viewer.compound.id)
        try:
            async with atomic():  # a savepoint: a clash rolls back only this insert
                return await Concern.create(
                    compound_id=viewer.compound.id,
                    building_id=building.id if building else None,
                    seq=seq,
                    ref=rules.format_ref(seq, now.astimezone(clock.LOCAL_TZ).year),
                    kind=raised.kind,
                    title=raised.title,
                    body=raised.body,
                    category=raised.category,
                    visibility=raised.visibility,
                    status="received",
                    created_at=now,
                    updated_at=now,
                    submitter=None if raised.on_behalf is not None else viewer.user,
                    entered_by=viewer.user if raised.on_behalf is not None else None,
                    on_behalf_name=raised.on_behalf or "",
                    follow_code_hash=follow_digest(code) if code else None,
                )
        except IntegrityError:
            continue
    raise Conflict(_("Too many concerns at once; please try again."), code="busy")


async def notify(concern: Concern, event_type: str) -> None:
    """A public concern's change goes to its compound's hall; a private one is not announced."""
    if concern.visibility != "public":
        return
    building = await Hall.get_or_none(id=concern.building_id) if concern.building_id else None  # type: ignore[attr-defined]
    await emit(concern.compound_id, event_type, row_payload(concern, building))  # type: ignore[attr-defined]


async def _locked(concern_id: int) -> Concern:
    """The concern read again inside the transaction (row-locked on PostgreSQL)."""
    return await Concern.filter(id=concern_id).select_for_update().get()


# --- triage and status ---------------------------------------------------------------------------


async def triage(viewer: Viewer, concern: Concern, data: dict[str, Any]) -> Concern:
    """Moderators set route, urgency, category, due date and who is on it; `received` → `accepted`."""
    permissions.check_can_triage(viewer.who(concern))
    note = rules.clean_note(data.get("note"))
    known = await categories.category_keys(viewer.compound.id)
    now = clock.now()
    rules.check_triage(concern.status, data, known, now)  # input errors before any lock
    async with atomic():
        fresh = await _locked(concern.id)
        done = rules.check_triage(fresh.status, data, known, now)
        fresh.route, fresh.urgency, fresh.category = done.route, done.urgency, done.category
        fresh.due_at, fresh.assignee, fresh.updated_at = done.due_at, done.assignee, now
        if fresh.status == "received":
            fresh.status, fresh.accepted_at = "accepted", now
        await fresh.save()
        await history.add_event(fresh, "triage", fresh.status, now, viewer.user, note)
        await history.audit(
            "triage",
            fresh,
            viewer.user,
            route=done.route,
            urgency=done.urgency,
            category=done.category,
            due_at=done.due_at.isoformat() if done.due_at else None,
        )
        await notify(fresh, "concern.updated")
    return fresh


async def set_status(concern: Concern, to: str, note: str = "", actor: User | None = None) -> Concern:
    """Move a concern along its status machine (`rules.EDGES`), with its history row, timestamps,
    audit entry and live event, in one transaction. Checks the rules, not the caller's role: the
    routes check that first (`change_status`); `actor=None` is an automatic step."""
    note = rules.clean_note(note)
    async with atomic():
        fresh = await _locked(concern.id)
        rules.check_status_change(fresh.status, to, note)
        now = clock.now()
        from_status = fresh.status
        fresh.status, fresh.updated_at = to, now
        if to == "accepted" and fresh.accepted_at is None:
            fresh.accepted_at = now
        if to == "resolved":
            fresh.resolved_at = now
        if to in rules.FINAL:
            fresh.closed_at = now
        await fresh.save()
        await history.add_event(fresh, "status", to, now, actor, note)
        await history.audit("status", fresh, actor, from_status=from_status, to=to)
        await notify(fresh, "concern.updated")
    return fresh


async def change_status(viewer: Viewer, concern: Concern, to: Any, note: Any) -> Concern:
    permissions.check_can_change_status(viewer.who(concern))
    clean = rules.clean_note(note)
    if not isinstance(to, str):
        raise Invalid(_("Unknown status."), fields={"to": "invalid" if to not in (None, "") else "required"})
    return await set_status(concern, to, clean, viewer.user)


# --- merging -------------------------------------------------------------------------------------


REF_RE = re.compile(r"^\d{4}-\d{4,}$")


async def _merge_target(concern: Concern, raw: Any) -> Concern | None:
    """`into` is the survivor's id (the API), or its number in this compound as people read it
    ("2026-0012", the pages)."""
    if isinstance(raw, str) and REF_RE.match(raw.strip()):
        return await Concern.get_or_none(compound_id=concern.compound_id, ref=raw.strip())  # type: ignore[attr-defined]
    into = parse_id(raw)
    if into is None:
        raise Invalid(_("Say which concern to merge into."), fields={"into": "required"})
    return await Concern.get_or_none(id=into)


async def merge(viewer: Viewer, concern: Concern, into_raw: Any) -> Concern:
    """A duplicate joins its survivor: it becomes `merged` and from then on shows the survivor's
    status; concerns merged into it earlier now point at the survivor too (one level, never a chain)."""
    permissions.check_can_merge(viewer.who(concern))
    target = await _merge_target(concern, into_raw)
    if target is None or (target.compound_id != concern.compound_id and not viewer.user.is_admin):  # type: ignore[attr-defined]
        raise NotFound(_("The concern to merge into does not exist or you cannot see it."))
    async with atomic():
        first, second = sorted((concern.id, target.id))  # always the same order: no deadlock
        locked = {first: await _locked(first)}
        if second != first:
            locked[second] = await _locked(second)
        fresh, survivor = locked[concern.id], locked[target.id]
        rules.check_merge(
            fresh.id,
            fresh.status,
            survivor.id,
            survivor.status,
            survivor.compound_id == fresh.compound_id,  # type: ignore[attr-defined]
        )
        now = clock.now()
        fresh.status, fresh.merged_into_id, fresh.closed_at, fresh.updated_at = (
            "merged",
            survivor.id,
            now,
            now,
        )
        await fresh.save()
        await Concern.filter(merged_into_id=fresh.id).update(merged_into_id=survivor.id)
        await history.add_event(fresh, "merge", "merged", now, viewer.user, survivor.ref)
        await history.add_event(survivor, "merged_in", survivor.status, now, viewer.user, fresh.ref)
        await history.audit("merge", fresh, viewer.user, into=survivor.id)
        await notify(fresh, "concern.updated")
    return fresh


async def survivor_of(concern: Concern) -> Concern | None:
    if concern.merged_into_id is None:
        return None
    return await Concern.get_or_none(id=concern.merged_into_id)


async def effective_status(concern: Concern) -> str:
    """A merged concern's status is its survivor's."""
    survivor = await survivor_of(concern)
    return survivor.status if survivor is not None else concern.status


# --- replies and feedback ------------------------------------------------------------------------


async def reply(viewer: Viewer, concern: Concern, body: Any) -> ConcernReply:
    role = permissions.check_reply_role(viewer.who(concern))
    if not isinstance(body, str) or not body.strip():
        raise Invalid(_("Write the reply."), fields={"body": "required"})
    if len(body) > rules.MAX_BODY:
        raise Invalid(_("The reply is too long."), fields={"body": "too_long"})
    now = clock.now()
    async with atomic():
        answer = await ConcernReply.create(
            concern=concern,
            author=viewer.user,
            official_as=role,
            body=body.strip(),
            body_html=str(markdown.render(body.strip())),
            created_at=now,
        )
        await Concern.filter(id=concern.id).update(updated_at=now)
        await history.audit("reply", concern, viewer.user, reply=answer.id)
    return answer


async def _feedback(concern: Concern, satisfied: Any, comment: Any, actor: User | None) -> Concern:
    async with atomic():
        fresh = await _locked(concern.id)
        text = rules.check_feedback(
            await effective_status(fresh), fresh.feedback_at is not None, satisfied, comment
        )
        now = clock.now()
        fresh.feedback_satisfied, fresh.feedback_comment, fresh.feedback_at = bool(satisfied), text, now
        await fresh.save(update_fields=["feedback_satisfied", "feedback_comment", "feedback_at"])
        await history.audit("feedback", fresh, actor, satisfied=bool(satisfied))
    return fresh


async def feedback(viewer: Viewer, concern: Concern, satisfied: Any, comment: Any) -> Concern:
    """The submitter's follow-up (回访): satisfied or not, once the concern is resolved, once."""
    permissions.check_can_give_feedback(viewer.who(concern))
    return await _feedback(concern, satisfied, comment, viewer.user)


async def by_follow_code(code: Any) -> Concern:
    """The concern a resident entered on behalf follows with their code; NotFound for any other."""
    if not isinstance(code, str) or not 6 <= len(normalize_code(code)) <= 40:
        raise NotFound(_("No concern has this code. Check it and try again."))
    concern = await Concern.get_or_none(follow_code_hash=follow_digest(code))
    if concern is None:
        raise NotFound(_("No concern has this code. Check it and try again."))
    return concern


async def feedback_by_code(code: Any, satisfied: Any, comment: Any) -> Concern:
    return await _feedback(await by_follow_code(code), satisfied, comment, None)

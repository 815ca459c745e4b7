"""Proposal use cases: draft, second, move through the lifecycle, lock the thread, list.

People move a proposal through `transition`, checked against role, state and calendar in one place;
opening and closing a vote are the ballots feature's (`agora.ballots.voting`), called from here.
The stamps themselves (the `*_at` field, the timeline row, the audit entry, the `proposal.state`
event) are `agora.proposals.timeline`'s, which the ballots feature uses for its automatic steps.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from agora import clock
from agora.accounts.models import User
from agora.art278 import is_fund_use
from agora.audit.services import record
from agora.ballots.voting import close_vote, open_vote
from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.notify.notices import tell_community_staff
from agora.proposals import lifecycle, meeting, permissions, window
from agora.proposals.drafting import charged_problem, charged_units_of, validate_draft
from agora.proposals.lifecycle import Actor
from agora.proposals.models import STATES, ModerationEntry, Proposal, ProposalSecond, ProposalTransition
from agora.proposals.timeline import stamp, state_payload
from agora.proposals.window import parse_closes_at  # noqa: F401 — pages and routes call services.parse_closes_at
from agora.rooms.access import HallAccess
from agora.rooms.charged import match_units
from agora.rooms.models import Hall, Owner, Unit
from agora.rooms.roll_store import load_roll
from agora.rooms.rules import Rules, rules_from


async def compound_rules(hall: Hall) -> Rules:
    """The rules of procedure that govern a hall: its compound's (defaults for a community)."""
    if hall.kind == "compound":
        return rules_from(hall.rules)
    if hall.kind == "building" and hall.compound_id is not None:
        return rules_from((await Hall.get(id=hall.compound_id)).rules)
    return rules_from(None)


# Other features that attach something to a new proposal run inside its transaction (a refusal
# rolls the proposal back): agora.concerns links the concern a proposal answers (`concern`).
CreateHook = Callable[[HallAccess, User, Proposal, dict[str, Any]], Awaitable[None]]
_create_hooks: list[CreateHook] = []


def on_create(hook: CreateHook) -> None:
    if hook not in _create_hooks:
        _create_hooks.append(hook)


async def create_proposal(access: HallAccess, author: User, data: dict[str, Any]) -> Proposal:
    """Any member may draft; the matter and item must agree, the entrance must exist."""
    permissions.check_may_draft(access)
    draft = validate_draft(data, hall_kind=access.hall.kind)
    if draft.entrance is not None:
        if not await Unit.filter(building_id=access.hall.id, entrance=draft.entrance, active=True).exists():
            raise Invalid(_("This building has no such entrance."), fields={"entrance": "unknown"})
    charged = await charged_units(access, draft.charged_units)
    for name, refs in (("affected", draft.affected), ("occupied", draft.occupied)):
        if refs and not await _all_on_roll(access.hall, refs):
            raise Invalid(
                _("Every owner listed must be on the compound's roll: {field}.", field=name),
                fields={name: "unknown_owner"},
            )
    async with atomic():
        proposal = await Proposal.create(
            hall_id=access.hall.id,
            author=author,
            title=draft.title,
            body=draft.body,
            category=draft.category,
            matter=draft.matter,
            item=draft.item,
            options=draft.options,
            entrance=draft.entrance,
            affected=draft.affected,
            occupied=draft.occupied or None,
            charged_units=charged,
            state="draft",
        )
        await ProposalTransition.create(
            proposal=proposal, from_state="", to_state="draft", at=clock.now(), by=author
        )
        for hook in _create_hooks:
            await hook(access, author, proposal, data)
        await record(
            "proposal.create",
            actor=author,
            object_type="proposal",
            object_id=proposal.id,
            hall_id=access.hall.id,
        )
        await emit(access.hall.id, "proposal.state", state_payload(proposal, "", author))
    return proposal


async def charged_units(access: HallAccess, refs: list[str] | None) -> list[str] | None:
    """The units a maintenance-fund spend charges, each matched on the hall's roll (all or nothing:
    422 naming every unit the roll does not have); listed by the Party branch or the committee."""
    if refs is None:
        return None
    permissions.check_may_set_charged_units(access)
    compound_id = access.hall.id if access.hall.kind == "compound" else access.hall.compound_id
    units = [] if compound_id is None else await load_roll(
        compound_id, building_id=access.hall.id if access.hall.kind == "building" else None
    )
    matched = match_units(refs, [u.key for u in units], building_hall=access.hall.kind == "building")
    if matched.unknown:
        raise Invalid(
            _("These units are not on the roll of this hall: {units}.", units="、".join(matched.unknown)),
            fields={"charged_units": "unknown_unit"},
        )
    if matched.ambiguous:
        raise Invalid(
            _(
                "These names match more than one unit, or one unit twice: {units}. "
                "Write each unit as building/unit.",
                units="、".join(matched.ambiguous),
            ),
            fields={"charged_units": "ambiguous_unit"},
        )
    return matched.names


PLAN_STATES = ("draft", "consultation")  # the plan may still change; the notice fixes it


def may_change_charged_units(access: HallAccess, proposal: Proposal) -> bool:
    """Whether the page offers the caller the charged units' form: a maintenance-fund spend of the
    whole hall (not one entrance), its plan still open, and the Party branch or the committee."""
    return (
        permissions.may_set_charged_units(access)
        and proposal.state in PLAN_STATES
        and is_fund_use(proposal.category, proposal.item)
        and not proposal.entrance
    )


async def set_charged_units(access: HallAccess, proposal: Proposal, actor: User, raw: Any) -> Proposal:
    """The Party branch or the committee changes the units a maintenance-fund spend charges (null: the
    whole hall votes) while the plan may still change; from the notice on it is fixed (409 plan_fixed)."""
    permissions.check_may_set_charged_units(access)
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)  # the state is re-checked inside the transaction
        if fresh.state not in PLAN_STATES:
            raise Conflict(
                _("The units charged by the spend were fixed with the notice: they can no longer change."),
                code="plan_fixed",
            )
        fields: dict[str, str] = {}
        refs = charged_units_of(raw, fields)
        if not fields and refs is not None and not is_fund_use(fresh.category, fresh.item):
            fields["charged_units"] = "only_fund_use"
        elif not fields and refs is not None and fresh.entrance:
            fields["charged_units"] = "not_with_entrance"
        if fields:
            raise Invalid(charged_problem(fields["charged_units"]), fields=fields)
        fresh.charged_units = await charged_units(access, refs)
        await fresh.save(update_fields=["charged_units"])
        await record(
            "proposal.charged_units",
            actor=actor,
            object_type="proposal",
            object_id=fresh.id,
            hall_id=access.hall.id,
            units=None if fresh.charged_units is None else len(fresh.charged_units),
        )
    return fresh


async def _all_on_roll(hall: Hall, refs: list[str]) -> bool:
    """Every owner ref is an active owner on the roll of the hall's compound."""
    compound_id = hall.id if hall.kind == "compound" else hall.compound_id
    found = await Owner.filter(compound_id=compound_id, owner_ref__in=refs, active=True).count()
    return found == len(set(refs))


async def transition(
    access: HallAccess,
    proposal: Proposal,
    to: str,
    actor: User,
    closes_at: datetime | None = None,
    reason: str = "",
) -> Proposal:
    """Move a proposal as a person asks, checked against role, state and calendar in one place."""
    if to not in STATES:
        raise Invalid(_("Unknown state."), fields={"to": "invalid"})
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise Invalid(_("The reason is too long."), fields={"reason": "too_long"})
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)  # the state is re-checked inside the transaction
        who = Actor(is_author=fresh.author_id == actor.id, is_moderator=access.is_moderator)  # type: ignore[attr-defined]
        lifecycle.check_transition(fresh.state, to, fresh.matter, who, reason)
        now = clock.now()
        if to == "notice":
            # The notice announces the window and freezes the rules of procedure (api.md, "Procedure").
            announced = window.announce(fresh, now, closes_at, await compound_rules(access.hall))
            if announced:
                await fresh.save(update_fields=announced)
                await _tell_residents_committee(access.hall, fresh, actor, now)
        elif to == "voting" and meeting.is_meeting(fresh):
            await meeting.open_meeting(fresh, actor, now)  # the roll of residents, frozen; no window
        elif to == "voting":
            rules = window.rules_of(fresh, await compound_rules(access.hall))
            if fresh.matter in lifecycle.OWNERS_MATTERS:
                lifecycle.check_notice_elapsed(now, fresh.notice_at, rules.notice_days)
            elif not fresh.options:
                raise Conflict(_("A consultation poll needs options before it can open."), code="no_options")
            if fresh.matter in lifecycle.OWNERS_MATTERS and fresh.closes_at is not None:
                window.check_opening(now, fresh.closes_at, closes_at, rules)  # opening keeps the window
                closes_at = fresh.closes_at
            else:  # a consultation, or a notice given before windows were announced with it
                closes_at = lifecycle.check_voting_window(
                    now, closes_at, rules.min_voting_days, rules.max_voting_days
                )
            assert closes_at is not None  # announced with the notice, or checked just above
            frozen = window.freeze(fresh, rules)
            if frozen:
                await fresh.save(update_fields=frozen)
            opened = await open_vote(fresh, closes_at=closes_at, actor=actor)
            opened.apply(fresh)
        elif to == "closed" and meeting.is_meeting(fresh):
            await meeting.close_meeting(fresh, actor, now)  # the moderator closes the meeting
        elif to == "closed":
            window.check_close(fresh, now)  # no owners' vote ends before its window
            now = window.closing_moment(fresh, now)  # one closing time everywhere
            await close_vote(fresh, actor=actor, at=now)
        await stamp(fresh, to, actor, reason, now)
    return fresh


async def _tell_residents_committee(hall: Hall, proposal: Proposal, actor: User, now: datetime) -> None:
    """The residents' committee is told of every owners' vote (domain.md, "The calendar"): every
    staff member of the community the compound belongs to gets a notification at the notice (their
    inbox; e-mail or SMS by the notifier), and the audit log says so; the record names it."""
    compound = (
        hall if hall.kind == "compound" or hall.compound_id is None else await Hall.get(id=hall.compound_id)
    )
    if compound.parent_id is None:  # type: ignore[attr-defined]
        return
    told = await tell_community_staff(compound.parent_id, proposal.id, proposal.closes_at, now)  # type: ignore[attr-defined]
    await record(
        "proposal.residents_committee_told",
        actor=actor,
        object_type="proposal",
        object_id=proposal.id,
        hall_id=compound.parent_id,  # type: ignore[attr-defined]
        closes_at=proposal.closes_at.isoformat() if proposal.closes_at else None,
        staff=told,
    )


async def second(access: HallAccess, proposal: Proposal, user: User) -> int:
    """A member supports putting a draft on the agenda; once per member, not one's own."""
    permissions.check_may_second(access)
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if fresh.state != "draft":
            raise Conflict(_("Only drafts can be seconded."), code="not_draft")
        if fresh.author_id == user.id:  # type: ignore[attr-defined]
            raise Conflict(_("You cannot second your own proposal."), code="own_proposal")
        if await ProposalSecond.filter(proposal_id=fresh.id, user_id=user.id).exists():
            raise Conflict(_("You have already seconded this proposal."), code="already_seconded")
        try:
            await ProposalSecond.create(proposal=fresh, user=user, created_at=clock.now())
        except IntegrityError as exc:
            raise Conflict(_("You have already seconded this proposal."), code="already_seconded") from exc
        await Proposal.filter(id=fresh.id).update(seconds=F("seconds") + 1)
        await record(
            "proposal.second", actor=user, object_type="proposal", object_id=fresh.id, hall_id=access.hall.id
        )
    return fresh.seconds + 1


async def set_locked(
    access: HallAccess, proposal: Proposal, actor: User, locked: bool, reason: str = ""
) -> None:
    """Moderators lock or unlock a discussion, in the open (public log, audit, live event)."""
    permissions.check_may_lock(access)
    async with atomic():
        fresh = await Proposal.get(id=proposal.id)
        if fresh.locked == locked:
            raise Conflict(_("The discussion is already in that state."), code="no_change")
        fresh.locked = locked
        await fresh.save(update_fields=["locked"])
        action = "lock" if locked else "unlock"
        reason = (reason or "").strip()[:2000]
        await ModerationEntry.create(
            hall_id=access.hall.id,
            action=action,
            actor=actor,
            proposal_id=fresh.id,
            reason=reason,
            at=clock.now(),
        )
        await record(
            f"proposal.{action}",
            actor=actor,
            object_type="proposal",
            object_id=fresh.id,
            hall_id=access.hall.id,
        )
        await emit(access.hall.id, "proposal.locked", {"proposal": fresh.id, "locked": locked})
    proposal.locked = locked


async def hall_proposals(access: HallAccess) -> dict[str, list[Proposal]]:
    """A hall's proposals grouped by state (lifecycle order), newest first in each group."""
    grouped: dict[str, list[Proposal]] = {}
    for proposal in await Proposal.filter(hall_id=access.hall.id).order_by("-id"):
        grouped.setdefault(proposal.state, []).append(proposal)
    return {state: grouped[state] for state in STATES if state in grouped}


async def list_proposals(access: HallAccess, state: str | None = None) -> list[Proposal]:
    if state is not None and state not in STATES:
        raise Invalid(_("Unknown state."), fields={"state": "invalid"})
    query = Proposal.filter(hall_id=access.hall.id)
    if state:
        query = query.filter(state=state)
    return await query.order_by("-id")


async def has_seconded(proposal: Proposal, user: User) -> bool:
    return await ProposalSecond.filter(proposal_id=proposal.id, user_id=user.id).exists()

"""Use cases of carrying a decision out: open, milestones, updates with photos, quotes, budget.

Check, do, notify: each use case loads the proposal through the caller's access (NotFound outside
their halls), checks the role in `permissions` and the values in `rules`, then writes inside one
`atomic()` with the implementation row locked (PostgreSQL; SQLite writes one at a time), records
the audit entry and emits the hall's live event, which is published only after the commit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from agora import clock
from agora.accounts.models import User
from agora.ballots import ledger
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.implementation import acceptance, history, messages, permissions, rules
from agora.implementation.decision import decision_stands
from agora.implementation.models import BudgetAmendment, Implementation, Milestone, Quote
from agora.live.events import atomic
from agora.proposals.models import Proposal
from agora.proposals.services import compound_rules
from agora.proposals.timeline import access_proposal
from agora.rooms.access import HallAccess, access_to
from agora.storage.database import is_postgres
from agora.web.http import parse_id

MAX_MILESTONES = 50
MAX_QUOTES = 30


_refusal = messages.refusal


def parse_when(value: Any, field: str) -> datetime:
    """An ISO 8601 time with an offset (a bare date is the end of that day, Asia/Shanghai)."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(_("Please give a date for {field}.", field=field), fields={field: "required"})
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, 23, 59, tzinfo=clock.LOCAL_TZ).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(_("{field} is not a valid date.", field=field), fields={field: "invalid"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment.astimezone(UTC)


def money(value: Any, field: str) -> int:
    try:
        return rules.parse_money(value, field)
    except rules.RuleError as error:
        raise _refusal(error) from None


async def lock(implementation_id: int) -> Implementation:
    """Re-read the implementation inside the writing transaction, holding its row until commit."""
    query = Implementation.filter(id=implementation_id)
    if is_postgres():
        query = query.select_for_update()
    return await query.get()


Action = Literal["read", "report", "choose_quote", "amend_budget"]


async def access_implementation(
    user: User | None, proposal_id: int, to: Action = "read"
) -> tuple[Proposal, HallAccess, Implementation]:
    """The one loader: the proposal through the caller's access (NotFound outside their halls), its
    implementation (NotFound before it is opened), then Forbidden unless `permissions` let the
    caller do `to` (reading needs only the access)."""
    proposal, access = await access_proposal(user, proposal_id)
    found = await Implementation.get_or_none(proposal_id=proposal.id)
    if found is None:
        raise NotFound(_("This decision has no implementation yet."), code="no_implementation")
    if to != "read":
        require(to, access, user, found)
    return proposal, access, found


def require(to: Action, access: HallAccess, user: User | None, implementation: Implementation) -> None:
    """Forbidden unless the caller may do `to` on this implementation."""
    if to == "report":
        lead_id: int = implementation.lead_id  # type: ignore[attr-defined]
        permissions.check_can_report(access, user.id if user is not None else None, lead_id)
    elif to == "choose_quote":
        permissions.check_can_choose_quote(access)
    elif to == "amend_budget":
        permissions.check_can_amend_budget(access)


async def margin_percent(access: HallAccess) -> int:
    return (await compound_rules(access.hall)).budget_margin_percent


def _funding(data: Any) -> list[tuple[str, int]]:
    if not isinstance(data, list) or not data:
        raise Invalid(_("Say how the work is funded."), fields={"funding": "required"})
    out = []
    for item in data:
        if not isinstance(item, dict):
            raise Invalid(_("Say how the work is funded."), fields={"funding": "invalid"})
        out.append((str(item.get("source")), money(item.get("amount"), "funding")))
    return out


async def _lead(access: HallAccess, login: Any) -> User:
    if not isinstance(login, str) or not login.strip():
        raise Invalid(_("Name the lead of the work (an account login)."), fields={"lead": "required"})
    lead = await User.get_or_none(login=login.strip())
    if lead is not None:
        try:
            await access_to(lead, access.hall)
        except NotFound:
            lead = None
    if lead is None:
        raise Invalid(_("The lead must be a member of this hall."), fields={"lead": "unknown"})
    return lead


async def open_implementation(user: User, proposal_id: int, data: dict[str, Any]) -> Implementation:
    """The committee opens the work of a decision whose record is final and passed (409 before)."""
    proposal, access = await access_proposal(user, proposal_id)
    permissions.check_can_open(access)
    lead = await _lead(access, data.get("lead"))
    due_at = parse_when(data.get("due_at"), "due_at")
    budget = money(data.get("budget"), "budget")
    funding = _funding(data.get("funding"))
    try:
        rules.check_funding(budget, funding)
    except rules.RuleError as error:
        raise _refusal(error) from None
    async with atomic():
        locked = await ledger.lock(proposal.id)
        if not await decision_stands(locked):
            raise Conflict(
                _("Only a decision whose resolution record is final and passed can be carried out."),
                code="decision_not_final",
            )
        if await Implementation.filter(proposal_id=proposal.id).exists():
            raise Conflict(_("This decision's implementation is already open."), code="already_open")
        implementation = await Implementation.create(
            proposal_id=proposal.id,
            hall_id=access.hall.id,
            lead=lead,
            due_at=due_at,
            budget_fen=budget,
            funding=[{"source": s, "fen": f} for s, f in funding],
            created_by=user,
            created_at=clock.now(),
        )
        await history.audit(
            "opened",
            user,
            proposal.id,
            access.hall.id,
            lead=lead.login,
            budget=rules.format_money(budget),
            due_at=due_at.isoformat(),
        )
    return implementation


async def add_milestone(user: User, proposal_id: int, data: dict[str, Any]) -> Milestone:
    _proposal, access, implementation = await access_implementation(user, proposal_id, "report")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise Invalid(_("A milestone needs a title (at most 200 characters)."), fields={"title": "required"})
    due_at = parse_when(data.get("due_at"), "due_at")
    async with atomic():
        await lock(implementation.id)
        if await Milestone.filter(implementation_id=implementation.id).count() >= MAX_MILESTONES:
            raise Conflict(_("An implementation has at most {n} milestones.", n=MAX_MILESTONES))
        milestone = await Milestone.create(
            implementation=implementation, title=title.strip(), due_at=due_at, created_at=clock.now()
        )
        await history.audit(
            "milestone_added",
            user,
            proposal_id,
            access.hall.id,
            milestone=milestone.id,
        )
    return milestone


async def complete_milestone(user: User, proposal_id: int, milestone_id: int) -> Milestone:
    _proposal, access, implementation = await access_implementation(user, proposal_id, "report")
    async with atomic():
        milestone = await Milestone.get_or_none(id=milestone_id, implementation_id=implementation.id)
        if milestone is None:
            raise NotFound(_("This milestone does not exist."))
        if milestone.done_at is not None:
            raise Conflict(_("This milestone is already done."), code="already_done")
        milestone.done_at = clock.now()
        await milestone.save(update_fields=["done_at"])
        await history.audit(
            "milestone_done",
            user,
            proposal_id,
            access.hall.id,
            milestone=milestone.id,
        )
    return milestone


async def add_quote(user: User, proposal_id: int, data: dict[str, Any]) -> Quote:
    _proposal, access, implementation = await access_implementation(user, proposal_id, "report")
    supplier = data.get("supplier")
    if not isinstance(supplier, str) or not supplier.strip() or len(supplier) > 200:
        raise Invalid(_("Name the supplier (at most 200 characters)."), fields={"supplier": "required"})
    amount = money(data.get("amount"), "amount")
    raw_date = data.get("date")
    try:
        quoted_on = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        quoted_on = None
    if quoted_on is None:
        raise Invalid(_("Give the quote's date (YYYY-MM-DD)."), fields={"date": "invalid"})
    async with atomic():
        await lock(implementation.id)
        if await Quote.filter(implementation_id=implementation.id).count() >= MAX_QUOTES:
            raise Conflict(_("An implementation has at most {n} quotes.", n=MAX_QUOTES))
        quote = await Quote.create(
            implementation=implementation,
            supplier=supplier.strip(),
            amount_fen=amount,
            quoted_on=quoted_on,
            created_at=clock.now(),
        )
        await history.audit(
            "quote_added",
            user,
            proposal_id,
            access.hall.id,
            quote=quote.id,
            amount=rules.format_money(amount),
        )
    return quote


async def choose_quote(user: User, proposal_id: int, quote_id: int) -> Quote:
    """The committee signs with one supplier; a contract beyond the budget's margin needs a new vote."""
    _proposal, access, implementation = await access_implementation(user, proposal_id, "choose_quote")
    margin = await margin_percent(access)
    async with atomic():
        locked = await lock(implementation.id)
        quote = await Quote.get_or_none(id=quote_id, implementation_id=implementation.id)
        if quote is None:
            raise NotFound(_("This quote does not exist."))
        if not rules.within_budget(quote.amount_fen, locked.budget_fen, margin):
            raise _refusal(rules.RuleError("over_budget", "amount"))
        await Quote.filter(implementation_id=implementation.id).update(chosen=False, chosen_at=None)
        quote.chosen, quote.chosen_at = True, clock.now()
        await quote.save(update_fields=["chosen", "chosen_at"])
        await history.audit(
            "quote_chosen",
            user,
            proposal_id,
            access.hall.id,
            quote=quote.id,
            supplier=quote.supplier,
            amount=rules.format_money(quote.amount_fen),
        )
    return quote


async def amend_budget(user: User, proposal_id: int, data: dict[str, Any]) -> Implementation:
    """A new budget, approved by a later vote of the same hall whose record is final and passed."""
    _proposal, access, implementation = await access_implementation(user, proposal_id, "amend_budget")
    budget = money(data.get("budget"), "budget")
    funding = _funding(data.get("funding"))
    try:
        rules.check_funding(budget, funding)
    except rules.RuleError as error:
        raise _refusal(error) from None
    vote_id = parse_id(data.get("proposal"))
    vote = await Proposal.get_or_none(id=vote_id) if vote_id else None
    if vote is None or vote.hall_id != access.hall.id or vote.id == proposal_id:  # type: ignore[attr-defined]
        raise Invalid(
            _("Name the later vote of this hall that approved the new budget."),
            fields={"proposal": "invalid"},
        )
    async with atomic():
        locked = await lock(implementation.id)
        if not await decision_stands(vote):
            raise Conflict(
                _("Only a decision whose resolution record is final and passed can change the budget."),
                code="decision_not_final",
            )
        if await BudgetAmendment.filter(implementation_id=locked.id, proposal_id=vote.id).exists():
            raise Conflict(_("This vote already changed the budget."), code="already_applied")
        await BudgetAmendment.create(
            implementation=locked,
            proposal_id=vote.id,
            old_budget_fen=locked.budget_fen,
            new_budget_fen=budget,
            by=user,
            at=clock.now(),
        )
        locked.budget_fen = budget
        locked.funding = [{"source": s, "fen": f} for s, f in funding]
        await locked.save(update_fields=["budget_fen", "funding"])
        await history.audit(
            "budget_amended",
            user,
            proposal_id,
            access.hall.id,
            vote=vote.id,
            budget=rules.format_money(budget),
        )
    return locked


async def sweep() -> tuple[int, int]:
    """Mark overdue works stalled (remind the committee once) and settle closed acceptance polls."""
    return await acceptance.remind_stalled(), await acceptance.settle_closed_polls()

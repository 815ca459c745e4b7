"""The voting window of an owners' vote: announced with the notice, kept at opening, never cut
short, extended at most once (api.md, "Procedure"; the dates in `agora.proposals.calendar`).

`check_*` functions refuse with the rule and the date that would be allowed, in the user's language;
`announce`, `extend` write (inside the caller's transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import calendar, permissions
from agora.proposals.lifecycle import OWNERS_MATTERS
from agora.proposals.models import Proposal, ProposalTransition
from agora.rooms.access import HallAccess
from agora.rooms.rules import Rules, frozen_rules, rules_in_force
from agora.storage.database import is_postgres
from agora.web.http import check_time_bounds

REASON_MAX = 2000

def parse_closes_at(raw: Any) -> datetime | None:
    """ISO 8601 with an offset (the API), or a local `datetime-local` value from the page form."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise Invalid(_("closes_at must be a date and time."), fields={"closes_at": "invalid"})
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(_("closes_at must be a date and time."), fields={"closes_at": "invalid"}) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.LOCAL_TZ)
    check_time_bounds(value, "closes_at")
    # Stored in UTC: SQLite compares the stored text, so "+08:00" would close the vote 8 hours late.
    return value.astimezone(UTC)


def check_announced_window(notice_at: datetime, closes_at: datetime | None, rules: Rules) -> datetime:
    """The window a notice announces: from the earliest opening the notice allows, for at least
    `min_voting_days` and at most `max_voting_days` (422 saying the dates allowed). → the opening."""
    if closes_at is None:
        raise Invalid(
            _("The notice announces the voting window: give the closing time (closes_at)."),
            fields={"closes_at": "required"},
        )
    opens = calendar.earliest_voting_start(notice_at, rules.notice_days)
    bounds = calendar.window_bounds(opens, rules.min_voting_days, rules.max_voting_days)
    if closes_at < bounds.earliest_close:
        raise Invalid(
            _(
                "Voting may open from {opens} and must stay open at least {n} days: "
                "close it at {earliest} or later.",
                opens=calendar.shown(opens),
                n=rules.min_voting_days,
                earliest=calendar.shown(bounds.earliest_close),
            ),
            fields={"closes_at": "too_early"},
        )
    if closes_at > bounds.latest_close:
        raise Invalid(
            _(
                "Voting may open from {opens} and may stay open at most {n} days: "
                "close it at {latest} or earlier.",
                opens=calendar.shown(opens),
                n=rules.max_voting_days,
                latest=calendar.shown(bounds.latest_close),
            ),
            fields={"closes_at": "too_late"},
        )
    return opens


def check_opening(now: datetime, announced: datetime, requested: datetime | None, rules: Rules) -> None:
    """Opening keeps the announced close (the same value may be sent again), and only while the
    window still lasts at least `min_voting_days` (409 otherwise, naming the dates)."""
    if requested is not None and requested != announced:
        raise Conflict(
            _(
                "The voting window was announced with the notice: it closes at {closes}. "
                "Open the vote without a new closing time.",
                closes=calendar.shown(announced),
            ),
            code="window_announced",
        )
    if announced < calendar.plus_local_days(now, rules.min_voting_days):
        raise Conflict(
            _(
                "Opened now, the announced window (closing at {closes}) would last less than {n} days: "
                "it had to open by {latest}. Withdraw the proposal and give a new notice.",
                closes=calendar.shown(announced),
                n=rules.min_voting_days,
                latest=calendar.shown(calendar.latest_opening(announced, rules.min_voting_days)),
            ),
            code="window_too_short",
        )


def check_close(proposal: Proposal, now: datetime) -> None:
    """No owners' vote ends before its window (409, naming the announced close)."""
    if calendar.may_close_early(proposal.matter in OWNERS_MATTERS, now, proposal.closes_at):
        return
    closes = proposal.closes_at
    raise Conflict(
        _(
            "An owners' vote cannot end before its announced window: it closes at {closes}. "
            "The owners' committee may extend it once; nobody may shorten it.",
            closes=calendar.shown(closes) if closes else "?",
        ),
        code="window_open",
    )


def closing_moment(proposal: Proposal, now: datetime) -> datetime:
    """The one closing time of a vote, everywhere: an owners' vote ends at its announced close
    (nothing is accepted from that moment on, whenever the close is processed)."""
    if proposal.matter in OWNERS_MATTERS and proposal.closes_at is not None and proposal.closes_at <= now:
        return proposal.closes_at
    return now


def rules_of(proposal: Proposal, live: Rules) -> Rules:
    """The rules a proposal follows: frozen at its notice (or its opening), else the compound's."""
    return rules_in_force(proposal.rules, live)


def freeze(proposal: Proposal, rules: Rules) -> list[str]:
    """Freeze the rules into the proposal if not yet done; the fields to save."""
    if proposal.rules is not None:
        return []
    proposal.rules = frozen_rules(rules)
    return ["rules"]


def announce(proposal: Proposal, now: datetime, closes_at: datetime | None, rules: Rules) -> list[str]:
    """At notice: check and set the window and freeze the rules (owners' matters). Fields to save."""
    if proposal.matter not in OWNERS_MATTERS:
        return []
    opens = check_announced_window(now, closes_at, rules)
    assert closes_at is not None
    proposal.closes_at = closes_at.astimezone(UTC)
    proposal.opens_from = opens.astimezone(UTC)
    return ["closes_at", "opens_from", *freeze(proposal, rules)]


async def _locked(proposal_id: int) -> Proposal:
    """Re-read the proposal inside the transaction, holding its lock (SQLite: the write lock)."""
    query = Proposal.filter(id=proposal_id)
    if is_postgres():
        query = query.select_for_update()
    return await query.get()


def extension_json(proposal: Proposal) -> dict[str, Any] | None:
    return proposal.extension if isinstance(proposal.extension, dict) else None


async def extend(
    access: HallAccess, proposal: Proposal, actor: User, data: dict[str, Any], live: Rules
) -> Proposal:
    """The owners' committee extends an open vote once, before its close, within the maximum."""
    permissions.check_may_extend(access)

    new_closes = parse_closes_at(data.get("closes_at"))
    reason = data.get("reason")
    fields: dict[str, str] = {}
    if new_closes is None:
        fields["closes_at"] = "required"
    if not isinstance(reason, str) or not reason.strip():
        fields["reason"] = "required"
    elif len(reason) > REASON_MAX:
        fields["reason"] = "too_long"
    if fields:
        raise Invalid(
            _("An extension needs the new closing time and the reason announced for it."), fields=fields
        )
    assert new_closes is not None and isinstance(reason, str)
    reason = reason.strip()
    async with atomic():
        fresh = await _locked(proposal.id)
        now = clock.now()
        if fresh.state != "voting" or fresh.closes_at is None or fresh.opens_at is None:
            raise Conflict(_("Only an open vote can be extended."), code="not_open")
        rules = rules_of(fresh, live)
        check = calendar.check_extension(
            now=now,
            opens_at=fresh.opens_at,
            closes_at=fresh.closes_at,
            new_closes_at=new_closes,
            extended_before=fresh.extension is not None,
            max_days=rules.max_voting_days,
        )
        if check.problem == "already_extended":
            raise Conflict(
                _("This vote was already extended once; it cannot be extended again."),
                code="already_extended",
            )
        if check.problem == "closed":
            raise Conflict(
                _(
                    "An extension is announced before the close; this vote closed at {closes}.",
                    closes=calendar.shown(fresh.closes_at),
                ),
                code="not_open",
            )
        if check.problem == "not_later":
            raise Invalid(
                _(
                    "An extension closes the vote later than {closes}.",
                    closes=calendar.shown(fresh.closes_at),
                ),
                fields={"closes_at": "not_later"},
            )
        if check.problem == "too_late":
            raise Invalid(
                _(
                    "The vote may stay open at most {n} days: the latest close allowed is {latest}.",
                    n=rules.max_voting_days,
                    latest=calendar.shown(check.latest_close),
                ),
                fields={"closes_at": "too_late"},
            )
        old = fresh.closes_at
        fresh.closes_at = new_closes
        fresh.extension = {
            "from": old.astimezone(calendar.LOCAL_TZ).isoformat(),
            "to": new_closes.astimezone(calendar.LOCAL_TZ).isoformat(),
            "reason": reason,
            "by": actor.display_name,
            "at": now.astimezone(calendar.LOCAL_TZ).isoformat(),
        }
        await fresh.save(update_fields=["closes_at", "extension"])
        text = _("Extended to {closes}: {reason}", closes=calendar.shown(new_closes), reason=reason)
        await ProposalTransition.create(
            proposal=fresh, from_state="voting", to_state="extended", at=now, by=actor, reason=text
        )
        hall_id = fresh.hall_id  # type: ignore[attr-defined]
        await record(
            "proposal.extended",
            actor=actor,
            object_type="proposal",
            object_id=fresh.id,
            hall_id=hall_id,
            closes_at_before=old.isoformat(),
            closes_at=new_closes.isoformat(),
            reason=reason,
        )
        await emit(
            hall_id,
            "proposal.state",
            {
                "proposal": fresh.id,
                "title": fresh.title,
                "state": fresh.state,
                "from": "voting",
                "at": now.isoformat(),
                "by": actor.display_name,
            },
        )
    return fresh

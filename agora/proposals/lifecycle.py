"""The proposal state machine and the notice calendar, as pure rules (no ORM, no web).

    draft → consultation → notice → voting → closed → certified     (owners' matters)
    draft → consultation → voting → closed → certified              (consultations: no notice)
    draft → consultation → voting → closed                          (a residents' meeting: opened,
                                                                     held, closed by the moderator)
    draft | consultation | notice → withdrawn (author or moderator) | rejected (moderator, reason)

Who may move what is decided here, in one table, and so is when voting may open: a notice
published on local day D (Asia/Shanghai) counts from D + 1 (Civil Code art. 201), so after
`notice_days` full days voting may open at 00:00 on D + notice_days + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from agora import clock
from agora.art278 import RESIDENT_MEETING
from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.proposals.labels import state_label

OWNERS_MATTERS = frozenset({"ordinary", "major", "unanimous"})  # matters that need a notice
WITHOUT_NOTICE = frozenset({"consultation", RESIDENT_MEETING})
EARLY = ("draft", "consultation", "notice")  # states a proposal may still be withdrawn or rejected from

# Who may take an edge: "moderator", "author_or_moderator", or "system" (the ballots feature only).
MODERATOR, AUTHOR_OR_MODERATOR, SYSTEM = "moderator", "author_or_moderator", "system"
EDGES: dict[tuple[str, str], str] = {
    ("draft", "consultation"): MODERATOR,
    ("consultation", "notice"): MODERATOR,
    ("consultation", "voting"): MODERATOR,
    ("notice", "voting"): MODERATOR,
    ("voting", "closed"): MODERATOR,
    ("closed", "certified"): SYSTEM,
    **{(state, "withdrawn"): AUTHOR_OR_MODERATOR for state in EARLY},
    **{(state, "rejected"): MODERATOR for state in EARLY},
}


@dataclass(frozen=True)
class Actor:
    """What the lifecycle needs to know about whoever asks for a transition."""

    is_author: bool = False
    is_moderator: bool = False
    system: bool = False  # the scheduler closing a vote, or the ballots feature certifying


def edge_exists(current: str, to: str, matter: str) -> bool:
    """The edge is in the table and fits the matter (notice only for owners' matters)."""
    if (current, to) not in EDGES:
        return False
    if (current, to) in {("consultation", "notice"), ("notice", "voting")}:
        return matter in OWNERS_MATTERS
    if (current, to) == ("consultation", "voting"):
        return matter in WITHOUT_NOTICE
    return True


def may_take(current: str, to: str, matter: str, actor: Actor) -> bool:
    if not edge_exists(current, to, matter):
        return False
    who = EDGES[(current, to)]
    if actor.system:
        return who in (SYSTEM, MODERATOR) and (current, to) in {("voting", "closed"), ("closed", "certified")}
    if who == MODERATOR:
        return actor.is_moderator
    if who == AUTHOR_OR_MODERATOR:
        return actor.is_moderator or actor.is_author
    return False


def allowed_targets(current: str, matter: str, actor: Actor) -> list[str]:
    """The states this actor may move the proposal to now (the buttons a page shows)."""
    return [to for (frm, to) in EDGES if frm == current and may_take(current, to, matter, actor)]


def check_transition(current: str, to: str, matter: str, actor: Actor, reason: str = "") -> None:
    """Refuse (409) an edge the state or the role does not allow; a rejection needs a reason (422)."""
    if not may_take(current, to, matter, actor):
        raise Conflict(
            _(
                "A proposal in state {state} cannot be moved to {to} by you.",
                state=state_label(current),
                to=state_label(to),
            ),
            code="transition_not_allowed",
        )
    if to == "rejected" and not reason.strip():
        raise Invalid(_("A rejection needs a reason."), fields={"reason": "required"})


# --- the calendar -------------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(clock.LOCAL_TZ).date()


def earliest_voting_start(notice_at: datetime, notice_days: int) -> datetime:
    """00:00 local on D + notice_days + 1, D being the local day the notice was published."""
    first = local_day(notice_at) + timedelta(days=notice_days + 1)
    return datetime.combine(first, time(0), tzinfo=clock.LOCAL_TZ)


def check_notice_elapsed(now: datetime, notice_at: datetime | None, notice_days: int) -> None:
    """Owners' matters may open voting only after the full notice period (409 before)."""
    if notice_at is None:
        raise Conflict(_("This proposal has no published notice."), code="notice_missing")
    start = earliest_voting_start(notice_at, notice_days)
    if now < start:
        raise Conflict(
            _(
                "The notice period of {days} full days has not passed: voting may open from {start}.",
                days=notice_days,
                start=start.strftime("%Y-%m-%d %H:%M"),
            ),
            code="notice_period",
        )


def check_voting_window(
    opens: datetime, closes_at: datetime | None, min_days: int, max_days: int
) -> datetime:
    """The window must last at least `min_days` and at most `max_days` (422 otherwise); returns its end."""
    if closes_at is None:
        raise Invalid(_("Opening the vote needs a closing time."), fields={"closes_at": "required"})
    if closes_at < opens + timedelta(days=min_days):
        raise Invalid(
            _("The vote must stay open at least {n} days.", n=min_days), fields={"closes_at": "too_early"}
        )
    if closes_at > opens + timedelta(days=max_days):
        raise Invalid(
            _("The vote may stay open at most {n} days.", n=max_days), fields={"closes_at": "too_late"}
        )
    return closes_at

"""The notifier: reminders before a vote closes, the member's inbox of what needs them, delivery.

`sweep_reminders` runs every minute (`agora.notify.scheduler`): for each open vote whose reminder
moment has come (`rules.due_lead`), every member who has a ballot on it and has not voted gets one
notification (made once: the (user, key) pair is unique), which is their inbox entry, and is then
passed on through the channels the operator turned on (e-mail, SMS, WeChat) where the member left an
address. What a reminder says is only "you have not voted yet", to that member alone. A delivery that
fails is tried again on that channel after growing waits (`rules.RETRY_AFTER`), as long as the member
still needs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from agora import clock, i18n
from agora.accounts.models import User
from agora.audit.services import record
from agora.ballots.models import Resolution
from agora.ballots.needs import my_part, my_part_and_person
from agora.ballots.queries import slot_person_keys
from agora.ballots.resolution import verdict_label
from agora.errors import Invalid, NotFound
from agora.i18n import _, use_locale
from agora.notify import notices, rules
from agora.notify.channels import Channel, DeliveryFailed, Message, SmtpConfig, build_channels
from agora.notify.models import Contact, Delivery, Notification
from agora.proposals.models import Comment, Proposal
from agora.rooms.access import access_to
from agora.rooms.models import Hall, MemberRole, Owner
from agora.settings import Settings
from agora.timefmt import local_time

log = logging.getLogger("agora.notify")
INBOX_LIMIT = 50


@dataclass(frozen=True)
class Notifier:
    """What the sweep needs from the settings: lead times, outside channels, the site's address."""

    leads: tuple[timedelta, ...]
    channels: list[Channel]
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        smtp = None
        if settings.smtp_host:
            smtp = SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                user=settings.smtp_user,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
            )
        base = settings.public_url or f"http://{settings.host}:{settings.port}"
        return cls(settings.remind_before, build_channels(settings.notify_channels, smtp), base)


async def _candidates(hall: Hall) -> list[User]:
    """Accounts that may belong to the hall (its roles, its compound's and buildings', the roll's owners);
    `access_to` then decides, exactly as for a page."""
    compound_id = hall.compound_id or hall.id  # type: ignore[attr-defined]
    hall_ids = {hall.id, compound_id}
    hall_ids.update(await Hall.filter(compound_id=compound_id).values_list("id", flat=True))  # type: ignore[arg-type]
    user_ids = set(await MemberRole.filter(hall_id__in=list(hall_ids)).values_list("user_id", flat=True))
    owners = Owner.filter(compound_id=compound_id, active=True, user_id__isnull=False)
    user_ids.update(await owners.values_list("user_id", flat=True))
    return await User.filter(id__in=list(user_ids), is_active=True).order_by("id")


# The sweep runs every minute for as long as a reminder is due (24 hours by default), and checking
# one member reads their access, the roll and the ledger: on a 10,000-person compound, tens of
# thousands of reads a minute, nearly all for members who had voted long before. So each process
# remembers, per vote and lead, who needs no reminder. A voter is skipped while their person's ballot
# slot is still there (one read of the vote's slots per sweep): a paper ballot taken back frees the
# slot, and they are checked again. A member with no ballot on the vote (a tenant on an owners'
# matter, someone who left the hall) is checked again after `NO_BALLOT_RECHECK`, so a buyer who
# becomes an owner during the vote is still reminded.
NO_BALLOT_RECHECK = timedelta(minutes=15)


@dataclass
class _Settled:
    voted: dict[int, str] = field(default_factory=dict)  # user id -> the person key of their ballot
    no_ballot: dict[int, datetime] = field(default_factory=dict)  # user id -> when to check again


# Keyed by the reminder's key and the proposal's creation time (ids restart in a new database).
_settled: dict[tuple[str, datetime], _Settled] = {}


async def sweep_reminders(notifier: Notifier) -> int:
    """Make and deliver the reminders that are due now; the number made."""
    now = clock.now()
    longest = max(notifier.leads, default=timedelta(0))
    votes = await Proposal.filter(state="voting", closes_at__gt=now, closes_at__lte=now + longest).order_by(
        "id"
    )
    made = 0
    current: set[tuple[str, datetime]] = set()
    for proposal in votes:
        lead = rules.due_lead(now, proposal.closes_at, notifier.leads)  # type: ignore[arg-type]
        if lead is None:
            continue
        hall = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
        key = rules.reminder_key(proposal.id, lead)
        current.add((key, proposal.created_at))
        settled = _settled.setdefault((key, proposal.created_at), _Settled())
        slots = await slot_person_keys(proposal.id) if settled.voted else set()
        done = set(await Notification.filter(key=key).values_list("user_id", flat=True))
        for user in await _candidates(hall):
            if user.id in done or settled.voted.get(user.id) in slots:
                continue
            if settled.no_ballot.get(user.id, now) > now:
                continue
            try:
                access = await access_to(user, hall)
            except NotFound:
                settled.no_ballot[user.id] = now + NO_BALLOT_RECHECK
                continue
            part, person = await my_part_and_person(proposal, access, user)
            settled.voted.pop(user.id, None)
            settled.no_ballot.pop(user.id, None)
            if part == "voted" and person is not None:
                settled.voted[user.id] = person
            if part is None:
                settled.no_ballot[user.id] = now + NO_BALLOT_RECHECK
            if part != "to_vote":
                continue
            try:
                note = await Notification.create(
                    user_id=user.id,
                    kind="vote_closing",
                    key=key,
                    proposal_id=proposal.id,
                    hall_id=hall.id,
                    due_at=proposal.closes_at,
                    created_at=now,
                )
            except IntegrityError:  # another worker made it first
                continue
            made += 1
            await _deliver(notifier, note, user, proposal)
    for gone in set(_settled) - current:  # closed, or its lead changed: nothing more to remember
        del _settled[gone]
    return made


# Replies from the last day are looked at (so a restart catches up); each is notified once.
REPLY_WINDOW = timedelta(hours=24)
# Failed deliveries of the last day are tried again (the waits in `rules.RETRY_AFTER` add up to less).
RETRY_HORIZON = timedelta(hours=24)


async def sweep_replies(notifier: Notifier) -> int:
    """A notification, passed on through the outside channels, for each new reply to a member's comment
    that they may still see (not their own, not hidden or deleted); the number made."""
    now = clock.now()
    replies = (
        await Comment.filter(
            created_at__gte=now - REPLY_WINDOW,
            parent_author_id__isnull=False,
            deleted_at=None,
            hidden_at=None,
        )
        .order_by("id")
        .select_related("author", "proposal")
    )
    made = 0
    for reply in replies:
        key = f"reply:{reply.id}"
        recipient = reply.parent_author_id
        if recipient is None or recipient == reply.author.id:
            continue
        if await Notification.exists(user_id=recipient, key=key):
            continue
        user = await User.get_or_none(id=recipient, is_active=True)
        hall = await Hall.get_or_none(id=reply.hall_id)
        if user is None or hall is None:
            continue
        try:
            await access_to(user, hall)  # they may have left the hall since
        except NotFound:
            continue
        try:
            note = await Notification.create(
                user_id=user.id,
                kind="reply",
                key=key,
                proposal_id=reply.proposal.id,
                hall_id=hall.id,
                created_at=now,
            )
        except IntegrityError:
            continue
        made += 1
        contact = await Contact.get_or_none(user_id=user.id)
        await _send(notifier, note, _reply_message(notifier, user, contact, reply))
    return made


async def sweep_retries(notifier: Notifier) -> int:
    """Try again each outside delivery that failed and is due another attempt (`rules.retry_due`),
    on that channel alone, while the notification still needs the member (a reminder for a vote they
    have since voted in, or that has closed, is dropped); the number of attempts made.

    Only deliveries of the last `RETRY_HORIZON` are looked at: the waits add up to well under it."""
    now = clock.now()
    channels = {channel.name: channel for channel in notifier.channels}
    attempts = (
        await Delivery.filter(at__gte=now - RETRY_HORIZON)
        .order_by("id")
        .values("notification_id", "channel", "ok", "at")
    )
    runs: dict[tuple[int, str], tuple[int, Any]] = {}  # failures in a row since the last success, last at
    for attempt in attempts:
        key = (attempt["notification_id"], attempt["channel"])
        failures = 0 if attempt["ok"] else runs.get(key, (0, None))[0] + 1
        runs[key] = (failures, attempt["at"])
    tried = 0
    for (note_id, name), (failures, last_at) in runs.items():
        channel = channels.get(name)
        if channel is None or not rules.retry_due(failures, last_at, now):
            continue
        note = await Notification.get_or_none(id=note_id)
        message = await _message_again(notifier, note) if note is not None else None
        if note is None or message is None or not channel.reaches(message):
            continue
        await _send(notifier, note, message, [channel])
        tried += 1
    return tried


async def _message_again(notifier: Notifier, note: Notification) -> Message | None:
    """The notification's message as it would be sent now, or None when it no longer needs the member."""
    user = await User.get_or_none(id=note.user_id, is_active=True)  # type: ignore[attr-defined]
    proposal = await Proposal.get_or_none(id=note.proposal_id or 0)
    hall = await Hall.get_or_none(id=note.hall_id or 0)
    if user is None or proposal is None or hall is None:
        return None
    try:
        access = await access_to(user, hall)
    except NotFound:
        return None
    contact = await Contact.get_or_none(user_id=user.id)
    if note.kind == "vote_closing":
        still_open = proposal.state == "voting" and proposal.closes_at is not None
        if not still_open or proposal.closes_at <= clock.now():  # type: ignore[operator]
            return None
        if await my_part(proposal, access, user) != "to_vote":
            return None
        return _message(notifier, user, contact, proposal)
    if note.kind == "reply":
        comment_id = int(note.key.split(":", 1)[1])
        reply = await Comment.get_or_none(id=comment_id, deleted_at=None, hidden_at=None).select_related(
            "author", "proposal"
        )
        return _reply_message(notifier, user, contact, reply) if reply is not None else None
    if note.kind in notices.KINDS:  # the residents' committee: a notice only until the vote closes
        if note.kind == notices.KIND and proposal.state in ("closed", "certified"):
            return None
        where = await Hall.get(id=proposal.hall_id)  # type: ignore[attr-defined]
        return await _committee_message(notifier, note.kind, user, contact, proposal, where)
    return None


async def sweep_notices(notifier: Notifier) -> int:
    """Pass on, by e-mail or SMS, each notice or final result told to the community's staff (the
    residents' committee) in the last day that has not been passed on yet (`agora.notify.notices` made
    it at the notice, or at the final record); the number passed on."""
    now = clock.now()
    notes = await Notification.filter(kind__in=notices.KINDS, created_at__gte=now - REPLY_WINDOW).order_by(
        "id"
    )
    passed_on = set(
        await Delivery.filter(notification_id__in=[n.id for n in notes]).values_list(
            "notification_id", flat=True
        )
    )
    sent = 0
    for note in notes:
        if note.id in passed_on:
            continue
        user = await User.get_or_none(id=note.user_id, is_active=True)  # type: ignore[attr-defined]
        proposal = await Proposal.get_or_none(id=note.proposal_id or 0)
        hall = await Hall.get_or_none(id=proposal.hall_id) if proposal is not None else None  # type: ignore[attr-defined]
        if user is None or proposal is None or hall is None:
            continue
        contact = await Contact.get_or_none(user_id=user.id)
        message = await _committee_message(notifier, note.kind, user, contact, proposal, hall)
        if any(channel.reaches(message) for channel in notifier.channels):
            await _send(notifier, note, message)
            sent += 1
    return sent


async def sweep(notifier: Notifier) -> int:
    """Everything the notifier sends on one tick."""
    return (
        await sweep_reminders(notifier)
        + await sweep_replies(notifier)
        + await sweep_retries(notifier)
        + await sweep_notices(notifier)
    )


async def _committee_message(
    notifier: Notifier, kind: str, user: User, contact: Contact | None, proposal: Proposal, hall: Hall
) -> Message:
    """What the residents' committee is told (`agora.notify.notices`): an owners' vote's notice, or
    its final result."""
    if kind == notices.RESULT_KIND:
        return await _result_message(notifier, user, contact, proposal, hall)
    return _notice_message(notifier, user, contact, proposal, hall)


def _notice_message(
    notifier: Notifier, user: User, contact: Contact | None, proposal: Proposal, hall: Hall
) -> Message:
    """The residents' committee told of an owners' vote: what, where, until when (their language)."""
    locale = user.locale or i18n.DEFAULT_LOCALE
    with use_locale(locale):
        when = local_time(proposal.closes_at, clock.LOCAL_ZONE, _babel(locale)) or "—"
        subject = _("Notice of an owners' vote: {title}", title=proposal.title)
        body = _(
            "The owners of {hall} will vote on “{title}”; the notice is published and the vote closes"
            " at {when}. The residents' committee is told of every owners' vote.",
            hall=hall.name,
            title=proposal.title,
            when=when,
        )
    return _addressed(user, contact, subject, body, f"{notifier.base_url}/notifications")


async def _result_message(
    notifier: Notifier, user: User, contact: Contact | None, proposal: Proposal, hall: Hall
) -> Message:
    """The residents' committee told of an owners' vote's final result: the outcome itself, and where
    the record is on display (their language)."""
    locale = user.locale or i18n.DEFAULT_LOCALE
    outcome = await final_outcome(proposal.id)
    with use_locale(locale):
        subject = _("Result of an owners' vote: {title}", title=proposal.title)
        body = _(
            "The owners of {hall} voted on “{title}”: {outcome}. The final record is posted in the"
            " compound's hall. The residents' committee is told of every owners' vote and of its result.",
            hall=hall.name,
            title=proposal.title,
            outcome=verdict_label(outcome),
        )
    return _addressed(user, contact, subject, body, f"{notifier.base_url}/notifications")


async def final_outcome(proposal_id: int) -> str | None:
    """The outcome of the proposal's final record ("passed", "no_decision", "undetermined"), or None."""
    resolution = (
        await Resolution.filter(proposal_id=proposal_id, finalized_at__not_isnull=True)
        .order_by("-id")
        .first()
    )
    return None if resolution is None else (resolution.document.get("verdict") or {}).get("outcome")


def _addressed(user: User, contact: Contact | None, subject: str, body: str, url: str) -> Message:
    """A message for the member, to the addresses they left (none: the inbox alone reaches them)."""
    return Message(
        user_id=user.id,
        email=contact.email if contact else None,
        phone=contact.phone if contact else None,
        subject=subject,
        body=body,
        url=url,
    )


def _babel(locale: str) -> str:
    return "zh_Hans_CN" if locale == "zh_CN" else "en"


def _reply_message(notifier: Notifier, user: User, contact: Contact | None, reply: Comment) -> Message:
    with use_locale(user.locale or i18n.DEFAULT_LOCALE):
        subject = _("New reply: {title}", title=reply.proposal.title)
        body = _(
            "{name} replied to your comment on “{title}”.",
            name=reply.author.display_name,
            title=reply.proposal.title,
        )
    return _addressed(user, contact, subject, body, f"{notifier.base_url}/comments/{reply.id}")


def _message(notifier: Notifier, user: User, contact: Contact | None, proposal: Proposal) -> Message:
    """The reminder in the member's own language (their account's setting, Chinese by default)."""
    locale = user.locale or i18n.DEFAULT_LOCALE
    with use_locale(locale):
        when = local_time(proposal.closes_at, clock.LOCAL_ZONE, _babel(locale))
        subject = _("Vote closing soon: {title}", title=proposal.title)
        body = _(
            "Voting on “{title}” closes at {when}, and you have not voted yet.",
            title=proposal.title,
            when=when,
        )
    return _addressed(user, contact, subject, body, f"{notifier.base_url}/proposals/{proposal.id}/vote")


async def _deliver(notifier: Notifier, note: Notification, user: User, proposal: Proposal) -> None:
    contact = await Contact.get_or_none(user_id=user.id)
    await _send(notifier, note, _message(notifier, user, contact, proposal))


async def _send(
    notifier: Notifier, note: Notification, message: Message, channels: list[Channel] | None = None
) -> None:
    for channel in notifier.channels if channels is None else channels:
        if not channel.reaches(message):
            continue
        try:
            detail, ok = await channel.send(message), True
        except DeliveryFailed as error:
            detail, ok = str(error), False
            log.warning("notification %s over %s failed: %s", note.id, channel.name, error)
        await Delivery.create(
            notification=note, channel=channel.name, ok=ok, detail=detail[:255], at=clock.now()
        )


# --- the member's side ---------------------------------------------------------------------------


async def inbox(user: User) -> tuple[list[dict[str, Any]], int]:
    """The member's notifications, newest first, each still visible to them; and how many are unread.

    A reminder for a vote that has closed, or that they have voted in since, is no longer "needed"."""
    notes = await Notification.filter(user_id=user.id).order_by("-id").limit(INBOX_LIMIT)
    proposals = {
        p.id: p for p in await Proposal.filter(id__in=[n.proposal_id for n in notes if n.proposal_id])
    }
    halls = {h.id: h for h in await Hall.filter(id__in=[n.hall_id for n in notes if n.hall_id])}
    items: list[dict[str, Any]] = []
    now = clock.now()
    for note in notes:
        proposal = proposals.get(note.proposal_id or 0)
        hall = halls.get(note.hall_id or 0)
        if proposal is None or hall is None:
            continue
        try:
            access = await access_to(user, hall)
        except NotFound:
            continue
        if note.kind == "reply":  # a reply needs the member until they have seen it
            comment = int(note.key.split(":", 1)[1])
            items.append(
                {"note": note, "proposal": proposal, "needed": note.read_at is None, "comment": comment}
            )
            continue
        if note.kind in notices.KINDS:  # the residents' committee told of a notice or result, until read
            outcome = await final_outcome(proposal.id) if note.kind == notices.RESULT_KIND else None
            items.append(
                {
                    "note": note,
                    "proposal": proposal,
                    "needed": note.read_at is None,
                    "comment": None,
                    "outcome": outcome,
                    "verdict": verdict_label(outcome),
                }
            )
            continue
        open_now = proposal.state == "voting" and proposal.closes_at is not None and proposal.closes_at > now
        needed = open_now and await my_part(proposal, access, user) == "to_vote"
        items.append({"note": note, "proposal": proposal, "needed": needed, "comment": None})
    unread = sum(1 for item in items if item["note"].read_at is None)
    return items, unread


async def mark_read(user: User) -> None:
    await Notification.filter(user_id=user.id, read_at=None).update(read_at=clock.now())


async def contact_of(user: User) -> dict[str, str | None]:
    contact = await Contact.get_or_none(user_id=user.id)
    return {"email": contact.email if contact else None, "phone": contact.phone if contact else None}


async def set_contact(user: User, email: str, phone: str) -> dict[str, str | None]:
    """The member's own addresses for reminders (empty: none); checked, then kept."""
    checked_email, checked_phone = rules.check_email(email), rules.check_phone(phone)
    fields: dict[str, str] = {}
    if checked_email is None:
        fields["email"] = "invalid"
    if checked_phone is None:
        fields["phone"] = "invalid"
    if fields:
        raise Invalid(_("Please check the e-mail address and the phone number."), fields=fields)
    values = {"email": checked_email or None, "phone": checked_phone or None, "updated_at": clock.now()}
    await Contact.update_or_create(defaults=values, user_id=user.id)
    await record(
        "notify.contact_set",
        actor=user,
        object_type="user",
        object_id=user.id,
        email=bool(checked_email),
        phone=bool(checked_phone),
    )
    return await contact_of(user)


def notification_json(item: dict[str, Any]) -> dict[str, Any]:
    note: Notification = item["note"]
    proposal: Proposal = item["proposal"]
    return {
        "id": note.id,
        "kind": note.kind,
        "proposal": proposal.id,
        "title": proposal.title,
        "closes_at": proposal.closes_at.isoformat() if proposal.closes_at else None,
        "needed": bool(item["needed"]),
        "comment": item["comment"],
        "outcome": item.get("outcome"),  # a final result told to the residents' committee
        "created_at": note.created_at.isoformat(),
        "read": note.read_at is not None,
    }

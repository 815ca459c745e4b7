"""Moderation in the open: reports, hiding with a public reason, restoring, and the public log.

A hidden comment stays in place and tells everyone who hid it and why ("hidden by the moderator:
reason"); only its text is withheld. Every action is a line of the hall's public moderation log,
an audit entry and a live event.
"""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.live.events import atomic
from agora.proposals import permissions
from agora.proposals.discussion import emit_comment
from agora.proposals.models import Comment, CommentReport, ModerationEntry
from agora.rooms.access import HallAccess

MAX_REASON = 500


def check_reason(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(_("Please give a reason."), fields={"reason": "required"})
    if len(raw.strip()) > MAX_REASON:
        raise Invalid(
            _("The reason has at most {n} characters.", n=MAX_REASON), fields={"reason": "too_long"}
        )
    return raw.strip()


async def hide(access: HallAccess, comment: Comment, actor: User, reason: Any) -> Comment:
    permissions.check_may_moderate(access)
    text = check_reason(reason)
    async with atomic():
        fresh = await Comment.get(id=comment.id).select_related("author")
        if fresh.hidden_at is not None:
            raise Conflict(_("This comment is already hidden."), code="already_hidden")
        if fresh.deleted_at is not None:
            raise Conflict(_("This comment was deleted by its author."), code="deleted")
        now = clock.now()
        fresh.hidden_at, fresh.hidden_reason, fresh.hidden_by_id = now, text, actor.id
        await fresh.save(update_fields=["hidden_at", "hidden_reason", "hidden_by_id"])
        await CommentReport.filter(comment_id=fresh.id, resolved_at=None).update(resolved_at=now)
        await _log(fresh, "hide", actor, text)
        await emit_comment(fresh.hall_id, "comment.hidden", fresh)
    return fresh


async def restore(access: HallAccess, comment: Comment, actor: User, reason: Any = "") -> Comment:
    permissions.check_may_moderate(access)
    text = reason.strip()[:MAX_REASON] if isinstance(reason, str) else ""
    async with atomic():
        fresh = await Comment.get(id=comment.id).select_related("author")
        if fresh.hidden_at is None:
            raise Conflict(_("This comment is not hidden."), code="not_hidden")
        fresh.hidden_at, fresh.hidden_reason, fresh.hidden_by_id = None, "", None
        await fresh.save(update_fields=["hidden_at", "hidden_reason", "hidden_by_id"])
        await _log(fresh, "restore", actor, text)
        await emit_comment(fresh.hall_id, "comment.restored", fresh)
    return fresh


async def _log(comment: Comment, action: str, actor: User, reason: str) -> None:
    await ModerationEntry.create(
        hall_id=comment.hall_id,
        action=action,
        actor=actor,
        proposal_id=comment.proposal_id,  # type: ignore[attr-defined]
        comment_id=comment.id,
        reason=reason,
        at=clock.now(),
    )
    await record(
        f"comment.{action}",
        actor=actor,
        object_type="comment",
        object_id=comment.id,
        hall_id=comment.hall_id,
        reason=reason,
    )


async def report(access: HallAccess, comment: Comment, reporter: User, reason: Any) -> CommentReport:
    """Any member may report a comment once; it goes to the moderators' queue."""
    permissions.check_may_report(access)
    text = check_reason(reason)
    async with atomic():
        if await CommentReport.filter(comment_id=comment.id, reporter_id=reporter.id).exists():
            raise Conflict(_("You have already reported this comment."), code="already_reported")
        try:
            row = await CommentReport.create(
                comment=comment,
                hall_id=comment.hall_id,
                reporter=reporter,
                reason=text,
                created_at=clock.now(),
            )
        except IntegrityError as exc:
            raise Conflict(_("You have already reported this comment."), code="already_reported") from exc
        await record(
            "comment.report",
            actor=reporter,
            object_type="comment",
            object_id=comment.id,
            hall_id=comment.hall_id,
        )
    return row


async def dismiss_reports(access: HallAccess, comment: Comment, actor: User) -> int:
    """The moderator looked and keeps the comment: its open reports leave the queue."""
    permissions.check_may_moderate(access)
    async with atomic():
        count = await CommentReport.filter(comment_id=comment.id, resolved_at=None).update(
            resolved_at=clock.now()
        )
        await record(
            "comment.reports_dismissed",
            actor=actor,
            object_type="comment",
            object_id=comment.id,
            hall_id=access.hall.id,
        )
    return count


async def queue(access: HallAccess) -> list[dict[str, Any]]:
    """Open reports of the hall, grouped by comment, oldest first (moderators only)."""
    permissions.check_may_moderate(access)
    reports = (
        await CommentReport.filter(hall_id=access.hall.id, resolved_at=None)
        .order_by("id")
        .select_related("comment", "comment__author", "reporter")
    )
    grouped: dict[int, dict[str, Any]] = {}
    for row in reports:
        entry = grouped.setdefault(
            row.comment.id, {"comment": row.comment, "reports": [], "proposal": row.comment.proposal_id}
        )
        entry["reports"].append(row)
    return list(grouped.values())


async def public_log(access: HallAccess, limit: int = 200) -> list[ModerationEntry]:
    """The hall's moderation log, newest first: open to every member."""
    return (
        await ModerationEntry.filter(hall_id=access.hall.id)
        .order_by("-id")
        .limit(limit)
        .select_related("actor")
    )


def log_json(entry: ModerationEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "action": entry.action,
        "by": entry.actor.display_name if entry.actor else None,
        "proposal": entry.proposal_id,
        "comment": entry.comment_id,
        "reason": entry.reason or None,
        "at": entry.at.isoformat(),
    }

"""The in-app inbox: replies to me, official answers and state changes in my halls.

Nothing is copied per recipient: the inbox is read from the comments and the timeline of the
halls the member can see (so it can never show what they may not see), and "unread" is whatever
is newer than the moment they last opened it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from agora import clock
from agora.accounts.models import User
from agora.proposals.models import Comment, InboxState, ProposalTransition
from agora.rooms.access import roles_by_hall

LIMIT = 50


async def _read_at(user: User) -> datetime:
    state = await InboxState.get_or_none(user_id=user.id)
    return state.read_at if state else user.created_at


def _queries(
    user: User, hall_ids: list[int]
) -> tuple[QuerySet[Comment], QuerySet[Comment], QuerySet[ProposalTransition]]:
    visible = {"deleted_at": None, "hidden_at": None, "hall_id__in": hall_ids}
    replies = Comment.filter(parent_author_id=user.id, **visible).exclude(author_id=user.id)
    # NULL-safe "not mine": a top-level comment has no parent author, an automatic step no actor.
    not_reply_to_me = Q(parent_author_id__isnull=True) | Q(parent_author_id__not=user.id)
    official = Comment.filter(not_reply_to_me, official=True, **visible).exclude(author_id=user.id)
    not_by_me = Q(by_id__isnull=True) | Q(by_id__not=user.id)
    states = ProposalTransition.filter(not_by_me, proposal__hall_id__in=hall_ids).exclude(to_state="draft")
    return replies, official, states


async def items(user: User) -> tuple[list[dict[str, Any]], datetime]:
    """The newest inbox items (each `{kind, at, proposal, comment, ...}`) and the last-read moment."""
    hall_ids = list(await roles_by_hall(user))
    read_at = await _read_at(user)
    if not hall_ids:
        return [], read_at
    replies, official, states = _queries(user, hall_ids)
    found: list[dict[str, Any]] = []
    for kind, query in (("reply", replies), ("official", official)):
        for c in await query.order_by("-id").limit(LIMIT).select_related("author", "proposal"):
            found.append(
                {
                    "kind": kind,
                    "at": c.created_at,
                    "proposal": c.proposal,
                    "comment": c.id,
                    "who": c.author.display_name,
                }
            )
    for t in await states.order_by("-id").limit(LIMIT).select_related("by", "proposal"):
        found.append(
            {
                "kind": "state",
                "at": t.at,
                "proposal": t.proposal,
                "comment": None,
                "who": t.by.display_name if t.by else None,
                "state": t.to_state,
            }
        )
    found.sort(key=lambda item: item["at"], reverse=True)
    for item in found:
        item["unread"] = item["at"] > read_at
    return found[:LIMIT], read_at


async def unread_count(user: User) -> int:
    hall_ids = list(await roles_by_hall(user))
    if not hall_ids:
        return 0
    read_at = await _read_at(user)
    replies, official, states = _queries(user, hall_ids)
    return (
        await replies.filter(created_at__gt=read_at).count()
        + await official.filter(created_at__gt=read_at).count()
        + await states.filter(at__gt=read_at).count()
    )


async def mark_read(user: User) -> None:
    now = clock.now()
    updated = await InboxState.filter(user_id=user.id).update(read_at=now)
    if not updated:
        try:
            await InboxState.create(user=user, read_at=now)
        except IntegrityError:  # a concurrent request (another tab) created it first: just update it
            await InboxState.filter(user_id=user.id).update(read_at=now)

"""The threaded discussion: post, reply, edit (history kept), delete (tombstone), read a page of threads.

Top-level comments are paged by keyset (`after` an id, oldest or newest first) and each page's
replies come in one query by their thread's root, so a discussion with thousands of comments
costs two indexed queries per page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, Invalid, NotFound, Throttled
from agora.i18n import _
from agora.live.events import atomic, emit
from agora.proposals import markdown, permissions, queries
from agora.proposals.models import Comment, CommentRevision, ModerationEntry, Proposal
from agora.proposals.serialize import comment_json, comment_row_json
from agora.proposals.threads import MAX_DEPTH, STANCES, attach_point, build_tree
from agora.proposals.timeline import access_proposal
from agora.rooms.access import HallAccess
from agora.web.http import MAX_ID, parse_id

MAX_COMMENT = 5000
RATE_LIMIT = 10  # comments per member …
RATE_WINDOW = timedelta(minutes=1)  # … per minute
PAGE_SIZE = 50
PAGE_DEPTH = 4  # the levels a proposal page nests (templates: max_depth); deeper: "continue this thread"


async def access_comment(user: User | None, comment_id: int) -> tuple[Comment, Proposal, HallAccess]:
    """The comment, its proposal and the caller's access; NotFound if absent or in a hall not theirs."""
    comment = await Comment.get_or_none(id=comment_id).select_related("author")
    if comment is None:
        raise NotFound(_("This comment does not exist or you cannot see it."))
    try:
        proposal, access = await access_proposal(user, comment.proposal_id)  # type: ignore[attr-defined]
    except NotFound:
        raise NotFound(_("This comment does not exist or you cannot see it.")) from None
    return comment, proposal, access


def check_body(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(_("Please write something."), fields={"body": "required"})
    if len(raw) > MAX_COMMENT:
        raise Invalid(_("A comment has at most {n} characters.", n=MAX_COMMENT), fields={"body": "too_long"})
    return raw.strip()


async def _check_rate(user: User) -> None:
    since = clock.now() - RATE_WINDOW
    recent = (
        await Comment.filter(author_id=user.id, created_at__gt=since).order_by("created_at").limit(RATE_LIMIT)
    )
    if len(recent) >= RATE_LIMIT:
        wait = (recent[0].created_at + RATE_WINDOW - clock.now()).total_seconds()
        raise Throttled(
            _("You are commenting too fast. Please wait {seconds} seconds.", seconds=int(wait) + 1),
            retry_after=int(wait) + 1,
        )


async def post_comment(
    access: HallAccess,
    proposal: Proposal,
    author: User,
    body: Any,
    *,
    parent: Any = None,
    stance: Any = None,
    official: Any = False,
) -> Comment:
    permissions.check_may_comment(access)
    text = check_body(body)
    stance = stance or "neutral"
    if stance not in STANCES:
        raise Invalid(_("Unknown stance."), fields={"stance": "invalid"})
    official = official in (True, "true", "1", "on")
    official_as = permissions.check_official_role(access) if official else None
    parent_row = None
    if parent not in (None, ""):
        parent_id = parse_id(parent)
        if parent_id is None:
            raise Invalid(_("The comment replied to is not valid."), fields={"parent": "invalid"})
        parent_row = await Comment.get_or_none(id=parent_id)
        if parent_row is None or parent_row.proposal_id != proposal.id:  # type: ignore[attr-defined]
            raise Invalid(
                _("The comment replied to is not in this discussion."), fields={"parent": "invalid"}
            )
    await _check_rate(author)
    replied_author = parent_row.author_id if parent_row else None  # type: ignore[attr-defined]
    if parent_row is not None and parent_row.depth >= MAX_DEPTH:
        parent_row = await _attach_point(parent_row)
    async with atomic():
        if (await Proposal.get(id=proposal.id)).locked:
            raise Conflict(_("The moderators have locked this discussion."), code="thread_locked")
        comment = await Comment.create(
            proposal=proposal,
            hall_id=access.hall.id,
            author=author,
            parent_id=parent_row.id if parent_row else None,
            root_id=(parent_row.root_id or parent_row.id) if parent_row else None,
            depth=parent_row.depth + 1 if parent_row else 0,
            parent_author_id=replied_author,
            body=text,
            body_html=str(markdown.render(text)),
            stance=stance,
            official=official,
            official_as=official_as or "",
            created_at=clock.now(),
        )
        comment.author = author
        await record(
            "comment.create",
            actor=author,
            object_type="comment",
            object_id=comment.id,
            hall_id=access.hall.id,
        )
        if official:
            await ModerationEntry.create(
                hall_id=access.hall.id,
                action="official",
                actor=author,
                proposal_id=proposal.id,
                comment_id=comment.id,
                at=comment.created_at,
            )
        await emit_comment(access.hall.id, "comment.created", comment)
    return comment


async def _attach_point(replied: Comment) -> Comment:
    """The comment a reply to `replied` (at the deepest level) hangs under: see `threads.MAX_DEPTH`.
    One query for the thread's (id, parent, depth), then a walk up in memory."""
    root = replied.root_id or replied.id
    rows = await Comment.filter(root_id=root).values_list("id", "parent_id", "depth")
    up = {row[0]: (row[1], row[2]) for row in rows}
    chain: list[tuple[int, int]] = []
    current: int | None = replied.id
    while current is not None and current in up and len(chain) <= len(up):
        chain.append((current, up[current][1]))
        current = up[current][0]
    chain.append((root, 0))
    return await Comment.get(id=attach_point(chain))


async def edit_comment(access: HallAccess, comment: Comment, actor: User, body: Any) -> Comment:
    """Only the author edits (a moderator cannot change a resident's words); the old text is kept."""
    permissions.check_may_edit_comment(comment.author_id, actor.id)  # type: ignore[attr-defined]
    text = check_body(body)
    async with atomic():
        fresh = await Comment.get(id=comment.id).select_related("author")
        if fresh.deleted_at is not None or fresh.hidden_at is not None:
            raise Conflict(_("A deleted or hidden comment cannot be edited."), code="not_editable")
        if fresh.body == text:
            return fresh
        now = clock.now()
        await CommentRevision.create(
            comment=fresh, body=fresh.body, body_html=fresh.body_html, replaced_at=now
        )
        fresh.body, fresh.body_html, fresh.edited_at = text, str(markdown.render(text)), now
        await fresh.save(update_fields=["body", "body_html", "edited_at"])
        await record(
            "comment.edit", actor=actor, object_type="comment", object_id=fresh.id, hall_id=fresh.hall_id
        )
        await emit_comment(fresh.hall_id, "comment.edited", fresh)
    return fresh


async def delete_comment(access: HallAccess, comment: Comment, actor: User) -> Comment:
    """The author withdraws their words: a tombstone keeps the thread's shape, the text is gone."""
    permissions.check_may_delete_comment(comment.author_id, actor.id)  # type: ignore[attr-defined]
    async with atomic():
        fresh = await Comment.get(id=comment.id).select_related("author")
        if fresh.deleted_at is not None:
            raise Conflict(_("This comment is already deleted."), code="already_deleted")
        fresh.deleted_at, fresh.body, fresh.body_html = clock.now(), "", ""
        await fresh.save(update_fields=["deleted_at", "body", "body_html"])
        await CommentRevision.filter(comment_id=fresh.id).delete()
        await record(
            "comment.delete", actor=actor, object_type="comment", object_id=fresh.id, hall_id=fresh.hall_id
        )
        await emit_comment(fresh.hall_id, "comment.deleted", fresh)
    return fresh


async def pin_official(access: HallAccess, comment: Comment, actor: User) -> Comment:
    """A moderator or committee member marks their own earlier comment as the official answer."""
    permissions.check_may_pin_official(access, comment.author_id, actor.id)  # type: ignore[attr-defined]
    role = permissions.check_official_role(access)
    async with atomic():
        fresh = await Comment.get(id=comment.id).select_related("author")
        if fresh.official or fresh.deleted_at is not None or fresh.hidden_at is not None:
            raise Conflict(_("This comment cannot be made an official answer."), code="no_change")
        fresh.official, fresh.official_as = True, role
        await fresh.save(update_fields=["official", "official_as"])
        await ModerationEntry.create(
            hall_id=fresh.hall_id,
            action="official",
            actor=actor,
            proposal_id=fresh.proposal_id,  # type: ignore[attr-defined]
            comment_id=fresh.id,
            at=clock.now(),
        )
        await record(
            "comment.official", actor=actor, object_type="comment", object_id=fresh.id, hall_id=fresh.hall_id
        )
        await emit_comment(fresh.hall_id, "comment.edited", fresh)
    return fresh


async def comment_page(
    proposal: Proposal,
    *,
    sort: str = "oldest",
    after: Any = None,
    limit: int = PAGE_SIZE,
    shown_depth: int | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of top-level comments with all their replies, as a tree, and the next cursor.

    A page that shows `shown_depth` levels reads replies one level deeper only (enough to offer
    "continue this thread"), so a thread of thousands of replies costs a page what it shows."""
    if sort not in ("oldest", "newest"):
        raise Invalid(_("sort is oldest or newest."), fields={"sort": "invalid"})
    cursor = None
    if after not in (None, ""):
        if not str(after).isascii() or not str(after).isdigit():
            raise Invalid(_("The page cursor is not valid."), fields={"after": "invalid"})
        cursor = min(int(after), MAX_ID)  # past every id, still within the column's type
    limit = max(1, min(int(limit), 200))
    newest_first = sort == "newest"
    tops = await queries.top_comments(proposal.id, newest_first=newest_first, after=cursor, limit=limit + 1)
    more = len(tops) > limit
    tops = tops[:limit]
    ids = [c.id for c in tops]
    depth = None if shown_depth is None else int(shown_depth) + 1
    replies = await queries.replies_in_threads(ids, depth) if ids else []
    rows = [comment_row_json(c) for c in [*tops, *replies]]
    tree = build_tree(rows, roots=ids, max_depth=MAX_DEPTH)
    return tree, (ids[-1] if more and ids else None)


THREAD_PAGE = 100  # replies directly under the comment per "continue this thread" page
THREAD_LEVEL_ROWS = 500  # at most this many replies read per deeper level of that page


async def thread_of(comment: Comment, *, after: Any = None) -> tuple[dict[str, Any], int | None]:
    """A comment with a page of its replies (the "continue this thread" page), and the next cursor.

    Replies to a comment at the deepest level join it, so one comment can gather thousands of direct
    replies: they come THREAD_PAGE at a time (oldest first, `after` the last id shown), each with the
    levels the page nests below it (PAGE_DEPTH, and one more to offer "continue this thread"), read
    level by level and bounded, so the page costs what it shows however big the subtree."""
    if after not in (None, ""):
        if not str(after).isascii() or not str(after).isdigit():
            raise Invalid(_("The page cursor is not valid."), fields={"after": "invalid"})
    start = min(int(after or 0), MAX_ID)
    top = await queries.comment_row(comment.id)
    children = await queries.replies_to(comment.id, after=start, limit=THREAD_PAGE + 1)
    more = len(children) > THREAD_PAGE
    children = children[:THREAD_PAGE]
    rows, level = [*top, *children], [c.id for c in children]
    for _level in range(PAGE_DEPTH):
        if not level:
            break
        below = await queries.replies_to_any(level, THREAD_LEVEL_ROWS)
        rows += below
        level = [c.id for c in below]
    nodes = [comment_row_json(c) for c in rows]
    tree = build_tree(nodes, roots=[comment.id], max_depth=max(1, MAX_DEPTH - (comment.depth or 0)))
    node = next(node for node in tree if node["id"] == comment.id)
    return node, (children[-1].id if more else None)


_STATED = tuple(s for s in STANCES if s != "neutral")
async def summary(proposal: Proposal) -> tuple[dict[str, int], int]:
    """The stance summary and the number of comments, in one query however long the discussion."""
    counts = dict.fromkeys(_STATED, 0)
    total = 0
    for row in await queries.stance_counts(proposal.id, _STATED):
        if row.stance == "":
            total = int(row.n)
        elif row.stance in counts:
            counts[row.stance] = int(row.n)
    return counts, total


async def emit_comment(hall_id: int, event_type: str, comment: Comment) -> None:
    """A comment event for the hall (inside the change's transaction), carrying the discussion's count
    and stances after the change (`discussion`, as the page shows them): one message a change to every
    phone in the hall, and a client that catches up with `since=` gets the figures with the comments."""
    stances, total = await summary(Proposal(id=comment.proposal_id))  # type: ignore[attr-defined]
    figures = {"comments": total, "stances": stances}
    await emit(hall_id, event_type, {**comment_json(comment), "discussion": figures})


async def stances(proposal: Proposal) -> dict[str, int]:
    return (await summary(proposal))[0]


async def revisions(comment: Comment) -> list[CommentRevision]:
    return await CommentRevision.filter(comment_id=comment.id).order_by("id")


async def comment_count(proposal: Proposal) -> int:
    return await Comment.filter(proposal_id=proposal.id).count()

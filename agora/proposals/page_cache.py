"""What a proposal page shows below the proposal — the discussion's page, its stance summary and size,
the timeline, the photos — cached per process, keyed by the discussion's version.

A 100-comment page reads five queries and cleans and shapes every comment before the template sees
it: most of a page's own work, and the same for every phone that opens it until someone writes.
Database triggers (migration 0012) give the proposal a new random version inside every transaction
that changes any of it (a comment posted, edited, deleted, hidden or made official; a step of the
timeline; a photo; anyone's display name), whichever process wrote, so a view is served from here
only while a fresh read would give the same one: every request reads the version first.

Nothing that depends on the reader is here (their roles, their seconding, the forms): the page
adds that per request. The cached views are shared between requests and never modified.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from agora.proposals import discussion, photos, queries, timeline
from agora.proposals.models import Proposal
from agora.proposals.serialize import comment_view
from agora.storage.memo import OnceCache

_SIZE = 128  # views kept; one is a page of comments (about a hundred kilobytes for 100 comments)


class DiscussionView(NamedTuple):
    tree: list[dict[str, Any]]  # template data (`serialize.comment_view`) of the page's threads
    next_cursor: int | None
    stances: dict[str, int]
    comment_count: int
    timeline: list[dict[str, Any]]
    photos: list[queries.PhotoRow]


_views: OnceCache[tuple[int, int, int, str, str], DiscussionView] = OnceCache(_SIZE)


async def discussion_view(proposal: Proposal, *, sort: str, after: Any) -> DiscussionView:
    """The page's discussion, from the cache while the discussion's version is unchanged."""
    version = await queries.discussion_version(proposal.id)

    async def load() -> DiscussionView:
        return await _load(proposal, sort, after)

    if version is None:
        return await load()
    key = (proposal.id, *version, sort, "" if after is None else str(after))
    return await _views.get(key, load)


async def _load(proposal: Proposal, sort: str, after: Any) -> DiscussionView:
    tree, cursor = await discussion.comment_page(
        proposal, sort=sort, after=after, shown_depth=discussion.PAGE_DEPTH
    )
    stances, count = await discussion.summary(proposal)
    return DiscussionView(
        tree=[comment_view(node) for node in tree],
        next_cursor=cursor,
        stances=stances,
        comment_count=count,
        timeline=await timeline.timeline_view(proposal),
        photos=await photos.photo_rows(proposal),
    )

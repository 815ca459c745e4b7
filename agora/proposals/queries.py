"""The proposals feature's plain SQL (through `agora.storage.sql`): the reads every proposal page makes
(the proposal with its hall, the timeline, the photos, the discussion and its stance summary), written
once as fixed queries and returned as named rows."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from agora.storage.sql import aliased, by_alias, fetch, fetch_named, fetch_rows, hydrate, in_list, to_datetime

# --- the proposal and its hall ------------------------------------------------------------------


class ProposalAndHall(NamedTuple):
    proposal: Proposal
    hall: Hall


@cache
def _proposal_and_hall_sql() -> str:
    """Built on first use: a model's foreign key columns are known only once Tortoise is set up."""
    return (
        f"SELECT {aliased(Proposal, 'p')}, {aliased(Hall, 'h')}"  # noqa: S608 — the models' columns
        " FROM proposals p JOIN halls h ON h.id = p.hall_id WHERE p.id = ?"
    )


async def proposal_and_hall(proposal_id: int) -> ProposalAndHall | None:
    """The proposal and its hall as models, from one plain query (every page of a proposal does this)."""
    rows = await fetch(_proposal_and_hall_sql(), proposal_id)
    if not rows:
        return None
    columns = by_alias(rows[0])
    return ProposalAndHall(hydrate(Proposal, columns["p"]), hydrate(Hall, columns["h"]))


# --- the timeline and the photos ----------------------------------------------------------------


class TimelineRow(NamedTuple):
    to_state: str
    at: datetime
    reason: str
    display_name: str | None  # who moved it; None for an automatic step


_TIMELINE = (
    "SELECT t.to_state, t.at, t.reason, u.display_name FROM proposal_transitions t"
    " LEFT JOIN users u ON u.id = t.by_id WHERE t.proposal_id = ? ORDER BY t.id"
)


async def timeline_rows(proposal_id: int) -> list[TimelineRow]:
    return [
        TimelineRow(to_state, to_datetime(at), reason, name)
        for to_state, at, reason, name in await fetch_rows(_TIMELINE, proposal_id)
    ]


class PhotoRow(NamedTuple):
    """A proposal photo without its bytes (what the page and `photos.photo_url` read)."""

    id: int
    proposal_id: int
    width: int
    height: int
    thumb_width: int
    thumb_height: int


_PHOTOS = (
    "SELECT id, proposal_id, width, height, thumb_width, thumb_height FROM proposal_photos"
    " WHERE proposal_id = ? ORDER BY id"
)


async def photo_rows(proposal_id: int) -> list[PhotoRow]:
    return await fetch_named(PhotoRow, _PHOTOS, proposal_id)


# --- the discussion -----------------------------------------------------------------------------


class CommentRow(NamedTuple):
    """The columns a comment's JSON shape needs (`serialize.comment_row_json`), with the author's
    name joined in, converted as Tortoise converts them."""

    id: int
    proposal_id: int
    parent_id: int | None
    author: str  # the author's display name
    body_html: str
    stance: str
    official: bool
    official_as: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_reason: str | None


_COMMENTS = (
    "SELECT c.id, c.proposal_id, c.parent_id, u.display_name, c.body_html,"
    " c.stance, c.official, c.official_as, c.created_at, c.edited_at, c.deleted_at, c.hidden_at,"
    " c.hidden_reason FROM comments c JOIN users u ON u.id = c.author_id"
)


def _moment(value: Any) -> datetime | None:
    return None if value is None else to_datetime(value)


async def _comments(where: str, *params: Any) -> list[CommentRow]:
    rows = await fetch_rows(f"{_COMMENTS} {where}", *params)  # noqa: S608 — fixed text, placeholders only
    return [
        CommentRow(
            id_, proposal_id, parent_id, author, body_html, stance, bool(official), official_as,
            to_datetime(created_at), _moment(edited_at), _moment(deleted_at), _moment(hidden_at),
            hidden_reason,
        )
        for (
            id_, proposal_id, parent_id, author, body_html, stance, official, official_as,
            created_at, edited_at, deleted_at, hidden_at, hidden_reason,
        ) in rows
    ]


async def top_comments(
    proposal_id: int, *, newest_first: bool, after: int | None, limit: int
) -> list[CommentRow]:
    """Up to `limit` top-level comments of the proposal, by id (keyset: those past `after`)."""
    where, params = "c.proposal_id = ? AND c.parent_id IS NULL", [proposal_id]
    if after is not None:
        where += " AND c.id < ?" if newest_first else " AND c.id > ?"
        params.append(after)
    order = "DESC" if newest_first else "ASC"
    return await _comments(f"WHERE {where} ORDER BY c.id {order} LIMIT ?", *params, limit)


async def replies_in_threads(root_ids: list[int], max_depth: int | None) -> list[CommentRow]:
    """Every reply in the threads of these top-level comments (at least one), down to `max_depth`."""
    deep = "" if max_depth is None else f" AND c.depth <= {int(max_depth)}"
    return await _comments(f"WHERE c.root_id IN {in_list(root_ids)}{deep}", *root_ids)


async def comment_row(comment_id: int) -> list[CommentRow]:
    """The comment (a list of one, or none)."""
    return await _comments("WHERE c.id = ?", comment_id)


async def replies_to(parent_id: int, *, after: int, limit: int) -> list[CommentRow]:
    """Up to `limit` direct replies to the comment, oldest first, past id `after` (never the comment
    itself)."""
    where = "WHERE c.parent_id = ? AND c.id > ? AND c.id <> ? ORDER BY c.id LIMIT ?"
    return await _comments(where, parent_id, after, parent_id, limit)


async def replies_to_any(parent_ids: list[int], limit: int) -> list[CommentRow]:
    """Up to `limit` direct replies to any of these comments (at least one), oldest first."""
    where = f"WHERE c.parent_id IN {in_list(parent_ids)} ORDER BY c.id LIMIT ?"
    return await _comments(where, *parent_ids, limit)


class StanceCount(NamedTuple):
    stance: str  # "" on the row counting every comment
    n: int


# `threads.stance_summary` in SQL: each author's latest visible comment that states a stance,
# counted by stance; then every comment of the proposal (the discussion's size, tombstones included).
_SUMMARY = (
    "SELECT c.stance AS stance, COUNT(*) AS n FROM comments c JOIN ("
    " SELECT author_id, MAX(id) AS latest FROM comments WHERE proposal_id = ?"
    " AND deleted_at IS NULL AND hidden_at IS NULL AND stance IN {stances} GROUP BY author_id"
    ") l ON c.id = l.latest GROUP BY c.stance"
    " UNION ALL SELECT '' AS stance, COUNT(*) AS n FROM comments WHERE proposal_id = ?"
)


async def stance_counts(proposal_id: int, stances: tuple[str, ...]) -> list[StanceCount]:
    """How many authors hold each of these stances (by their latest visible comment stating one), and
    a row with stance "" counting every comment of the proposal."""
    sql = _SUMMARY.format(stances=in_list(stances))
    return await fetch_named(StanceCount, sql, proposal_id, *stances, proposal_id)


# --- the discussion's version (migration 0012) ---------------------------------------------------

# The proposal's row, and row 0 (everyone's display names): database triggers give each a new random
# version on every write a proposal page shows, so (proposal, both versions) names one state of it.
_VERSIONS = (
    "SELECT (SELECT version FROM discussion_versions WHERE proposal_id = ?),"
    " (SELECT version FROM discussion_versions WHERE proposal_id = 0)"
)


async def discussion_version(proposal_id: int) -> tuple[int, int] | None:
    """The version of what the proposal's page shows below the proposal, or None if it has none yet
    (then nothing may be cached for it)."""
    rows = await fetch_rows(_VERSIONS, proposal_id)
    if not rows or rows[0][0] is None:
        return None
    version, names = rows[0]
    return int(version), int(names or 0)

"""The concerns feature's plain SQL (through `agora.storage.sql`): the ranked word search and the reads
that join several tables, as named rows. Everything else goes through the ORM."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from agora.storage.sql import fetch_named, fetch_rows, in_list, to_datetime


class Scored(NamedTuple):
    id: int
    score: int  # the summed weights of the words the document holds


class ProposalText(NamedTuple):
    id: int
    title: str
    body: str
    state: str


class ProposalRef(NamedTuple):
    id: int
    title: str
    state: str


class EventRow(NamedTuple):
    """A line of a concern's history, with the name of who acted (None: nobody, or an automatic step)."""

    action: str
    status: str
    at: datetime
    note: str
    display_name: str | None


class ReplyRow(NamedTuple):
    id: int
    official_as: str
    body_html: str
    created_at: datetime
    display_name: str


def _visible(alias: str, viewer: Any) -> tuple[str, list[Any]]:
    """A WHERE fragment keeping the concerns `viewer` (a services.Viewer) may see, and its parameters."""
    sql = f"({alias}.visibility = ? OR {alias}.submitter_id = ? OR {alias}.entered_by_id = ? OR ?"
    params: list[Any] = ["public", viewer.user_id, viewer.user_id, viewer.moderates_compound]
    if viewer.moderated_buildings:
        sql += f" OR {alias}.building_id IN {in_list(viewer.moderated_buildings)}"
        params.extend(viewer.moderated_buildings)
    return sql + ")", params


async def ranked_concerns(
    compound_id: int, words: list[str], viewer: Any, limit: int, exclude: int | None = None
) -> list[Scored]:
    """Concern ids with their score (the summed weights of the words they hold), best first."""
    visible, params = _visible("c", viewer)
    sql = (
        "SELECT t.doc_id AS id, SUM(t.weight) AS score FROM search_terms t"  # noqa: S608 — placeholders only
        " JOIN concerns c ON c.id = t.doc_id"
        f" WHERE t.compound_id = ? AND t.doc_kind = ? AND t.term IN {in_list(words)} AND {visible}"
        " AND c.id <> ? GROUP BY t.doc_id ORDER BY score DESC, t.doc_id DESC LIMIT ?"
    )
    rows = await fetch_rows(sql, compound_id, "concern", *words, *params, exclude or 0, limit)
    return [Scored(doc_id, int(score)) for doc_id, score in rows]


async def ranked_proposals(compound_id: int, words: list[str], limit: int) -> list[Scored]:
    sql = (
        "SELECT doc_id AS id, SUM(weight) AS score FROM search_terms"  # noqa: S608 — placeholders only
        f" WHERE compound_id = ? AND doc_kind = ? AND term IN {in_list(words)}"
        " GROUP BY doc_id ORDER BY score DESC, doc_id DESC LIMIT ?"
    )
    rows = await fetch_rows(sql, compound_id, "proposal", *words, limit)
    return [Scored(doc_id, int(score)) for doc_id, score in rows]


_COMPOUND_PROPOSALS = (
    "SELECT p.id, p.title, p.body, p.state FROM proposals p JOIN halls h ON h.id = p.hall_id"
    " WHERE h.compound_id = ?"
)


async def compound_proposals(compound_id: int) -> list[ProposalText]:
    """Every proposal of the compound's hall and of its buildings' halls."""
    return await fetch_named(ProposalText, _COMPOUND_PROPOSALS, compound_id)


async def proposals_by_id(ids: list[int]) -> list[ProposalText]:
    if not ids:
        return []
    sql = f"SELECT id, title, body, state FROM proposals WHERE id IN {in_list(ids)}"  # noqa: S608
    return await fetch_named(ProposalText, sql, *ids)


async def indexed_digests(compound_id: int, doc_kind: str) -> dict[int, str]:
    rows = await fetch_rows(
        "SELECT doc_id, digest FROM search_docs WHERE compound_id = ? AND doc_kind = ?", compound_id, doc_kind
    )
    return {doc_id: digest for doc_id, digest in rows}


_HISTORY = (
    "SELECT e.action, e.status, e.at, e.note, u.display_name FROM concern_events e"
    " LEFT JOIN users u ON u.id = e.by_id WHERE e.concern_id = ? ORDER BY e.id"
)


async def history(concern_id: int) -> list[EventRow]:
    return [
        EventRow(action, status, to_datetime(at), note, name)
        for action, status, at, note, name in await fetch_rows(_HISTORY, concern_id)
    ]


_REPLIES = (
    "SELECT r.id, r.official_as, r.body_html, r.created_at, u.display_name FROM concern_replies r"
    " JOIN users u ON u.id = r.author_id WHERE r.concern_id = ? ORDER BY r.id"
)


async def replies(concern_id: int) -> list[ReplyRow]:
    return [
        ReplyRow(reply_id, official_as, body_html, to_datetime(created_at), name)
        for reply_id, official_as, body_html, created_at, name in await fetch_rows(_REPLIES, concern_id)
    ]


async def proposals_answering(concern_id: int) -> list[ProposalRef]:
    sql = "SELECT id, title, state FROM proposals WHERE concern_id = ? ORDER BY id"
    return await fetch_named(ProposalRef, sql, concern_id)


async def histories(concern_ids: list[int]) -> dict[int, list[EventRow]]:
    """The history of each concern (the list API shows it), in one query."""
    out: dict[int, list[EventRow]] = {cid: [] for cid in concern_ids}
    if not concern_ids:
        return out
    sql = (
        "SELECT e.concern_id, e.action, e.status, e.at, e.note, u.display_name FROM concern_events e"  # noqa: S608
        f" LEFT JOIN users u ON u.id = e.by_id WHERE e.concern_id IN {in_list(concern_ids)} ORDER BY e.id"
    )
    for concern_id, action, status, at, note, name in await fetch_rows(sql, *concern_ids):
        out[concern_id].append(EventRow(action, status, to_datetime(at), note, name))
    return out


async def display_names(user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    sql = f"SELECT id, display_name FROM users WHERE id IN {in_list(user_ids)}"  # noqa: S608
    return {user_id: name for user_id, name in await fetch_rows(sql, *user_ids)}


class PhotoRow(NamedTuple):
    """A concern photo without its bytes (what the page and `photos.photo_url` read)."""

    id: int
    concern_id: int
    width: int
    height: int
    thumb_width: int
    thumb_height: int


_PHOTOS = (
    "SELECT id, concern_id, width, height, thumb_width, thumb_height FROM concern_photos"
    " WHERE concern_id = ? ORDER BY id"
)


async def photo_rows(concern_id: int) -> list[PhotoRow]:
    return await fetch_named(PhotoRow, _PHOTOS, concern_id)

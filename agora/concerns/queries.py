"""The concerns feature's plain SQL (through `agora.storage.sql`): the ranked word search and the reads
that join several tables. Everything else goes through the ORM."""

from __future__ import annotations

from typing import Any, NamedTuple

from agora.storage.sql import fetch, fetch_named, in_list


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
) -> list[dict[str, Any]]:
    """Concern ids with their score (the summed weights of the words they hold), best first."""
    visible, params = _visible("c", viewer)
    sql = (
        "SELECT t.doc_id AS id, SUM(t.weight) AS score FROM search_terms t"  # noqa: S608 — placeholders only
        " JOIN concerns c ON c.id = t.doc_id"
        f" WHERE t.compound_id = ? AND t.doc_kind = ? AND t.term IN {in_list(words)} AND {visible}"
        " AND c.id <> ? GROUP BY t.doc_id ORDER BY score DESC, t.doc_id DESC LIMIT ?"
    )
    return await fetch(sql, compound_id, "concern", *words, *params, exclude or 0, limit)


async def ranked_proposals(compound_id: int, words: list[str], limit: int) -> list[dict[str, Any]]:
    sql = (
        "SELECT doc_id AS id, SUM(weight) AS score FROM search_terms"  # noqa: S608 — placeholders only
        f" WHERE compound_id = ? AND doc_kind = ? AND term IN {in_list(words)}"
        " GROUP BY doc_id ORDER BY score DESC, doc_id DESC LIMIT ?"
    )
    return await fetch(sql, compound_id, "proposal", *words, limit)


_COMPOUND_PROPOSALS = (
    "SELECT p.id, p.title, p.body, p.state FROM proposals p JOIN halls h ON h.id = p.hall_id"
    " WHERE h.compound_id = ?"
)


async def compound_proposals(compound_id: int) -> list[dict[str, Any]]:
    """Every proposal of the compound's hall and of its buildings' halls (id, title, body, state)."""
    return await fetch(_COMPOUND_PROPOSALS, compound_id)


async def proposals_by_id(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    sql = f"SELECT id, title, body, state FROM proposals WHERE id IN {in_list(ids)}"  # noqa: S608
    return await fetch(sql, *ids)


async def indexed_digests(compound_id: int, doc_kind: str) -> dict[int, str]:
    rows = await fetch(
        "SELECT doc_id, digest FROM search_docs WHERE compound_id = ? AND doc_kind = ?", compound_id, doc_kind
    )
    return {row["doc_id"]: row["digest"] for row in rows}


_HISTORY = (
    "SELECT e.action, e.status, e.at, e.note, u.display_name FROM concern_events e"
    " LEFT JOIN users u ON u.id = e.by_id WHERE e.concern_id = ? ORDER BY e.id"
)


async def history(concern_id: int) -> list[dict[str, Any]]:
    return await fetch(_HISTORY, concern_id)


_REPLIES = (
    "SELECT r.id, r.official_as, r.body_html, r.created_at, u.display_name FROM concern_replies r"
    " JOIN users u ON u.id = r.author_id WHERE r.concern_id = ? ORDER BY r.id"
)


async def replies(concern_id: int) -> list[dict[str, Any]]:
    return await fetch(_REPLIES, concern_id)


async def proposals_answering(concern_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT id, title, state FROM proposals WHERE concern_id = ? ORDER BY id", concern_id)


async def histories(concern_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The history of each concern (the list API shows it), in one query."""
    out: dict[int, list[dict[str, Any]]] = {cid: [] for cid in concern_ids}
    if not concern_ids:
        return out
    sql = (
        "SELECT e.concern_id, e.action, e.status, e.at, e.note, u.display_name FROM concern_events e"  # noqa: S608
        f" LEFT JOIN users u ON u.id = e.by_id WHERE e.concern_id IN {in_list(concern_ids)} ORDER BY e.id"
    )
    for row in await fetch(sql, *concern_ids):
        out[row["concern_id"]].append(row)
    return out


async def display_names(user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    sql = f"SELECT id, display_name FROM users WHERE id IN {in_list(user_ids)}"  # noqa: S608
    return {row["id"]: row["display_name"] for row in await fetch(sql, *user_ids)}


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

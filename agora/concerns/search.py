"""Search over a compound's concerns and proposals that works for Chinese: a word index, not LIKE.

Each document's words (`segment.terms`, jieba) are rows of `search_terms` with their weight; a search
cuts the query the same way and adds up, per document, the weights of the words it holds (one indexed
query per kind, on SQLite and PostgreSQL alike). A concern is indexed when it is raised, in the same
transaction. Proposals belong to another feature: before a search, the compound's proposals are
compared by digest with what the index holds and only new or changed ones are cut again.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from agora.concerns import queries, segment
from agora.concerns.models import SearchDoc, SearchTerm
from agora.errors import Invalid
from agora.i18n import _
from agora.live.events import atomic

MAX_QUERY = 100
LIMIT = 30
SIMILAR_LIMIT = 5
SIMILAR_MIN_SCORE = 4  # two two-character words in the body, or one in the title


def digest(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\x00{body}".encode()).hexdigest()


async def index_document(compound_id: int, kind: str, doc_id: int, title: str, body: str) -> None:
    """(Re)write one document's words; call inside the transaction that writes the document."""
    weights = await asyncio.to_thread(segment.terms, title, body)
    await SearchTerm.filter(doc_kind=kind, doc_id=doc_id).delete()
    await SearchDoc.filter(doc_kind=kind, doc_id=doc_id).delete()
    if weights:
        await SearchTerm.bulk_create(
            [
                SearchTerm(compound_id=compound_id, doc_kind=kind, doc_id=doc_id, term=term, weight=weight)
                for term, weight in weights.items()
            ]
        )
    await SearchDoc.create(compound_id=compound_id, doc_kind=kind, doc_id=doc_id, digest=digest(title, body))


async def sync_proposals(compound_id: int) -> None:
    """Index the compound's proposals that are new or changed since they were indexed; forget removed ones."""
    rows = await queries.compound_proposals(compound_id)
    known = await queries.indexed_digests(compound_id, "proposal")
    stale = [row for row in rows if known.get(row.id) != digest(row.title, row.body)]
    gone = set(known) - {row.id for row in rows}
    if not stale and not gone:
        return
    async with atomic():
        for row in stale:
            await index_document(compound_id, "proposal", row.id, row.title, row.body)
        if gone:
            await SearchTerm.filter(doc_kind="proposal", doc_id__in=list(gone)).delete()
            await SearchDoc.filter(doc_kind="proposal", doc_id__in=list(gone)).delete()


def clean_query(raw: Any) -> str:
    query = raw.strip() if isinstance(raw, str) else ""
    if len(query) > MAX_QUERY:
        raise Invalid(_("The search is too long."), fields={"q": "too_long"})
    return query


async def query_words(query: str) -> list[str]:
    return await asyncio.to_thread(segment.query_terms, query) if query else []


async def ranked_concern_ids(
    compound_id: int,
    words: list[str],
    viewer: Any,
    *,
    limit: int = LIMIT,
    exclude: int | None = None,
    min_score: int = 1,
) -> list[tuple[int, int]]:
    if not words:
        return []
    rows = await queries.ranked_concerns(compound_id, words, viewer, limit, exclude)
    return [(row.id, row.score) for row in rows if row.score >= min_score]


async def ranked_proposals(compound_id: int, words: list[str], limit: int = LIMIT) -> list[dict[str, Any]]:
    """The compound's proposals holding the words, best first: {id, title, state, score, snippet}."""
    if not words:
        return []
    await sync_proposals(compound_id)
    ranked = await queries.ranked_proposals(compound_id, words, limit)
    by_id = {row.id: row for row in await queries.proposals_by_id([row.id for row in ranked])}
    out = []
    for row in ranked:
        proposal = by_id.get(row.id)
        if proposal is not None:
            out.append(
                {
                    "id": proposal.id,
                    "title": proposal.title,
                    "state": proposal.state,
                    "score": row.score,
                    "snippet": snippet(proposal.body, words),
                }
            )
    return out


def snippet(text: str, words: list[str], width: int = 40) -> str:
    """Plain text around the first word found (escaped by the template, never marked safe)."""
    lowered = segment.normalize(text)
    found = [at for at in (lowered.find(word) for word in words) if at >= 0]
    if not found:
        return text[: width * 2] + ("…" if len(text) > width * 2 else "")
    at = min(found)
    start = max(0, at - width)
    end = min(len(text), at + width * 2)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")

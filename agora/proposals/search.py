"""Search within one hall, across its proposals and their visible comments; works for Chinese.

A substring match (LIKE on SQLite, ILIKE on PostgreSQL, with `%` and `_` escaped by the ORM and
the query passed as a parameter) needs no word segmentation, so "电梯" finds "加装电梯方案".
Only the hall the caller can see is searched; hidden and deleted comments are never found.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from agora.errors import Invalid
from agora.i18n import _
from agora.proposals.models import Comment, Proposal
from agora.rooms.access import HallAccess

MAX_QUERY = 100
LIMIT = 30


def snippet(text: str, query: str, width: int = 60) -> str:
    """Plain text around the first match (escaped later by the template, never marked safe)."""
    at = text.lower().find(query.lower())
    if at < 0:
        return text[: width * 2]
    start = max(0, at - width)
    end = min(len(text), at + len(query) + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


async def search(access: HallAccess, raw: Any) -> dict[str, Any]:
    query = raw.strip() if isinstance(raw, str) else ""
    if len(query) > MAX_QUERY:
        raise Invalid(_("The search is too long."), fields={"q": "too_long"})
    if not query:
        return {"q": "", "proposals": [], "comments": []}
    hall_id = access.hall.id
    proposals = (
        await Proposal.filter(hall_id=hall_id)
        .filter(Q(title__icontains=query) | Q(body__icontains=query))
        .order_by("-id")
        .limit(LIMIT)
    )
    comments = (
        await Comment.filter(hall_id=hall_id, deleted_at=None, hidden_at=None, body__icontains=query)
        .order_by("-id")
        .limit(LIMIT)
        .select_related("author", "proposal")
    )
    return {
        "q": query,
        "proposals": [
            {"id": p.id, "title": p.title, "state": p.state, "snippet": snippet(p.body, query)}
            for p in proposals
        ],
        "comments": [
            {
                "id": c.id,
                "proposal": c.proposal_id,  # type: ignore[attr-defined]
                "proposal_title": c.proposal.title,
                "author": c.author.display_name,
                "snippet": snippet(c.body, query),
            }
            for c in comments
        ],
    }

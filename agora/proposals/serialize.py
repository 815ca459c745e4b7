"""The API shapes of proposals and comments, and the view data templates render from them.

A page, an htmx fragment and a websocket push are all rendered from the same JSON shape
(`comment_json`), through `comment_view`, so a live update equals a fresh page load.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from agora.proposals import markdown
from agora.proposals.models import Comment, Proposal, ProposalTransition
from agora.rooms.rules import rules_fingerprint, rules_from

if TYPE_CHECKING:
    from agora.proposals.queries import CommentRow


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def comment_json(comment: Comment) -> dict[str, Any]:
    """`author` must be fetched (select_related). Hidden or deleted comments carry no body."""
    hidden = (
        {"reason": comment.hidden_reason, "at": _iso(comment.hidden_at)}
        if comment.hidden_at is not None
        else None
    )
    served = hidden is None and comment.deleted_at is None
    return {
        "id": comment.id,
        "proposal": comment.proposal_id,  # type: ignore[attr-defined]
        "parent": comment.parent_id,
        "author": comment.author.display_name,
        "body_html": comment.body_html if served else None,
        "stance": comment.stance,
        "official": comment.official,
        "official_as": comment.official_as or None,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "deleted": comment.deleted_at is not None,
        "hidden": hidden,
    }


def comment_row_json(row: CommentRow) -> dict[str, Any]:
    """`comment_json` from a plain row (`queries.CommentRow`), without building a model."""
    hidden_at = row.hidden_at
    hidden = {"reason": row.hidden_reason, "at": _iso(hidden_at)} if hidden_at is not None else None
    served = hidden is None and row.deleted_at is None
    return {
        "id": row.id,
        "proposal": row.proposal_id,
        "parent": row.parent_id,
        "author": row.author,
        "body_html": row.body_html if served else None,
        "stance": row.stance,
        "official": row.official,
        "official_as": row.official_as or None,
        "created_at": _iso(row.created_at),
        "edited_at": _iso(row.edited_at),
        "deleted": row.deleted_at is not None,
        "hidden": hidden,
    }


def comment_view(data: dict[str, Any]) -> dict[str, Any]:
    """Template data from a comment's JSON shape: times parsed, HTML cleaned once more and marked safe."""
    view = dict(data)
    view["body_html"] = markdown.clean(data["body_html"]) if data.get("body_html") else None
    view["created"] = datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None
    view["edited"] = datetime.fromisoformat(data["edited_at"]) if data.get("edited_at") else None
    hidden = data.get("hidden")
    view["hidden_at"] = datetime.fromisoformat(hidden["at"]) if hidden and hidden.get("at") else None
    view["children"] = [comment_view(child) for child in data.get("children", [])]
    return view


def timeline_json(rows: list[ProposalTransition]) -> list[dict[str, Any]]:
    """`by` must be fetched (select_related); an automatic step has `by: null`."""
    return [
        {
            "state": row.to_state,
            "from": row.from_state,
            "at": _iso(row.at),
            "by": row.by.display_name if row.by else None,
            "reason": row.reason or None,
        }
        for row in rows
    ]


def proposal_json(
    proposal: Proposal, hall_slug: str, timeline: list[ProposalTransition], *, with_body: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": proposal.id,
        "hall": hall_slug,
        "title": proposal.title,
        "matter": proposal.matter,
        "item": proposal.item,
        "category": proposal.category,
        "entrance": proposal.entrance,
        "state": proposal.state,
        "options": proposal.options,
        "locked": proposal.locked,
        "seconds": proposal.seconds,
        "created_at": _iso(proposal.created_at),
        "notice_at": _iso(proposal.notice_at),
        "opens_at": _iso(proposal.opens_at),
        "closes_at": _iso(proposal.closes_at),
        "closed_at": _iso(proposal.closed_at),
        "certified_at": _iso(proposal.certified_at),
        "roll_fingerprint": proposal.roll_fingerprint,
        "concern": proposal.concern_id,
        "timeline": timeline_json(timeline),
        # The procedure: the rules frozen at notice, the earliest opening it announced, the one
        # extension of the window, and the owners whose individual consent a special matter needs.
        "rules": proposal.rules,
        # Published with the notice: `agora verify --rules` checks the record's rules against it.
        "rules_fingerprint": (
            None if proposal.rules is None else rules_fingerprint(rules_from(proposal.rules))
        ),
        "opens_from": _iso(proposal.opens_from),
        "extension": proposal.extension,
        "affected": proposal.affected,
        "occupied": proposal.occupied,
        # A maintenance-fund spend: the units it charges ("building/unit"), its electorate.
        "charged_units": proposal.charged_units,
    }
    if with_body:
        data["body_html"] = str(markdown.render(proposal.body))
    return data

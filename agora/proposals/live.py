"""HTML renderers for the proposals' live events: the same fragments the pages include, out of band.

Registered with the hub when this module is imported (the routes module imports it). A new comment
is appended to its parent's replies (or the proposal's top level); an edited, hidden, restored or
deleted comment replaces its own box by id; every comment event carries the discussion's count and
stances after it (`discussion`), which replace the page's in the same message. A state change
replaces the proposal's state badge and its actions (the Vote button appears when voting opens). A
residents' meeting's attendance replaces its page's line of figures (present, voted, never a choice).
Each also adds a line to the proposal's `role="log"` region for screen readers.
"""

from __future__ import annotations

from typing import Any

from agora.live.hub import register_json_shaper, register_renderer
from agora.proposals import markdown
from agora.proposals.fragments import FRAGMENTS
from agora.proposals.labels import LABELS
from agora.proposals.serialize import comment_view


def _render(env: Any, template: str, **context: Any) -> str:
    return env.get_template(template).render(**LABELS, **FRAGMENTS, **context)


def _log_line(env: Any, proposal_id: int, message: dict[str, Any]) -> str:
    line = _render(env, "proposals/_log_line.html", message=message)
    return f'<div hx-swap-oob="beforeend:#live-log-{int(proposal_id)}">{line}</div>'


def render_comment_created(env: Any, message: dict[str, Any]) -> str:
    proposal_id = int(message["proposal"])
    target = f"replies-{int(message['parent'])}" if message.get("parent") else f"replies-root-{proposal_id}"
    thread = _render(env, "proposals/_thread.html", node=comment_view(message), depth=0, max_depth=4)
    added = f'<div hx-swap-oob="beforeend:#{target}">{thread}</div>'
    return added + _figures(env, message) + _log_line(env, proposal_id, message)


def render_comment_changed(env: Any, message: dict[str, Any]) -> str:
    box = _render(env, "proposals/_comment.html", c=comment_view(message), oob=True)
    return box + _figures(env, message) + _log_line(env, int(message["proposal"]), message)


def render_proposal_state(env: Any, message: dict[str, Any]) -> str:
    proposal_id = int(message["proposal"])
    badge = _render(env, "proposals/_state.html", proposal_id=proposal_id, state=message["state"], oob=True)
    actions = _render(
        env,
        "proposals/_actions.html",
        proposal_id=proposal_id,
        state=message["state"],
        matter=message.get("matter"),
        oob=True,
    )
    return badge + actions + _log_line(env, proposal_id, message)


def _figures(env: Any, message: dict[str, Any]) -> str:
    """The comment count and stance badges after a comment was added, edited, hidden or deleted."""
    figures = message.get("discussion")
    if not isinstance(figures, dict):
        return ""
    proposal_id, count = int(message["proposal"]), int(figures["comments"])
    stances = {str(k): int(v) for k, v in dict(figures["stances"]).items()}
    badges = _render(env, "proposals/_summary.html", proposal_id=proposal_id, stances=stances, oob=True)
    number = _render(env, "proposals/_count.html", proposal_id=proposal_id, comment_count=count, oob=True)
    return number + badges


def render_proposal_locked(env: Any, message: dict[str, Any]) -> str:
    return _render(
        env,
        "proposals/_lock.html",
        proposal_id=int(message["proposal"]),
        locked=bool(message["locked"]),
        oob=True,
    )


def render_meeting_attendance(env: Any, message: dict[str, Any]) -> str | None:
    """A residents' meeting's line "n of N present, v voted", replaced on its page."""
    if not isinstance(message.get("present"), int):
        return None
    return _render(
        env,
        "proposals/_meeting_figures.html",
        proposal_id=int(message["proposal"]),
        present=int(message["present"]),
        residents=int(message["residents"]),
        voted=int(message["voted"]),
        oob=True,
    )


def comment_for_json(message: dict[str, Any]) -> dict[str, Any]:
    """A comment event for JSON clients: the data, with `body_html` sanitized again (as every page
    does) and no other markup."""
    shaped = {k: v for k, v in message.items() if not str(k).endswith("html")}
    if "body_html" in message:
        body = message["body_html"]
        shaped["body_html"] = str(markdown.clean(body)) if isinstance(body, str) else None
    return shaped


register_renderer("comment.created", render_comment_created)
for _type in ("comment.edited", "comment.hidden", "comment.restored", "comment.deleted"):
    register_renderer(_type, render_comment_changed)
for _type in ("comment.created", "comment.edited", "comment.hidden", "comment.restored", "comment.deleted"):
    register_json_shaper(_type, comment_for_json)


register_renderer("meeting.attendance", render_meeting_attendance)
register_renderer("proposal.state", render_proposal_state)
register_renderer("proposal.locked", render_proposal_locked)

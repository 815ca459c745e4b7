"""HTML renderers for the concerns' live events: the same row fragment the pages include, out of band.

Registered with the hub when this module is imported (the routes module imports it). Only public
concerns are announced (`services.notify`). A new concern is put at the top of the unfiltered list
(`#concerns-new`); a changed one replaces its own row (`#concern-{id}`) wherever a page shows it, and
its status badge on its own page (`#concern-status-{id}`).
"""

from __future__ import annotations

from typing import Any

from agora.concerns.labels import LABELS
from agora.concerns.views import row_view
from agora.live.hub import register_renderer


def _render(env: Any, template: str, **context: Any) -> str:
    return env.get_template(template).render(**LABELS, **context)


def render_created(env: Any, message: dict[str, Any]) -> str:
    row = _render(env, "concerns/_row.html", c=row_view(message), oob=False)
    return f'<div hx-swap-oob="afterbegin:#concerns-new">{row}</div>'


def render_updated(env: Any, message: dict[str, Any]) -> str:
    view = row_view(message)
    row = _render(env, "concerns/_row.html", c=view, oob=True)
    badge = _render(env, "concerns/_status.html", c=view, oob=True)
    return row + badge


register_renderer("concern.created", render_created)
register_renderer("concern.updated", render_updated)

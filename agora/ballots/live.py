"""HTML for the ballots feature's live events: the same fragments the pages include."""

from __future__ import annotations

from typing import Any

from agora.ballots import charts
from agora.ballots.labels import meter_labels
from agora.live.hub import register_renderer


def render_turnout(env: Any, message: dict[str, Any]) -> str | None:
    turnout = message.get("turnout")
    if not isinstance(turnout, dict):
        return None
    return env.get_template("ballots/_turnout.html").render(
        proposal_id=int(message["proposal"]),
        oob=True,
        turnout=turnout,
        bars=charts.turnout_bars(turnout, meter_labels()),
    )


def render_result(env: Any, message: dict[str, Any]) -> str | None:
    """The count is out: pages of this proposal reload to show it (and the ledger)."""
    proposal = int(message["proposal"])
    return f'<div hidden id="result-published-{proposal}" hx-swap-oob="true" data-reload="1"></div>'


def register() -> None:
    register_renderer("ballot.turnout", render_turnout)
    register_renderer("result.published", render_result)

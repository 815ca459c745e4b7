"""The live renderer of `implementation.update`: the same fragments the pages include, out of band.

A new entry is put at the top of the work's timeline (`#impl-updates-<proposal>`) and the summary
(progress bar, money, before/after pair, acceptance) is replaced wherever it is shown: on the
work's page and on the proposal's page.
"""

from __future__ import annotations

from typing import Any

from agora.implementation.labels import LABELS
from agora.live.hub import register_renderer


def render_update(env: Any, message: dict[str, Any]) -> str:
    pid = int(message["proposal"])
    entry = env.get_template("implementation/_update.html").render(**LABELS, u=message["update"], pid=pid)
    summary = env.get_template("implementation/_summary.html").render(
        **LABELS, view={"proposal": pid, **message["summary"]}, oob=True
    )
    return f'<div hx-swap-oob="afterbegin:#impl-updates-{pid}">{entry}</div>' + summary


register_renderer("implementation.update", render_update)

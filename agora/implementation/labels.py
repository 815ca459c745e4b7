"""Words for the implementation's values on pages and in live fragments (one name per thing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora.i18n import _
from agora.implementation.rules import progress_width
from agora.proposals.markdown import clean


def status_label(status: str) -> str:
    return {
        "planned": _("Planned"),
        "in_progress": _("In progress"),
        "done": _("Done, awaiting acceptance"),
        "accepted": _("Accepted"),
        "stalled": _("Stalled"),
    }.get(status, status)


def stage_label(stage: str) -> str:
    return {"before": _("Before"), "during": _("During"), "after": _("After")}.get(stage, stage)


def source_label(source: str) -> str:
    return {
        "maintenance_fund": _("Maintenance fund"),
        "self_raised": _("Raised by the owners"),
        "public": _("Public money"),
        "other": _("Other"),
    }.get(source, source)


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


LABELS: dict[str, Any] = {
    "impl_status_label": status_label,
    "stage_label": stage_label,
    "source_label": source_label,
    "parse_time": parse_time,
    "progress_width": progress_width,
    "clean_html": clean,  # stored Markdown output, cleaned again by nh3 before it is shown
}

"""Human names for a concern's kind, category, status, route, urgency and history, in the current language."""

from __future__ import annotations

from agora.concerns.rules import status_label
from agora.i18n import _


def kind_label(kind: str) -> str:
    return {"concern": _("Concern"), "wish": _("Wish")}.get(kind, kind)


def category_label(category: str) -> str:
    """The four every compound has are translated; a compound's own category is its label."""
    return {
        "policy": _("Policy implementation"),
        "livelihood": _("Daily life and work"),
        "health": _("Health and medical care"),
        "education": _("Education and jobs"),
    }.get(category, category)


def route_label(route: str | None) -> str:
    if route is None:
        return ""
    return {
        "self_help": _("Residents solve it, with help"),
        "list": _("On the governance list"),
        "proposal": _("Becomes a proposal"),
        "refer": _("Referred (property company, community or a department)"),
    }.get(route, route)


def urgency_label(urgency: int | None) -> str:
    if urgency is None:
        return ""
    return {1: _("Normal"), 2: _("Soon"), 3: _("Urgent")}.get(urgency, str(urgency))


def visibility_label(visibility: str) -> str:
    return {"public": _("Public in the compound"), "moderators": _("Only to the moderators")}.get(
        visibility, visibility
    )


def action_label(action: str, note: str = "") -> str:
    """What a history line says happened (the note is shown beside it)."""
    return {
        "received": _("Received"),
        "triage": _("Triaged"),
        "status": _("Status changed"),
        "merge": _("Merged into {ref}", ref=note),
        "merged_in": _("A duplicate was merged in: {ref}", ref=note),
        "proposal": _("A proposal answers it"),
    }.get(action, action)


LABELS = {
    "kind_label": kind_label,
    "category_label": category_label,
    "status_label": status_label,
    "route_label": route_label,
    "urgency_label": urgency_label,
    "visibility_label": visibility_label,
    "action_label": action_label,
}

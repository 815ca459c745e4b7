"""Words for the figures (one name per thing: 诉求, 微心愿, 表决, 落实, 验收)."""

from __future__ import annotations

from agora.i18n import _


def figure_label(key: str) -> str:
    return {
        "concerns_received": _("Concerns received"),
        "concerns_resolved": _("Concerns resolved"),
        "concerns_closed_unresolved": _("Concerns closed unresolved"),
        "concerns_open": _("Concerns open"),
        "resolution_rate": _("Resolution rate"),
        "median_days_to_resolve": _("Median days to resolve"),
        "satisfaction_rate": _("Satisfaction rate"),
        "wishes_received": _("Wishes received"),
        "wishes_fulfilled": _("Wishes fulfilled"),
        "votes_held": _("Votes held"),
        "votes_passed": _("Votes passed"),
        "votes_no_decision": _("Votes with no decision made"),
        "turnout_persons_median": _("Median turnout (persons)"),
        "works_active": _("Works under way"),
        "works_done": _("Works done"),
        "works_accepted": _("Works accepted"),
        "works_spent": _("Money spent on works (yuan)"),
    }.get(key, key)


def children_header() -> list[str]:
    return [
        _("Hall"),
        _("Address"),
        _("Proposals"),
        _("Votes held"),
        _("Votes passed"),
        _("Works under way"),
        _("Works done"),
        _("Money spent on works (yuan)"),
    ]


def urgency_heading(urgency: str) -> str:
    """A heading of the "open items by urgency and age" chart (urgent first; "untriaged")."""
    return {
        "3": _("Urgent"),
        "2": _("Soon"),
        "1": _("Normal"),
        "untriaged": _("Not triaged yet"),
    }.get(urgency, urgency)


def age_label(bucket: str) -> str:
    """An age bucket of an open item, in whole days since it was received."""
    return {
        "0-7": _("Up to 7 days"),
        "8-30": _("8 to 30 days"),
        "31-90": _("31 to 90 days"),
        "91+": _("More than 90 days"),
    }.get(bucket, bucket)

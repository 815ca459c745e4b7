"""Human names for outcomes, reasons, tests and channels, in the current language."""

from __future__ import annotations

from typing import Any


def verdict_of(outcome: str | None) -> str:
    from agora.ballots.resolution import verdict_label

    return verdict_label(outcome)


def reason_text(reason: str | None) -> str:
    from agora.i18n import _

    return {
        "quorum_not_met": _(
            "No decision made: fewer than two thirds of the owners (by persons and by area) took part."
        ),
        "not_approved": _(
            "No decision made: the yes votes did not reach the required share of those who took part."
        ),
        "missing_figure": _(
            "Cannot be determined: a total of the roll is missing "
            "(has the compound decided whether parking counts?)."
        ),
        "deemed_majority_unclear": _(
            "Cannot be determined: the majority that silent owners would join is unclear."
        ),
    }.get(reason or "", reason or "")


def test_label(name: str) -> str:
    from agora.i18n import _

    return {
        "quorum_persons": _("Quorum by persons"),
        "quorum_area": _("Quorum by area"),
        "approval_persons": _("Approval by persons"),
        "approval_area": _("Approval by area"),
    }.get(name, name)


def channel_label(channel: str) -> str:
    from agora.i18n import _

    return {"online": _("Online"), "paper": _("Paper"), "proxy": _("Proxy")}.get(channel, channel)


def helpers() -> dict[str, Any]:
    """Functions every ballots template may call."""
    return {
        "verdict_of": verdict_of,
        "reason_text": reason_text,
        "test_label": test_label,
        "channel_label": channel_label,
    }

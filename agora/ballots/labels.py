"""Human names for outcomes, reasons, tests and channels, in the current language."""

from __future__ import annotations

from typing import Any

from agora.ballots.resolution import verdict_label
from agora.i18n import _


def verdict_of(outcome: str | None) -> str:
    return verdict_label(outcome)


def reason_text(reason: str | None) -> str:
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
    return {
        "quorum_persons": _("Quorum by persons"),
        "quorum_area": _("Quorum by area"),
        "approval_persons": _("Approval by persons"),
        "approval_area": _("Approval by area"),
    }.get(name, name)


def test_sentence(test: dict[str, Any]) -> str:
    """A threshold test as a resident reads it: 「参与人数 634/950，达到三分之二以上」.

    `test` is one of the result's `tests` ({name, value, required, met}); the bounds are the
    words of art. 278 (三分之二以上, 四分之三以上, 过半数), never `>= 2/3`."""
    subject = {
        "quorum_persons": _("Persons who took part"),
        "quorum_area": _("Area that took part"),
        "approval_persons": _("Persons voting yes, of those who took part"),
        "approval_area": _("Area voting yes, of the area that took part"),
    }.get(str(test.get("name")), test_label(str(test.get("name"))))
    value = str(test.get("value"))
    if str(test.get("name", "")).endswith("_area"):
        value = _("{value} m²", value=value)
    met = test.get("met")
    if met is None:
        return _("{subject} {value}, cannot be determined", subject=subject, value=value)
    words = {
        ">= 2/3": (_("{subject} {value}, two thirds or more"), _("{subject} {value}, less than two thirds")),
        ">= 3/4": (
            _("{subject} {value}, three quarters or more"),
            _("{subject} {value}, less than three quarters"),
        ),
        "> 1/2": (_("{subject} {value}, more than half"), _("{subject} {value}, not more than half")),
    }.get(str(test.get("required")))
    if words is None:
        return f"{subject} {value} ({test.get('required')})"
    return (words[0] if met else words[1]).format(subject=subject, value=value)


def channel_label(channel: str) -> str:
    return {"online": _("Online"), "paper": _("Paper"), "proxy": _("Proxy")}.get(channel, channel)


def meter_labels() -> dict[str, str]:
    """The turnout meter's labels (the page and the live fragment draw the same meter)."""
    return {"persons": _("Persons"), "area": _("Area (m²)"), "quorum": _("Quorum 2/3")}


def helpers() -> dict[str, Any]:
    """Functions every ballots template may call."""
    return {
        "verdict_of": verdict_of,
        "reason_text": reason_text,
        "test_label": test_label,
        "test_sentence": test_sentence,
        "channel_label": channel_label,
    }

"""Human names for states, matters, items, categories and stances, in the current language."""

from __future__ import annotations

from agora.i18n import _


def state_label(state: str) -> str:
    return {
        "draft": _("Draft"),
        "consultation": _("Consultation"),
        "notice": _("Notice"),
        "voting": _("Voting"),
        "closed": _("Closed"),
        "certified": _("Certified"),
        "withdrawn": _("Withdrawn"),
        "rejected": _("Rejected"),
        "extended": _("Voting extended"),
    }.get(state, state)


def matter_label(matter: str) -> str:
    return {
        "ordinary": _("Ordinary matter (art. 278)"),
        "major": _("Major matter (art. 278)"),
        "consultation": _("Consultation (non-binding)"),
        "unanimous": _("Unanimous consent of the interested owners (art. 279)"),
        "resident_meeting": _("Residents' meeting (Organic Law of Urban Residents' Committees, art. 9)"),
    }.get(matter, matter)


def item_label(item: int | None) -> str:
    if item is None:
        return ""
    return {
        1: _("1. Rules of procedure"),
        2: _("2. Management statute"),
        3: _("3. Electing or replacing the owners' committee"),
        4: _("4. Hiring or dismissing the property manager"),
        5: _("5. Using the maintenance fund"),
        6: _("6. Raising the maintenance fund"),
        7: _("7. Rebuilding or altering buildings and facilities"),
        8: _("8. Changing the use of common parts or using them commercially"),
        9: _("9. Other major matters of the common property"),
    }.get(item, str(item))


def category_label(category: str) -> str:
    return {
        "parking": _("Parking"),
        "traffic": _("Traffic"),
        "greening": _("Greening"),
        "facilities": _("Facilities"),
        "renovation": _("Renovation"),
        "elevator": _("Elevator"),
        "maintenance_fund": _("Maintenance fund"),
        "property_management": _("Property management"),
        "committee_election": _("Committee election"),
        "other": _("Other"),
    }.get(category, category)


def stance_label(stance: str) -> str:
    return {
        "support": _("Support"),
        "oppose": _("Oppose"),
        "question": _("Question"),
        "neutral": _("Neutral"),
    }.get(stance, stance)


def official_label(official_as: str) -> str:
    return {
        "party": _("Official answer · Party branch"),
        "committee": _("Official answer · Owners' committee"),
    }.get(official_as, _("Official answer"))


LABELS = {
    "state_label": state_label,
    "matter_label": matter_label,
    "item_label": item_label,
    "category_label": category_label,
    "stance_label": stance_label,
    "official_label": official_label,
}

"""What makes a draft valid (pure): limits, the matter and its art. 278 item, consultation options.

Items 6–8 (raising the fund, rebuilding or altering, changing the use of common parts) are major
matters; items 1–5 and 9 are ordinary; a consultation has no item. Every problem is reported at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agora.art278 import MATTERS, RESIDENT_MEETING, is_fund_use, matter_of_item
from agora.errors import Invalid
from agora.i18n import _
from agora.proposals.models import CATEGORIES

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_OPTION_LABEL = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 10
OPTION_KEY_RE = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    category: str
    matter: str
    item: int | None
    options: list[dict[str, str]] = field(default_factory=list)
    entrance: str | None = None
    affected: list[str] | None = None  # art. 279: the interested owners, each of whom must consent
    occupied: list[str] | None = None  # an elevator: the owners whose units it occupies
    charged_units: list[str] | None = None  # a maintenance-fund spend: the units it charges (as given)


def _text(data: dict[str, Any], name: str, limit: int, fields: dict[str, str]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        fields[name] = "required"
        return ""
    value = value.strip()
    if len(value) > limit:
        fields[name] = "too_long"
    return value


def _item(raw: Any, matter: str, fields: dict[str, str]) -> int | None:
    if raw in (None, ""):
        if matter in ("ordinary", "major"):
            fields["item"] = "required"
        return None
    if isinstance(raw, str) and raw.strip().isdecimal():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 9:
        fields["item"] = "invalid"
        return None
    if matter in ("consultation", RESIDENT_MEETING) or (matter in MATTERS and matter_of_item(raw) != matter):
        fields["item"] = "mismatch"
    return raw


def _options(raw: Any, matter: str, fields: dict[str, str]) -> list[dict[str, str]]:
    if raw in (None, [], ""):
        return []
    if matter != "consultation":
        fields["options"] = "only_consultations"
        return []
    if not isinstance(raw, list) or not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        fields["options"] = "count"
        return []
    options: list[dict[str, str]] = []
    for entry in raw:
        key = entry.get("key") if isinstance(entry, dict) else None
        label = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not OPTION_KEY_RE.match(key):
            fields["options"] = "key"
            return []
        if not isinstance(label, str) or not label.strip() or len(label.strip()) > MAX_OPTION_LABEL:
            fields["options"] = "label"
            return []
        options.append({"key": key, "label": label.strip()})
    if len({o["key"] for o in options}) != len(options):
        fields["options"] = "duplicate_key"
        return []
    return options


def parse_refs(value: object) -> list[str] | None:
    """A JSON list of owner refs (strings, 1-64 characters, no duplicates) or None when malformed."""
    if not isinstance(value, list) or not value:
        return None
    refs: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > 64:
            return None
        ref = item.strip()
        if ref in refs:
            return None
        refs.append(ref)
    return refs


def _refs(raw: Any, name: str, fields: dict[str, str], *, required: bool) -> list[str] | None:
    """A list of owner refs (each 1-64 characters, no duplicates, at most 500)."""
    if raw in (None, "", []):
        if required:
            fields[name] = "required"
        return [] if not required else None
    if isinstance(raw, str):  # the page form: one owner reference per line or comma
        raw = [part.strip() for part in re.split(r"[\n,，]", raw) if part.strip()]
    refs = parse_refs(raw)
    if refs is None or len(refs) > 500:
        fields[name] = "invalid"
        return None
    return refs


MAX_CHARGED_UNITS = 20_000  # the largest compounds have some 20,000 units


def charged_units_of(raw: Any, fields: dict[str, str]) -> list[str] | None:
    """The units a maintenance-fund spend charges, as the roll names them ("building/unit", or the
    unit alone in a building hall): a JSON list of strings, or the page form's text (one per line or
    comma). None when not given; an empty or malformed list is reported in `fields`."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        raw = [part.strip() for part in re.split(r"[\n,，]", raw) if part.strip()]
        if not raw:
            return None
    if not isinstance(raw, list):
        fields["charged_units"] = "invalid"
        return None
    if not raw:
        fields["charged_units"] = "empty"
        return None
    refs: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > 130:
            fields["charged_units"] = "invalid"
            return None
        refs.append(item.strip())
    if len(refs) > MAX_CHARGED_UNITS:
        fields["charged_units"] = "too_many"
        return None
    if len(set(refs)) != len(refs):
        fields["charged_units"] = "duplicate"
        return None
    return refs


def charged_problem(code: str) -> str:
    """The refusal of a bad list of charged units, in the user's language."""
    return {
        "empty": _("List at least one unit charged by the spend, or none: then the whole hall votes."),
        "only_fund_use": _(
            "Only a maintenance-fund spend (category maintenance fund, art. 278 item 5) lists the units "
            "it charges."
        ),
        "not_with_entrance": _("The units charged by a spend are its electorate: leave the entrance out."),
        "duplicate": _("A unit is listed twice among the units charged by the spend."),
        "too_many": _("Too many units are listed as charged by the spend."),
    }.get(code, _("List the units charged by the spend as building/unit, one per line."))


def options_from_lines(text: str) -> list[dict[str, str]]:
    """The page form's options: one label per line, keys assigned in order (o1, o2, …)."""
    labels = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return [{"key": f"o{n}", "label": label} for n, label in enumerate(labels, start=1)]


def validate_draft(data: dict[str, Any], *, hall_kind: str) -> Draft:
    """A clean Draft, or Invalid (422) naming every bad field."""
    fields: dict[str, str] = {}
    title = _text(data, "title", MAX_TITLE, fields)
    body = _text(data, "body", MAX_BODY, fields)
    category = data.get("category") or "other"
    if category not in CATEGORIES:
        fields["category"] = "invalid"
    matter = data.get("matter")
    if matter not in MATTERS:
        fields["matter"] = "invalid"
    elif matter not in ("consultation", RESIDENT_MEETING) and hall_kind == "community":
        fields["matter"] = "owners_matter_needs_compound"
    item = _item(data.get("item"), str(matter), fields)
    options = _options(data.get("options"), str(matter), fields)
    entrance = data.get("entrance")
    if entrance in (None, ""):
        entrance = None
    elif not isinstance(entrance, str) or len(entrance.strip()) > 32 or not entrance.strip():
        fields["entrance"] = "invalid"
    elif hall_kind != "building":
        fields["entrance"] = "building_only"
    else:
        entrance = entrance.strip()
    affected = occupied = None
    if matter == "unanimous":
        affected = _refs(data.get("affected"), "affected", fields, required=True)
    elif data.get("affected") not in (None, "", []):
        fields["affected"] = "only_unanimous"
    if category == "elevator" and matter in ("ordinary", "major"):
        if entrance is None and "entrance" not in fields:
            fields["entrance"] = "required_for_elevator"
        occupied = _refs(data.get("occupied"), "occupied", fields, required=False)
    elif data.get("occupied") not in (None, "", []):
        fields["occupied"] = "only_elevator"
    charged = charged_units_of(data.get("charged_units"), fields)
    if "charged_units" not in fields and charged is not None:
        if not is_fund_use(str(category), item):
            fields["charged_units"] = "only_fund_use"
        elif entrance is not None:
            fields["charged_units"] = "not_with_entrance"
    if set(fields) == {"charged_units"}:
        raise Invalid(charged_problem(fields["charged_units"]), fields=fields)
    if fields:
        raise Invalid(_("Some fields of the proposal are not valid."), fields=fields)
    return Draft(
        title=title,
        body=body,
        category=str(category),
        matter=str(matter),
        item=item,
        options=options,
        entrance=entrance if isinstance(entrance, str) else None,
        affected=affected,
        occupied=occupied,
        charged_units=charged,
    )

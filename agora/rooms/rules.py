"""A compound's rules of procedure (议事规则): the settings the calendar and the tally depend on.

Defaults follow the national rules (notice 15 days, 物业管理条例 art. 14) and a common local
window (Hangzhou: 5 to 60 days). `parking_counts` has no default: until the compound decides,
owners' tallies refuse to run while the roll has parking units.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from agora.errors import Invalid
from agora.i18n import _

DEFAULTS: dict[str, Any] = {
    "notice_days": 15,
    "min_voting_days": 5,
    "max_voting_days": 60,
    "parking_counts": None,
    "revote": False,
    "proxy_cap": 3,
    "deemed_participation": None,
}


@dataclass(frozen=True)
class Rules:
    notice_days: int = 15
    min_voting_days: int = 5
    max_voting_days: int = 60
    parking_counts: bool | None = None
    revote: bool = False
    proxy_cap: int = 3
    deemed_participation: str | None = None  # the text of the clause that allows it, or None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def rules_from(stored: dict[str, Any] | None) -> Rules:
    merged = {**DEFAULTS, **(stored or {})}
    return Rules(**{k: merged[k] for k in DEFAULTS})


def validate_rules(data: dict[str, Any], current: Rules) -> Rules:
    """Merge an update into the current rules, refusing anything out of range (all problems at once)."""
    merged = {**current.to_json()}
    fields: dict[str, str] = {}
    for key, value in data.items():
        if key not in DEFAULTS:
            fields[key] = _("unknown setting")
            continue
        merged[key] = value
    for key in ("notice_days", "min_voting_days", "max_voting_days", "proxy_cap"):
        value = merged[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > 365:
            fields[key] = _("must be a whole number from 0 to 365")
    if "notice_days" not in fields and isinstance(merged["notice_days"], int) and merged["notice_days"] < 15:
        fields["notice_days"] = _("the notice period is at least 15 days (物业管理条例 art. 14)")
    if not fields.get("min_voting_days") and not fields.get("max_voting_days"):
        if merged["min_voting_days"] < 1 or merged["min_voting_days"] > merged["max_voting_days"]:
            fields["min_voting_days"] = _("the voting window needs 1 <= minimum <= maximum days")
    if merged["parking_counts"] not in (None, True, False):
        fields["parking_counts"] = _("must be true, false or null")
    if not isinstance(merged["revote"], bool):
        fields["revote"] = _("must be true or false")
    clause = merged["deemed_participation"]
    if clause is not None and (not isinstance(clause, str) or not clause.strip() or len(clause) > 2000):
        fields["deemed_participation"] = _("must be null or the text of the clause that allows it")
    if fields:
        raise Invalid(_("Some rules are not valid."), fields=fields)
    return rules_from(merged)

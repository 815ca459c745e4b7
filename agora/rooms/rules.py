"""A compound's rules of procedure (议事规则): the settings the calendar and the tally depend on.

Defaults follow the national rules (notice 15 days, 物业管理条例 art. 14) and a common local
window (Hangzhou: 5 to 60 days). `parking_counts` has no default: until the compound decides,
owners' tallies refuse to run while the roll has parking units.
"""

from __future__ import annotations

import hashlib
import json
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
    # The procedure after a vote (docs/domain.md, "The calendar"; docs/api.md, "Procedure").
    "certify_signatures": 1,
    "objection_days": 7,
    "proxy_bar_property_staff": True,
    "budget_margin_percent": 10,
    # "secret": after close nothing published links a choice to a unit; "named": owners of the
    # scope see each unit's choice after close, as with signed paper ballots (api.md, "Secrecy").
    "ballot_secrecy": "secret",
}
SECRECY = ("secret", "named")


@dataclass(frozen=True)
class Rules:
    notice_days: int = 15
    min_voting_days: int = 5
    max_voting_days: int = 60
    parking_counts: bool | None = None
    revote: bool = False
    proxy_cap: int = 3
    deemed_participation: str | None = None  # the text of the clause that allows it, or None
    certify_signatures: int = 1  # committee members who sign a record before it is posted
    objection_days: int = 7  # days owners may object to a preliminary record
    proxy_bar_property_staff: bool = True  # property-management staff may not act as proxies
    # How far spending may exceed an approved budget before a new vote is needed (agora.implementation).
    budget_margin_percent: int = 10
    ballot_secrecy: str = "secret"  # or "named"

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
    for key in ("revote", "proxy_bar_property_staff"):
        if not isinstance(merged[key], bool):
            fields[key] = _("must be true or false")
    for key, low, high in (
        ("certify_signatures", 1, 15),
        ("objection_days", 0, 60),
        ("budget_margin_percent", 0, 100),
    ):
        value = merged[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < low or value > high:
            fields[key] = _("must be a whole number from {low} to {high}", low=low, high=high)
    if merged["ballot_secrecy"] not in SECRECY:
        fields["ballot_secrecy"] = _("must be secret or named")
    clause = merged["deemed_participation"]
    if clause is not None and (not isinstance(clause, str) or not clause.strip() or len(clause) > 2000):
        fields["deemed_participation"] = _("must be null or the text of the clause that allows it")
    if fields:
        raise Invalid(_("Some rules are not valid."), fields=fields)
    return rules_from(merged)


def frozen_rules(rules: Rules) -> dict[str, Any]:
    """The rules as frozen into a proposal at its notice: every setting, spelled out."""
    return rules.to_json()


def rules_in_force(frozen: dict[str, Any] | None, live: Rules) -> Rules:
    """A proposal's rules: those frozen at its notice; the compound's current ones only before it.

    A setting added to agora after a proposal's notice was not part of what was announced: it takes
    its default, never the compound's later choice.
    """
    if frozen is None:
        return live
    return rules_from(frozen)


def rules_fingerprint(rules: Rules) -> str:
    """SHA-256 of the rules' canonical JSON (sorted keys, no whitespace, UTF-8 as itself): published
    with the notice and in the record, so that `agora verify --rules` can tell the record's rules are
    the ones announced (docs/verify.md)."""
    text = json.dumps(rules.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

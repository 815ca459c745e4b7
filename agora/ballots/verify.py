"""The public roll fingerprint, and ``verify_record`` (the core of ``agora verify``).

``verify_record`` is the independent verifier's (``agora.verifier``), which shares no code with the
server's tally, chain or crypto: the record (format ``agora-resolution/1``) carries the public roll,
the hash-chained ledger, the claimed result and the participating units, and the verifier trusts none
of the figures it is told. It is re-exported here for the callers that always imported it from here.
The server uses this module's fingerprint when voting opens; the verifier recomputes it on its own.

Public roll fingerprint (``roll.public_fingerprint``) -- the app's ``roll.fingerprint`` covers private
owner references and cannot be reproduced from a public record, so this one is defined over what is
published. It is the lowercase hex SHA-256 of the UTF-8 bytes of the JSON text::

    {"parking_counts":<true|false|null>,"units":[[building,entrance,unit,area_cents,kind,status,person],...]}

with separators ``,`` and ``:`` and no whitespace, non-ASCII characters written as themselves (no
``\\u`` escapes), the two keys in that order. Each unit is an array of: building, entrance (``""``
when the unit has none), unit, as strings; its area as an integer number of 0.01 m² (``"89.50"`` ->
``8950``); kind (``home``/``parking``/``shop``/``stall``), status (``owned``/``unsold``/
``undelivered``) and the opaque person key, as strings. Units are sorted by (building, entrance,
unit), comparing strings by Unicode code points (then by the remaining fields).

Counting from the public roll: parking units and stalls count only when ``parking_counts`` is true; when it is
null and the roll has parking units, N and A are undeterminable and ``roll.totals`` must say null. N is
the number of distinct person keys among the counted units, A the sum of their areas. Units are
identified by (building, unit); a participating person must have every counted unit listed in
``participation``, and each effective ballot must weigh (1, the area of that person's counted units).
All unsold and undelivered units must share one person key (the developer counts as one person).

Published at opening: the public roll fingerprint of the frozen snapshot is made public when voting
opens (``agora.ballots.electorate.snapshot_public_fingerprint``), before any ballot is counted. A
record that carries it as ``roll.published_fingerprint`` must have a roll whose recomputed public
fingerprint equals it, and
``verify_record(..., expected_roll=...)`` (``agora verify --roll``) checks the roll against a copy
obtained independently (the vote page, the notice board): a roll rewritten in the database before the
close, consistently with its totals, then no longer matches.

Deemed participation: when ``result.deemed`` is not null the record must carry
``"deemed_participation": {"clause": "...", "units": [{"building": ..., "unit": ...}]}`` naming the
units of owners served a ballot who did not return it; each such person adds 1 person and the area of
all their counted units.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from agora.i18n import _
from agora.verifier import VerifyReport, verify_record

__all__ = ["VerifyReport", "public_roll_fingerprint", "verify_record"]

FORMAT = "agora-resolution/1"
KINDS = ("home", "parking", "shop", "stall")
STATUSES = ("owned", "unsold", "undelivered")
DEVELOPER_STATUSES = ("unsold", "undelivered")

_AREA = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")


class _Bad(Exception):
    """A part of the record is malformed; the message says which and why."""


@dataclass(frozen=True, slots=True)
class _Unit:
    building: str
    entrance: str
    unit: str
    area_cents: int
    kind: str
    status: str
    person: str


def _cents(value: object, where: str) -> int:
    """Parse a two-decimal area string; floats and other spellings are refused, as the API forbids them."""
    if not isinstance(value, str) or not _AREA.fullmatch(value):
        raise _Bad(
            _(
                "{where}: an area must be a decimal string with two places, not {value}.",
                where=where,
                value=json.dumps(value, ensure_ascii=False),
            )
        )
    whole, fraction = value.split(".")
    return int(whole) * 100 + int(fraction)


def _string(item: dict, key: str, where: str, *, default: str | None = None) -> str:
    value = item.get(key, default)
    if value is None and default is not None:
        value = default
    if not isinstance(value, str) or (not value and default is None):
        raise _Bad(_("{where}: {key} must be a non-empty string.", where=where, key=key))
    return value


def _int(item: dict[str, Any], key: str, where: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(_("{where}: {key} must be an integer.", where=where, key=key))
    return value


def _int_or_null(item: dict[str, Any], key: str, where: str) -> int | None:
    return None if item.get(key) is None else _int(item, key, where)


def _parse_unit(item: object, index: int) -> _Unit:
    where = _("roll unit {index}", index=index)
    if not isinstance(item, dict):
        raise _Bad(_("{where}: not an object.", where=where))
    unit = _Unit(
        _string(item, "building", where),
        _string(item, "entrance", where, default=""),
        _string(item, "unit", where),
        _cents(item.get("area"), where),
        _string(item, "kind", where),
        _string(item, "status", where),
        _string(item, "person", where),
    )
    if unit.kind not in KINDS or unit.status not in STATUSES:
        raise _Bad(_("{where}: unknown kind or status.", where=where))
    return unit


def _parse_units(units_json: object) -> list[_Unit]:
    if not isinstance(units_json, list):
        raise _Bad(_("roll.units must be a list."))
    return [_parse_unit(item, index) for index, item in enumerate(units_json)]


def _fingerprint(units: list[_Unit], parking_counts: bool | None) -> str:
    rows = sorted([u.building, u.entrance, u.unit, u.area_cents, u.kind, u.status, u.person] for u in units)
    text = json.dumps(
        {"parking_counts": parking_counts, "units": rows}, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_roll_fingerprint(units_json: list[dict], parking_counts: bool | None) -> str:
    """The ``roll.public_fingerprint`` of a record's units (canonical form in the module docstring).

    Raises ValueError when a unit is malformed.
    """
    try:
        return _fingerprint(_parse_units(units_json), parking_counts)
    except _Bad as error:
        raise ValueError(str(error)) from None



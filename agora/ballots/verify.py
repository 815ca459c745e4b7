"""Re-count a published resolution record from its roll and ledger (the core of ``agora verify``).

The record (format ``agora-resolution/1``) carries the public roll, the hash-chained ledger, the
claimed result and the participating units. ``verify_record`` trusts none of the figures it is told:
it recomputes the public roll fingerprint, N and A, checks the chain and its head, re-counts the
effective ballots with the shared art. 278 rules and compares every figure of the claimed result.

Public roll fingerprint (``roll.public_fingerprint``) -- the app's ``roll.fingerprint`` covers private
owner references and cannot be reproduced from a public record, so this one is defined over what is
published. It is the lowercase hex SHA-256 of the UTF-8 bytes of the JSON text::

    {"parking_counts":<true|false|null>,"units":[[building,entrance,unit,area_cents,kind,status,person],...]}

with separators ``,`` and ``:`` and no whitespace, non-ASCII characters written as themselves (no
``\\u`` escapes), the two keys in that order. Each unit is an array of: building, entrance (``""``
when the unit has none), unit, as strings; its area as an integer number of 0.01 m² (``"89.50"`` ->
``8950``); kind (``home``/``parking``/``shop``), status (``owned``/``unsold``/``undelivered``) and the
opaque person key, as strings. Units are sorted by (building, entrance, unit), comparing strings by
Unicode code points (then by the remaining fields).

Counting from the public roll: parking units count only when ``parking_counts`` is true; when it is
null and the roll has parking units, N and A are undeterminable and ``roll.totals`` must say null. N is
the number of distinct person keys among the counted units, A the sum of their areas. Units are
identified by (building, unit); a participating person must have every counted unit listed in
``participation``, and each effective ballot must weigh (1, the area of that person's counted units).
All unsold and undelivered units must share one person key (the developer counts as one person).

Published at opening: the public roll fingerprint of the frozen snapshot is made public when voting
opens (``snapshot_public_fingerprint``), before any ballot is counted. A record that carries it as
``roll.published_fingerprint`` must have a roll whose recomputed public fingerprint equals it, and
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
from collections import Counter
from dataclasses import dataclass, field

from agora.ballots.chain import GENESIS, LedgerEntry, effective, verify_chain
from agora.ballots.tally import CountedBallot, DeemedParticipation, _fmt_area, result_to_json, tally_owners
from agora.i18n import _

FORMAT = "agora-resolution/1"
KINDS = ("home", "parking", "shop")
STATUSES = ("owned", "unsold", "undelivered")
DEVELOPER_STATUSES = ("unsold", "undelivered")
MAJOR_ITEMS = (6, 7, 8)
ORDINARY_ITEMS = (1, 2, 3, 4, 5, 9)

_AREA = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")


class _Bad(Exception):
    """A part of the record is malformed; the message says which and why."""


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    recount: dict = field(default_factory=dict)


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


def _int(item: dict, key: str, where: str, *, nullable: bool = False) -> int | None:
    value = item.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(_("{where}: {key} must be an integer.", where=where, key=key))
    return value


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


def snapshot_public_fingerprint(snapshot: object) -> str:
    """The public roll fingerprint of a frozen roll snapshot, as its resolution record will state it.

    This is the value to publish when voting opens; it is computed from the public units exactly as
    the record's ``roll.public_fingerprint`` is, so a copy taken at opening can be checked at the end.
    """
    from agora.ballots.electorate import public_units

    return public_roll_fingerprint(public_units(snapshot), snapshot.parking_counts)  # type: ignore[arg-type,attr-defined]


def _normal_fingerprint(value: str) -> str:
    return value.strip().lower()


@dataclass
class _Roll:
    by_key: dict[tuple[str, str], _Unit]
    counted: list[_Unit]
    persons_total: int | None
    area_cents_total: int | None
    weights: dict[str, int]  # person key -> area of all their counted units


def _check_roll(roll: object, problems: list[str], expected_roll: str | None = None) -> _Roll:
    if not isinstance(roll, dict):
        raise _Bad(_("The record has no roll."))
    parking_counts = roll.get("parking_counts")
    if parking_counts is not None and not isinstance(parking_counts, bool):
        raise _Bad(_("roll.parking_counts must be true, false or null."))
    units = _parse_units(roll.get("units"))
    recomputed = _fingerprint(units, parking_counts)
    if roll.get("public_fingerprint") != recomputed:
        problems.append(_("The roll does not match its public fingerprint."))
    published = roll.get("published_fingerprint")
    if published is not None and (
        not isinstance(published, str) or _normal_fingerprint(published) != recomputed
    ):
        problems.append(
            _(
                "The roll is not the one published when voting opened (fingerprint {published}).",
                published=json.dumps(published, ensure_ascii=False),
            )
        )
    if expected_roll is not None and _normal_fingerprint(expected_roll) != recomputed:
        problems.append(
            _(
                "The roll's fingerprint {fingerprint} is not the expected {expected}.",
                fingerprint=recomputed,
                expected=expected_roll,
            )
        )
    by_key: dict[tuple[str, str], _Unit] = {}
    for unit in units:
        if (unit.building, unit.unit) in by_key:
            problems.append(_("Unit {unit} appears twice in the roll.", unit=f"{unit.building}/{unit.unit}"))
        by_key[(unit.building, unit.unit)] = unit
    developer = {unit.person for unit in units if unit.status in DEVELOPER_STATUSES}
    if len(developer) > 1:
        problems.append(
            _("Unsold and undelivered units must count as one person, the roll has {n}.", n=len(developer))
        )
    counted = [unit for unit in units if unit.kind != "parking" or parking_counts is True]
    weights: dict[str, int] = {}
    for unit in counted:
        weights[unit.person] = weights.get(unit.person, 0) + unit.area_cents
    determinable = parking_counts is not None or all(unit.kind != "parking" for unit in units)
    persons_total = len(weights) if determinable else None
    area_total = sum(weights.values()) if determinable else None
    totals = roll.get("totals") if isinstance(roll.get("totals"), dict) else {}
    claimed_area = totals.get("area")
    recounted_area = None if area_total is None else _fmt_area(area_total)
    if totals.get("persons") != persons_total or claimed_area != recounted_area:
        problems.append(
            _(
                "The roll totals say {persons} persons and {area} m², the units give {n} and {a}.",
                persons=totals.get("persons"),
                area=claimed_area,
                n=persons_total,
                a=recounted_area,
            )
        )
    return _Roll(by_key, counted, persons_total, area_total, weights)


def _check_proposal(record: dict, problems: list[str]) -> tuple[int, str]:
    proposal = record.get("proposal")
    if not isinstance(proposal, dict):
        raise _Bad(_("The record has no proposal."))
    proposal_id = _int(proposal, "id", "proposal")
    matter = proposal.get("matter")
    item = proposal.get("item")
    if matter not in ("major", "ordinary"):
        raise _Bad(_("proposal.matter must be major or ordinary."))
    if item not in (MAJOR_ITEMS if matter == "major" else ORDINARY_ITEMS) or isinstance(item, bool):
        problems.append(
            _("Art. 278 item {item} does not agree with a {matter} matter.", item=item, matter=matter)
        )
    body = proposal.get("body")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest() if isinstance(body, str) else None
    if digest is None or digest != proposal.get("body_sha256"):
        problems.append(_("The text of the proposal does not match its hash."))
    return proposal_id, matter


def _parse_entry(item: object, index: int) -> LedgerEntry:
    where = _("ledger entry {index}", index=index)
    if not isinstance(item, dict):
        raise _Bad(_("{where}: not an object.", where=where))
    return LedgerEntry(
        seq=_int(item, "seq", where),
        receipt_hash=_string(item, "receipt_hash", where),
        choice=_string(item, "choice", where),
        persons=_int(item, "persons", where),
        area_cents=_cents(item.get("area"), where),
        channel=_string(item, "channel", where),
        at=_string(item, "at", where),
        replaces=_int(item, "replaces", where, nullable=True),
        prev=_string(item, "prev", where),
        hash=_string(item, "hash", where),
    )


def _check_ledger(record: dict, proposal_id: int, expected_head: str | None, problems: list[str]):
    ledger = record.get("ledger")
    if not isinstance(ledger, dict) or not isinstance(ledger.get("entries"), list):
        raise _Bad(_("The record has no ledger entries."))
    entries = [_parse_entry(item, index) for index, item in enumerate(ledger["entries"])]
    problems.extend(verify_chain(proposal_id, entries))
    last = entries[-1].hash if entries else GENESIS
    if ledger.get("head") != last:
        problems.append(
            _("The ledger head {head} is not the hash of its last entry.", head=ledger.get("head"))
        )
    if "head" in record and record["head"] != ledger.get("head"):
        problems.append(_("The record's head {head} is not its ledger's head.", head=record.get("head")))
    if expected_head is not None and expected_head.strip().lower() != ledger.get("head"):
        problems.append(
            _(
                "The ledger head {head} is not the expected head {expected}.",
                head=ledger.get("head"),
                expected=expected_head,
            )
        )
    return entries


def _unit_of(roll: _Roll, row: object) -> _Unit | None:
    """The roll unit a published row names by building and unit, if it is one."""
    key = (row.get("building"), row.get("unit")) if isinstance(row, dict) else None
    return roll.by_key.get(key) if key and all(isinstance(part, str) for part in key) else None


def _deemed(record: dict, roll: _Roll, voters: set[str], problems: list[str]) -> DeemedParticipation | None:
    spec = record.get("deemed_participation")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("units"), list):
        raise _Bad(_("deemed_participation must name its clause and units."))
    persons: dict[str, None] = {}
    for index, item in enumerate(spec["units"]):
        unit = _unit_of(roll, item)
        if unit is None or unit.person not in roll.weights:
            problems.append(_("Deemed unit {index} is not a counted unit of the roll.", index=index))
        elif unit.person in voters:
            problems.append(_("Deemed unit {index} belongs to an owner who voted.", index=index))
        else:
            persons[unit.person] = None
    ballots = [CountedBallot("abstain", 1, roll.weights[person]) for person in persons]
    return DeemedParticipation(str(spec.get("clause") or ""), ballots)


def _check_participation(record: dict, roll: _Roll, counted: list[LedgerEntry], problems: list[str]) -> set:
    """The published participating units against the roll and against the ledger's weights."""
    rows = record.get("participation")
    if not isinstance(rows, list):
        raise _Bad(_("The record has no participation list."))
    seen: set[tuple[str, str]] = set()
    listed_area = 0
    voters: set[str] = set()
    for index, row in enumerate(rows):
        where = _("participation row {index}", index=index)
        unit = _unit_of(roll, row)
        if unit is None or unit.person not in roll.weights:
            problems.append(_("{where}: not a counted unit of the roll.", where=where))
            continue
        key = (unit.building, unit.unit)
        if key in seen:
            problems.append(_("{where}: unit listed twice.", where=where))
            continue
        seen.add(key)
        try:
            area = _cents(row.get("area"), where)
        except _Bad as error:
            problems.append(str(error))
            area = unit.area_cents
        listed_area += area
        if area != unit.area_cents:
            problems.append(_("{where}: area differs from the roll.", where=where))
        voters.add(unit.person)
    missing = [u for u in roll.counted if u.person in voters and (u.building, u.unit) not in seen]
    if missing:
        problems.append(
            _(
                "Units of participating owners missing from the participation list: {units}.",
                units=", ".join(f"{u.building}/{u.unit}" for u in missing),
            )
        )
    ledger_persons = sum(entry.persons for entry in counted)
    ledger_area = sum(entry.area_cents for entry in counted)
    if len(voters) != ledger_persons or listed_area != ledger_area:
        problems.append(
            _(
                "The participation list has {n} persons and {a} m², the ledger {ln} and {la} m².",
                n=len(voters),
                a=_fmt_area(listed_area),
                ln=ledger_persons,
                la=_fmt_area(ledger_area),
            )
        )
    if roll.persons_total is not None:
        weights = Counter((1, roll.weights[person]) for person in voters)
        if weights != Counter((entry.persons, entry.area_cents) for entry in counted):
            problems.append(_("The ballots' weights do not match the participating owners' weights."))
    return voters


def _compare(path: str, claimed: object, recounted: object, problems: list[str]) -> None:
    if isinstance(claimed, dict) and isinstance(recounted, dict):
        for key in sorted(set(claimed) | set(recounted)):
            _compare(f"{path}.{key}", claimed.get(key), recounted.get(key), problems)
    elif isinstance(claimed, list) and isinstance(recounted, list) and len(claimed) == len(recounted):
        for index, (mine, theirs) in enumerate(zip(claimed, recounted, strict=True)):
            _compare(f"{path}[{index}]", mine, theirs, problems)
    elif claimed != recounted or type(claimed) is not type(recounted):
        problems.append(
            _(
                "{path}: the record says {claimed}, the recount gives {recounted}.",
                path=path,
                claimed=json.dumps(claimed, ensure_ascii=False),
                recounted=json.dumps(recounted, ensure_ascii=False),
            )
        )


def verify_record(
    record: dict, *, expected_head: str | None = None, expected_roll: str | None = None
) -> VerifyReport:
    """Check a resolution record end to end; ``ok`` only when no problem at all was found.

    ``expected_head`` is a head hash obtained independently (e.g. as posted on the notice board at
    close): without it, a consistently rewritten chain would still hold together. ``expected_roll`` is
    the public roll fingerprint published when voting opened: without it (or the record's own
    ``roll.published_fingerprint``), a roll rewritten before the close consistently with its totals
    would still hold together.
    """
    problems: list[str] = []
    recount: dict = {}
    if not isinstance(record, dict):
        return VerifyReport(False, [_("The record is not a JSON object.")], recount)
    if record.get("format") != FORMAT:
        problems.append(_("Unknown record format {format}.", format=record.get("format")))
    try:
        proposal_id, matter = _check_proposal(record, problems)
        roll = _check_roll(record.get("roll"), problems, expected_roll)
        entries = _check_ledger(record, proposal_id, expected_head, problems)
        counted = effective(entries)
        receipts = Counter(entry.receipt_hash for entry in counted)
        if any(n > 1 for n in receipts.values()):
            problems.append(_("Two effective ballots carry the same receipt."))
        voters = _check_participation(record, roll, counted, problems)
        deemed = _deemed(record, roll, voters, problems)
        ballots = [CountedBallot(entry.choice, entry.persons, entry.area_cents) for entry in counted]
        try:
            tally = tally_owners(matter, roll.persons_total, roll.area_cents_total, ballots, deemed=deemed)
        except ValueError as error:
            raise _Bad(_("The ledger cannot be counted: {error}", error=str(error))) from None
        recount = result_to_json(tally)
        claimed = record.get("result")
        if not isinstance(claimed, dict):
            raise _Bad(_("The record has no result."))
        # Extra top-level keys (e.g. channel counts) are the app's to add; every recounted one must agree.
        _compare("result", {key: claimed.get(key) for key in recount}, recount, problems)
    except _Bad as error:
        problems.append(str(error))
    return VerifyReport(not problems, problems, recount)

"""``agora verify``: check a resolution record end to end, trusting none of its figures.

Independent of the server: this package imports nothing from agora but ``agora.i18n`` (to speak the
reader's language). Its hash chain, roll fingerprint, recount and proof checks are written again here
from the published formats (``docs/verify.md``); ``tests/verifier/test_independence.py`` parses the
imports and fails if that changes. A fault in the server's counting is therefore not repeated here.

Checked, in order: the plan's hash and art. 278 item; the roll (public fingerprint, published
fingerprint, N and A, the developer as one person); the scope (a maintenance-fund spend's roll is exactly
the units it charges, an entrance's roll that entrance); the ledger (seq 1..n, links, each hash, replacements,
the head, the entry count published at close, ``--head``); the participation list against the roll and
the ballots' weights; then the count -- plain ballots are summed, secret ballots are checked (every proof)
and summed on their ciphertexts, and each decrypted total's proof is checked -- and every figure of the
claimed result is compared with the recount.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from agora.i18n import _
from agora.verifier.count import CHOICES, Uncountable, area_text, recount
from agora.verifier.procedure import check_procedure
from agora.verifier.proofs import ERRORS, check_and_sum, decryption_holds, election_bytes, point_ok

FORMAT = "agora-resolution/1"
ZEROS = "0" * 64
CHANNELS = ("online", "paper", "proxy")
WITHDRAWN = "withdrawn"  # a mistaken paper ballot taken back (docs/verify.md)
KINDS = ("home", "parking", "shop", "stall")
FOLLOWS_PARKING = ("parking", "stall")  # stalls count as the parking setting says
STATUSES = ("owned", "unsold", "undelivered")
ITEMS = {"major": (6, 7, 8), "ordinary": (1, 2, 3, 4, 5, 9)}
UNANIMOUS = "unanimous"  # art. 279 (住改商): decided by the interested owners' consents, not by ballots

_AREA = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"(?:[0-9a-f]{2})*")


class Broken(Exception):
    """A part of the record is malformed beyond checking further; the message says which."""


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    recount: dict = field(default_factory=dict)


@dataclass(slots=True)
class Entry:
    seq: int
    receipt: str
    choice: str | None  # None for a secret ballot
    ciphertext: bytes
    proof: bytes
    persons: int
    area: int
    channel: str
    at: str
    replaces: int | None
    prev: str
    hash: str


# -- parsing -----------------------------------------------------------------------------------------


def cents(value: object, where: str) -> int:
    if not isinstance(value, str) or not _AREA.fullmatch(value):
        raise Broken(
            _(
                "{where}: an area must be a decimal string with two places, not {value}.",
                where=where,
                value=json.dumps(value, ensure_ascii=False),
            )
        )
    whole, part = value.split(".")
    return int(whole) * 100 + int(part)


def text(item: dict, key: str, where: str, empty: bool = False) -> str:
    value = item.get(key)
    if value is None and empty:
        return ""
    if not isinstance(value, str) or (not value and not empty):
        raise Broken(_("{where}: {key} must be a non-empty string.", where=where, key=key))
    return value


def integer(item: dict, key: str, where: str, nullable: bool = False) -> int | None:
    value = item.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Broken(_("{where}: {key} must be an integer.", where=where, key=key))
    return value


def hexbytes(item: dict, key: str, where: str) -> bytes:
    value = item.get(key)
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise Broken(_("{where}: {key} must be lowercase hexadecimal.", where=where, key=key))
    return bytes.fromhex(value)


# -- the plan and the roll ----------------------------------------------------------------------------


def check_plan(record: dict, problems: list[str]) -> tuple[int, str]:
    plan = record.get("proposal")
    if not isinstance(plan, dict):
        raise Broken(_("The record has no proposal."))
    proposal_id = integer(plan, "id", "proposal")
    matter, item = plan.get("matter"), plan.get("item")
    if matter == UNANIMOUS:
        affected = plan.get("affected")
        if (
            not isinstance(affected, list)
            or not affected
            or not all(isinstance(ref, str) and ref for ref in affected)
            or len(set(affected)) != len(affected)
        ):
            problems.append(_("An art. 279 matter lists the interested owners whose consent it needs."))
        if item is not None:
            problems.append(_("An art. 279 matter applies no art. 278 item."))
    elif matter not in ITEMS:
        raise Broken(_("proposal.matter must be major, ordinary or unanimous."))
    elif isinstance(item, bool) or item not in ITEMS[matter]:
        problems.append(
            _("Art. 278 item {item} does not agree with a {matter} matter.", item=item, matter=matter)
        )
    body = plan.get("body")
    if not isinstance(body, str) or hashlib.sha256(body.encode("utf-8")).hexdigest() != plan.get(
        "body_sha256"
    ):
        problems.append(_("The text of the proposal does not match its hash."))
    return proposal_id, matter  # type: ignore[return-value]


@dataclass
class Roll:
    units: dict[tuple[str, str], tuple]  # (building, unit) -> (entrance, area, kind, status, person)
    counted: list[tuple[str, str, str]]  # (building, unit, person) of counted units
    weight: dict[str, int]  # person -> area of their counted units
    n_total: int | None
    a_total: int | None


def check_roll(roll: object, problems: list[str], expected: str | None) -> Roll:
    if not isinstance(roll, dict):
        raise Broken(_("The record has no roll."))
    parking = roll.get("parking_counts")
    if parking is not None and not isinstance(parking, bool):
        raise Broken(_("roll.parking_counts must be true, false or null."))
    items = roll.get("units")
    if not isinstance(items, list):
        raise Broken(_("roll.units must be a list."))
    rows = []
    for index, item in enumerate(items):
        where = _("roll unit {index}", index=index)
        if not isinstance(item, dict):
            raise Broken(_("{where}: not an object.", where=where))
        row = (
            text(item, "building", where),
            text(item, "entrance", where, empty=True),
            text(item, "unit", where),
            cents(item.get("area"), where),
            text(item, "kind", where),
            text(item, "status", where),
            text(item, "person", where),
        )
        if row[4] not in KINDS or row[5] not in STATUSES:
            raise Broken(_("{where}: unknown kind or status.", where=where))
        rows.append(row)
    canonical = json.dumps(
        {"parking_counts": parking, "units": sorted(list(row) for row in rows)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    if roll.get("public_fingerprint") != fingerprint:
        problems.append(_("The roll does not match its public fingerprint."))
    published = roll.get("published_fingerprint")
    if published is not None and (not isinstance(published, str) or published.strip().lower() != fingerprint):
        problems.append(
            _(
                "The roll is not the one published when voting opened (fingerprint {published}).",
                published=json.dumps(published, ensure_ascii=False),
            )
        )
    if expected is not None and expected.strip().lower() != fingerprint:
        problems.append(
            _(
                "The roll's fingerprint {fingerprint} is not the expected {expected}.",
                fingerprint=fingerprint,
                expected=expected,
            )
        )
    units: dict[tuple[str, str], tuple] = {}
    for building, entrance, unit, area, kind, status, person in rows:
        if (building, unit) in units:
            problems.append(_("Unit {unit} appears twice in the roll.", unit=f"{building}/{unit}"))
        units[(building, unit)] = (entrance, area, kind, status, person)
    developer = {row[6] for row in rows if row[5] != "owned"}
    if len(developer) > 1:
        problems.append(
            _("Unsold and undelivered units must count as one person, the roll has {n}.", n=len(developer))
        )
    weight: dict[str, int] = {}
    counted = []
    for building, _entrance, unit, area, kind, _status, person in rows:
        if kind in FOLLOWS_PARKING and parking is not True:
            continue
        weight[person] = weight.get(person, 0) + area
        counted.append((building, unit, person))
    known = parking is not None or not any(row[4] in FOLLOWS_PARKING for row in rows)
    n_total = len(weight) if known else None
    a_total = sum(weight.values()) if known else None
    claimed = roll.get("totals")
    if not isinstance(claimed, dict):
        claimed = {}
    a_text = None if a_total is None else area_text(a_total)
    if claimed.get("persons") != n_total or claimed.get("area") != a_text:
        problems.append(
            _(
                "The roll totals say {persons} persons and {area} m², the units give {n} and {a}.",
                persons=claimed.get("persons"),
                area=claimed.get("area"),
                n=n_total,
                a=a_text,
            )
        )
    return Roll(units, counted, weight, n_total, a_total)


def _names(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
        raise Broken(_("{where} must be a list of units (building/unit).", where=where))
    return value


def check_scope(record: dict, roll: Roll, problems: list[str]) -> None:
    """The frozen roll is the scope the record states: a maintenance-fund spend's roll is exactly the
    units it charges (as the proposal lists them, and as frozen), an entrance's roll that entrance."""
    scope = record.get("scope")
    if scope is None:
        return
    if not isinstance(scope, dict):
        raise Broken(_("The record's scope must be an object."))
    plan = record.get("proposal") or {}
    listed = plan.get("charged_units")
    frozen = scope.get("charged_units")
    if listed is None and frozen is None and scope.get("kind") != "charged":
        entrance = scope.get("entrance")
        if isinstance(entrance, str) and entrance:
            others = sorted(f"{b}/{u}" for (b, u), row in roll.units.items() if row[0] != entrance)
            if others:
                problems.append(
                    _(
                        "The vote was of entrance {entrance}, but the roll holds units of other entrances: "
                        "{units}.",
                        entrance=entrance,
                        units=", ".join(others),
                    )
                )
        return
    if listed is None or frozen is None or scope.get("kind") != "charged":
        problems.append(
            _("The record does not say the same maintenance-fund scope in its proposal and its scope.")
        )
        return
    listed = _names(listed, "proposal.charged_units")
    frozen = _names(frozen, "scope.charged_units")
    if len(set(listed)) != len(listed):
        problems.append(_("A unit is listed twice among the units charged by the spend."))
    if sorted(set(listed)) != sorted(set(frozen)):
        problems.append(_("The units charged by the spend differ between the proposal and the frozen scope."))
    on_roll = {f"{building}/{unit}" for building, unit in roll.units}
    missing = sorted(set(listed) - on_roll)
    extra = sorted(on_roll - set(listed))
    if missing:
        problems.append(
            _("Units charged by the spend are missing from the roll: {units}.", units=", ".join(missing))
        )
    if extra:
        problems.append(_("The roll holds units the spend does not charge: {units}.", units=", ".join(extra)))


# -- the ledger ---------------------------------------------------------------------------------------


def entry_text(proposal_id: int, entry: Entry) -> str:
    """The canonical text of an entry: ``agora-ledger/1`` (plain) or ``agora-ledger/2`` (secret)."""
    if entry.choice is not None:
        middle = [f"choice={entry.choice}"]
        version = "agora-ledger/1"
    else:
        middle = [f"ciphertext={entry.ciphertext.hex()}", f"proof={entry.proof.hex()}"]
        version = "agora-ledger/2"
    lines = [
        version,
        f"proposal={proposal_id}",
        f"seq={entry.seq}",
        f"receipt={entry.receipt}",
        *middle,
        f"persons={entry.persons}",
        f"area={entry.area}",
        f"channel={entry.channel}",
        f"at={entry.at}",
        "replaces=" + ("" if entry.replaces is None else str(entry.replaces)),
        f"prev={entry.prev}",
    ]
    return "\n".join(lines)


def parse_entry(item: object, index: int, secret: bool) -> Entry:
    where = _("ledger entry {index}", index=index)
    if not isinstance(item, dict):
        raise Broken(_("{where}: not an object.", where=where))
    seq = integer(item, "seq", where)
    if secret:
        if "choice" in item:
            raise Broken(_("{where}: a secret ballot must not show its choice.", where=where))
        choice, ciphertext, proof = None, hexbytes(item, "ciphertext", where), hexbytes(item, "proof", where)
    else:
        choice, ciphertext, proof = text(item, "choice", where), b"", b""
    entry = Entry(
        seq,  # type: ignore[arg-type]
        text(item, "receipt_hash", where),
        choice,
        ciphertext,
        proof,
        integer(item, "persons", where),  # type: ignore[arg-type]
        cents(item.get("area"), where),
        text(item, "channel", where),
        text(item, "at", where),
        integer(item, "replaces", where, nullable=True),
        text(item, "prev", where),
        text(item, "hash", where),
    )
    for name in ("choice", "channel", "at"):
        value = getattr(entry, name)
        if value is not None and ("\n" in value or "\r" in value):
            raise Broken(_("{where}: {key} must be a non-empty string.", where=where, key=name))
    return entry


def check_chain(proposal_id: int, entries: list[Entry], problems: list[str]) -> None:
    prev = ZEROS
    seen: dict[int, Entry] = {}
    replaced_by: dict[int, int] = {}
    for position, entry in enumerate(entries, start=1):
        seq = entry.seq
        if seq != position:
            problems.append(
                _(
                    "Entry at position {position} has seq {seq}, expected {position}.",
                    position=position,
                    seq=seq,
                )
            )
        if entry.prev != prev:
            problems.append(
                _("Entry {seq} does not link to the entry before it (prev {prev}).", seq=seq, prev=entry.prev)
            )
        if not _HEX64.fullmatch(entry.receipt) or not _HEX64.fullmatch(entry.prev):
            problems.append(_("Entry {seq} is malformed: {error}", seq=seq, error="receipt/prev"))
        elif hashlib.sha256(entry_text(proposal_id, entry).encode("utf-8")).hexdigest() != entry.hash:
            problems.append(_("Entry {seq} does not match its hash.", seq=seq))
        if entry.channel not in CHANNELS:
            problems.append(
                _("Entry {seq} has an unknown channel {channel}.", seq=seq, channel=entry.channel)
            )
        if withdrawn(entry) and entry.replaces is None:
            problems.append(_("Entry {seq} withdraws no earlier entry.", seq=seq))
        if entry.replaces is not None:
            target = seen.get(entry.replaces)
            if target is None or entry.replaces >= seq:
                problems.append(
                    _(
                        "Entry {seq} replaces {target}, which is not an earlier entry.",
                        seq=seq,
                        target=entry.replaces,
                    )
                )
            elif entry.replaces in replaced_by:
                problems.append(
                    _(
                        "Entry {seq} replaces {target}, already replaced by entry {other}.",
                        seq=seq,
                        target=entry.replaces,
                        other=replaced_by[entry.replaces],
                    )
                )
            else:
                replaced_by[entry.replaces] = seq
                if withdrawn(entry) and (
                    target.channel not in ("paper", "proxy") or target.channel != entry.channel
                ):
                    problems.append(
                        _(
                            "Entry {seq} withdraws {target}, "
                            "which is not a paper or proxy ballot of its channel.",
                            seq=seq,
                            target=entry.replaces,
                        )
                    )
                if (target.persons, target.area) != (entry.persons, entry.area):
                    problems.append(
                        _(
                            "Entry {seq} replaces {target} with a different weight.",
                            seq=seq,
                            target=entry.replaces,
                        )
                    )
        seen.setdefault(seq, entry)
        prev = entry.hash


def check_ledger(
    record: dict, proposal_id: int, secret: bool, expected_head: str | None, problems: list[str]
) -> list[Entry]:
    ledger = record.get("ledger")
    if not isinstance(ledger, dict) or not isinstance(ledger.get("entries"), list):
        raise Broken(_("The record has no ledger entries."))
    entries = [parse_entry(item, index, secret) for index, item in enumerate(ledger["entries"])]
    check_chain(proposal_id, entries, problems)
    head = ledger.get("head")
    if head != (entries[-1].hash if entries else ZEROS):
        problems.append(_("The ledger head {head} is not the hash of its last entry.", head=head))
    if "head" in record and record["head"] != head:
        problems.append(_("The record's head {head} is not its ledger's head.", head=record.get("head")))
    if "entry_count" in record and record["entry_count"] != len(entries):
        problems.append(
            _(
                "The record says {count} entries were published at close, the ledger has {n}.",
                count=record.get("entry_count"),
                n=len(entries),
            )
        )
    if expected_head is not None and expected_head.strip().lower() != head:
        problems.append(
            _(
                "The ledger head {head} is not the expected head {expected}.",
                head=head,
                expected=expected_head,
            )
        )
    return entries


def withdrawn(entry: Entry) -> bool:
    """A withdrawal: ``choice=withdrawn``, or on a secret vote no envelope (ciphertext and proof ``00``)."""
    if entry.choice is None:
        return entry.ciphertext == entry.proof == b"\x00"
    return entry.choice == WITHDRAWN


def effective(entries: list[Entry]) -> list[Entry]:
    """The entries that count: not replaced by a later one, and not a withdrawal (``choice=withdrawn``,
    a mistaken paper ballot taken back: that owner takes no part unless a later entry votes again)."""
    replaced = {entry.replaces for entry in entries if entry.replaces is not None}
    return [entry for entry in entries if entry.seq not in replaced and not withdrawn(entry)]


# -- participation and the count ----------------------------------------------------------------------


def _unit(roll: Roll, row: object) -> tuple | None:
    if not isinstance(row, dict):
        return None
    key = (row.get("building"), row.get("unit"))
    return roll.units.get(key) if all(isinstance(part, str) for part in key) else None  # type: ignore[arg-type]


def check_participation(record: dict, roll: Roll, counted: list[Entry], problems: list[str]) -> set[str]:
    rows = record.get("participation")
    if not isinstance(rows, list):
        raise Broken(_("The record has no participation list."))
    seen: set[tuple[str, str]] = set()
    listed = 0
    voters: set[str] = set()
    for index, row in enumerate(rows):
        where = _("participation row {index}", index=index)
        unit = _unit(roll, row)
        if unit is None or unit[4] not in roll.weight:
            problems.append(_("{where}: not a counted unit of the roll.", where=where))
            continue
        key = (row["building"], row["unit"])
        if key in seen:
            problems.append(_("{where}: unit listed twice.", where=where))
            continue
        seen.add(key)
        try:
            area = cents(row.get("area"), where)
        except Broken as error:
            problems.append(str(error))
            area = unit[1]
        listed += area
        if area != unit[1]:
            problems.append(_("{where}: area differs from the roll.", where=where))
        voters.add(unit[4])
    missing = [f"{b}/{u}" for b, u, person in roll.counted if person in voters and (b, u) not in seen]
    if missing:
        problems.append(
            _(
                "Units of participating owners missing from the participation list: {units}.",
                units=", ".join(missing),
            )
        )
    ledger_persons = sum(entry.persons for entry in counted)
    ledger_area = sum(entry.area for entry in counted)
    if len(voters) != ledger_persons or listed != ledger_area:
        problems.append(
            _(
                "The participation list has {n} persons and {a} m², the ledger {ln} and {la} m².",
                n=len(voters),
                a=area_text(listed),
                ln=ledger_persons,
                la=area_text(ledger_area),
            )
        )
    if roll.n_total is not None:
        if Counter((1, roll.weight[p]) for p in voters) != Counter((e.persons, e.area) for e in counted):
            problems.append(_("The ballots' weights do not match the participating owners' weights."))
    return voters


def deemed_of(record: dict, roll: Roll, voters: set[str], problems: list[str]) -> tuple[str, int, int] | None:
    spec = record.get("deemed_participation")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("units"), list):
        raise Broken(_("deemed_participation must name its clause and units."))
    persons: set[str] = set()
    for index, row in enumerate(spec["units"]):
        unit = _unit(roll, row)
        if unit is None or unit[4] not in roll.weight:
            problems.append(_("Deemed unit {index} is not a counted unit of the roll.", index=index))
        elif unit[4] in voters:
            problems.append(_("Deemed unit {index} belongs to an owner who voted.", index=index))
        else:
            persons.add(unit[4])
    return str(spec.get("clause") or ""), len(persons), sum(roll.weight[p] for p in persons)


def plain_sums(counted: list[Entry]) -> dict[str, list[int]]:
    sums = {key: [0, 0] for key in CHOICES}
    for entry in counted:
        if entry.choice not in sums:
            raise Uncountable(f"unknown choice {entry.choice!r} for an owners' matter")
        sums[entry.choice][0] += entry.persons
        sums[entry.choice][1] += entry.area
    return sums


def secret_sums(record: dict, proposal_id: int, roll: Roll, counted: list[Entry], problems: list[str]):
    """Check every ballot's proofs and each total's decryption; the per-choice sums the record claims,
    or None when they could not be established."""
    election = record.get("election")
    if not isinstance(election, dict) or election.get("choices") != list(CHOICES):
        raise Broken(_("A secret vote's record must name its election key and choices."))
    public = hexbytes(election, "public_key", "election")
    if not point_ok(public):
        raise Broken(_("The election's public key is not a valid group element."))
    tag = election_bytes(proposal_id)
    if election.get("id") != tag.decode("ascii"):
        problems.append(_("The election id {id} does not name this proposal.", id=election.get("id")))
    k = len(CHOICES)
    if any(not _HEX64.fullmatch(e.receipt) for e in counted):  # reported as malformed by the chain check
        raise Broken(_("The encrypted ballots cannot be added up."))
    items = [(e.seq, bytes.fromhex(e.receipt), e.ciphertext, e.proof, e.persons, e.area) for e in counted]
    try:
        failing, by_persons, by_area = check_and_sum(tag, public, k, items)
    except (*ERRORS, IndexError):
        raise Broken(_("The encrypted ballots cannot be added up.")) from None
    for seq in failing:
        problems.append(_("The encrypted ballot of entry {seq} is not proven well formed.", seq=seq))
    totals = {"persons": by_persons, "area": by_area}
    claimed = record.get("result")
    if not isinstance(claimed, dict):
        claimed = {}
    choices = claimed.get("choices")
    if not isinstance(choices, dict):
        choices = {}
    decryption = record.get("decryption")
    if not isinstance(decryption, dict):
        decryption = {}
    sums = {key: [0, 0] for key in CHOICES}
    for index, key in enumerate(CHOICES):
        figures = choices.get(key)
        if not isinstance(figures, dict):
            figures = {}
        for column, (kind, unit_of) in enumerate((("persons", None), ("area", "area"))):
            where = f"decryption.{kind}.{key}"
            raw = figures.get(kind)
            try:
                value = cents(raw, where) if unit_of else integer(figures, kind, where)
            except Broken:
                value = None
            part = decryption.get(kind, {}).get(key) if isinstance(decryption.get(kind), dict) else None
            a, b = totals[kind][index]
            if not isinstance(part, dict) or value is None:
                problems.append(_("The record has no proven total for {what}.", what=where))
                continue
            try:
                stated = hexbytes(part, "ciphertext", where)
                share, proof = hexbytes(part, "share", where), hexbytes(part, "proof", where)
            except Broken as error:
                problems.append(str(error))
                continue
            if stated != a + b:
                problems.append(_("{what}: the ballots do not add up to the published total.", what=where))
            label = f"{kind}:{key}".encode("ascii")
            if not decryption_holds(tag, public, label, a, b, share, proof, value):
                problems.append(
                    _(
                        "{what}: the decryption of the total is not proven to be {value}.",
                        what=where,
                        value=raw,
                    )
                )
            sums[key][column] = value
    return sums


def compare(path: str, claimed: object, recounted: object, problems: list[str]) -> None:
    if isinstance(claimed, dict) and isinstance(recounted, dict):
        for key in sorted(set(claimed) | set(recounted)):
            compare(f"{path}.{key}", claimed.get(key), recounted.get(key), problems)
    elif isinstance(claimed, list) and isinstance(recounted, list) and len(claimed) == len(recounted):
        for index, (mine, theirs) in enumerate(zip(claimed, recounted, strict=True)):
            compare(f"{path}[{index}]", mine, theirs, problems)
    elif claimed != recounted or type(claimed) is not type(recounted):
        problems.append(
            _(
                "{path}: the record says {claimed}, the recount gives {recounted}.",
                path=path,
                claimed=json.dumps(claimed, ensure_ascii=False),
                recounted=json.dumps(recounted, ensure_ascii=False),
            )
        )


def check_unanimous(record: dict, entries: list[Entry], problems: list[str]) -> dict:
    """An art. 279 record: no ballot, no participation; the outcome is the consents' (every interested
    owner consented, or no decision made), which `check_procedure` re-derives from each owner's answer.
    Returns what the check found, for the report."""
    if entries:
        problems.append(
            _("An art. 279 matter is decided by consents, not ballots: its ledger must be empty.")
        )
    if record.get("participation") not in ([], None):
        problems.append(
            _("An art. 279 matter is decided by consents, not ballots: nobody took part in a vote.")
        )
    consents = record.get("consents")
    counts = consents if isinstance(consents, dict) else {}
    required, consented = counts.get("required"), counts.get("consented")
    outcome = (
        "passed" if isinstance(required, int) and required > 0 and consented == required else "no_decision"
    )
    claimed = record.get("result")
    if not isinstance(claimed, dict):
        raise Broken(_("The record has no result."))
    compare("result.outcome", claimed.get("outcome"), outcome, problems)
    return {
        "outcome": outcome,
        "consents": {key: counts.get(key) for key in ("required", "consented", "refused", "pending")},
    }


def verify_record(
    record: dict,
    *,
    expected_head: str | None = None,
    expected_roll: str | None = None,
    expected_rules: str | None = None,
) -> VerifyReport:
    """Check a resolution record end to end; ``ok`` only when no problem at all was found.

    ``expected_head`` is the head published at close (the notice, the PDF): without it a ledger rewritten
    consistently would still hold together. ``expected_roll`` is the roll fingerprint published at opening,
    ``expected_rules`` the rules' fingerprint published with the notice.
    """
    problems: list[str] = []
    result: dict = {}
    if not isinstance(record, dict):
        return VerifyReport(False, [_("The record is not a JSON object.")], result)
    if record.get("format") != FORMAT:
        problems.append(_("Unknown record format {format}.", format=record.get("format")))
    secrecy = record.get("secrecy", "named")
    try:
        if secrecy not in ("named", "secret"):
            raise Broken(_("Unknown ballot secrecy {secrecy}.", secrecy=secrecy))
        proposal_id, matter = check_plan(record, problems)
        roll = check_roll(record.get("roll"), problems, expected_roll)
        check_scope(record, roll, problems)
        entries = check_ledger(record, proposal_id, secrecy == "secret", expected_head, problems)
        if matter == UNANIMOUS:
            result = check_unanimous(record, entries, problems)
            check_procedure(
                record,
                problems,
                matter=matter,
                counted_outcome=None,
                replaced_any=False,
                expected_rules=expected_rules,
            )
            return VerifyReport(not problems, problems, result)
        counted = effective(entries)
        if any(n > 1 for n in Counter(entry.receipt for entry in counted).values()):
            problems.append(_("Two effective ballots carry the same receipt."))
        voters = check_participation(record, roll, counted, problems)
        deemed = deemed_of(record, roll, voters, problems)
        try:
            if secrecy == "secret":
                sums = secret_sums(record, proposal_id, roll, counted, problems)
            else:
                sums = plain_sums(counted)
            result = recount(matter, roll.n_total, roll.a_total, sums, deemed)
        except Uncountable as error:
            raise Broken(_("The ledger cannot be counted: {error}", error=str(error))) from None
        claimed = record.get("result")
        if not isinstance(claimed, dict):
            raise Broken(_("The record has no result."))
        compare("result", {key: claimed.get(key) for key in result}, result, problems)
        check_procedure(
            record,
            problems,
            matter=matter,
            counted_outcome=result.get("outcome"),
            replaced_any=any(entry.replaces is not None and not withdrawn(entry) for entry in entries),
            expected_rules=expected_rules,
        )
    except Broken as error:
        problems.append(str(error))
    return VerifyReport(not problems, problems, result)

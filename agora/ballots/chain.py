"""The ballot ledger of a proposal: an append-only, hash-chained list of entries.

Each entry commits to the one before it, so the published head hash pins the whole ledger: changing,
removing, inserting or reordering any entry changes every hash after it. Revotes (where the compound
allows them) are new entries that name the one they replace; nothing is ever edited in place.

Canonical form (version ``agora-ledger/1``) -- enough to re-implement the hash without this code.
The hash of an entry is the lowercase hexadecimal SHA-256 of the UTF-8 encoding of these eleven lines,
joined by a single line feed (U+000A), with no line feed after the last line and no other whitespace::

    agora-ledger/1
    proposal=<proposal id>
    seq=<seq>
    receipt=<receipt_hash>
    choice=<choice>
    persons=<persons>
    area=<area in hundredths of a square metre>
    channel=<channel>
    at=<at>
    replaces=<seq of the replaced entry, or nothing at all>
    prev=<hash of the previous entry, or 64 zeros for the first>

- Integers (proposal id, seq, persons, area, replaces) are written in base 10 with ASCII digits, no sign,
  no leading zeros (``0`` for zero), no separators. The area is an integer count of 0.01 m²: 89.50 m²
  is ``area=8950``. When the entry replaces nothing the line is exactly ``replaces=``.
- ``receipt`` and ``prev`` are 64 lowercase hexadecimal digits; ``receipt`` is ``hash_receipt`` of the
  voter's receipt code (below). The first entry's ``prev`` is ``GENESIS`` (64 ``0``).
- ``choice`` (``yes``/``no``/``abstain``/``invalid``, or ``withdrawn``: see below), ``channel``
  (``online``/``paper``/``proxy``) and
  ``at`` (ISO 8601 with an offset, e.g. ``2025-03-01T09:30:00+08:00``) are taken verbatim, exactly as
  stored and published; none may contain a line feed or carriage return.

Example (the tests check it): proposal 7, seq 1, receipt code ``abcd-efgh jk`` (``hash_receipt`` gives
``f57cbf1e3e471b25db4b8ad0844df41b2dae9c7d1944944d128e49294d412f66``), choice yes, 1 person, 89.50 m²,
online, at ``2025-03-01T09:30:00+08:00``, replacing nothing, first entry, hashes the text::

    agora-ledger/1
    proposal=7
    seq=1
    receipt=f57cbf1e3e471b25db4b8ad0844df41b2dae9c7d1944944d128e49294d412f66
    choice=yes
    persons=1
    area=8950
    channel=online
    at=2025-03-01T09:30:00+08:00
    replaces=
    prev=0000000000000000000000000000000000000000000000000000000000000000

to ``90920ccf368d45953f743b24f3ec4dcf85a66e65d83b11921bf604a5f53747b0`` (``EXAMPLE_HASH``).

A paper or proxy ballot entered by mistake may be withdrawn by its canvasser for a few minutes after it
was entered (``agora.ballots.paper_undo``): a new entry with ``choice=withdrawn``, the same weight and
channel, ``replaces`` the mistaken one. A withdrawn entry that no later entry replaces counts nowhere:
the owner takes no part until a ballot is entered again, as a new entry replacing nothing. On a secret
vote (``agora-ledger/2``) a withdrawal has no envelope: its ``ciphertext`` and ``proof`` are both ``00``.

Receipt codes are 10 symbols from ``RECEIPT_ALPHABET`` (no 0/O, 1/I), shown grouped ``ABCD-EFGH-JK``.
``hash_receipt`` normalizes a code by upper-casing it and removing dashes and all whitespace, then
takes the lowercase hex SHA-256 of its ASCII bytes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from agora.i18n import _

GENESIS = "0" * 64
FORMAT = "agora-ledger/1"
CHANNELS = ("online", "paper", "proxy")
WITHDRAWN = "withdrawn"  # the choice of an entry that takes back a mistaken paper ballot
SEALED_WITHDRAWAL = "00"  # on a secret vote (agora-ledger/2): its ciphertext and proof, no envelope
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECEIPT_LENGTH = 10
assert len(RECEIPT_ALPHABET) == 32  # five bits a symbol (receipt_code)
EXAMPLE_HASH = "90920ccf368d45953f743b24f3ec4dcf85a66e65d83b11921bf604a5f53747b0"

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(slots=True)
class LedgerEntry:
    """One entry as stored and published: the fields of the canonical form, plus its hash.

    Not ``frozen``: a frozen dataclass sets each field through ``object.__setattr__``, which made
    building the entries of a 10,000-ballot ledger cost more than reading them. Nothing assigns to an
    entry, and ``verify_chain`` recomputes every hash whatever an entry holds.
    """

    seq: int
    receipt_hash: str
    choice: str
    persons: int
    area_cents: int
    channel: str
    at: str
    replaces: int | None
    prev: str
    hash: str
    # A secret vote's entry (``agora-ledger/2``, below): the sealed ballot; ``choice`` is then "".
    ciphertext: str | None = None
    proof: str | None = None


def _integer(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return str(value)


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise ValueError(f"{name} must be a one-line string, not {value!r}")
    return value


def canonical(
    proposal_id: int,
    seq: int,
    receipt_hash: str,
    choice: str,
    persons: int,
    area_cents: int,
    channel: str,
    at: str,
    replaces: int | None,
    prev: str,
) -> str:
    """The exact text hashed for an entry (see the module docstring)."""
    for name, value in (("receipt_hash", receipt_hash), ("prev", prev)):
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise ValueError(f"{name} must be 64 lowercase hex digits, not {value!r}")
    lines = [
        FORMAT,
        f"proposal={_integer('proposal_id', proposal_id)}",
        f"seq={_integer('seq', seq)}",
        f"receipt={receipt_hash}",
        f"choice={_text('choice', choice)}",
        f"persons={_integer('persons', persons)}",
        f"area={_integer('area_cents', area_cents)}",
        f"channel={_text('channel', channel)}",
        f"at={_text('at', at)}",
        f"replaces={'' if replaces is None else _integer('replaces', replaces)}",
        f"prev={prev}",
    ]
    return "\n".join(lines)


def entry_hash(
    proposal_id: int,
    seq: int,
    receipt_hash: str,
    choice: str,
    persons: int,
    area_cents: int,
    channel: str,
    at: str,
    replaces: int | None,
    prev: str,
) -> str:
    """SHA-256 (lowercase hex) of the canonical form; the proposal id keeps entries in their ledger."""
    text = canonical(proposal_id, seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, prev)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


SEALED_FORMAT = "agora-ledger/2"


def secret_canonical(
    proposal_id: int,
    seq: int,
    receipt_hash: str,
    ciphertext: str,
    proof: str,
    persons: int,
    area_cents: int,
    channel: str,
    at: str,
    replaces: int | None,
    prev: str,
) -> str:
    """The text hashed for a secret vote's entry: ``agora-ledger/2``, the plain form's lines with
    ``ciphertext=<hex>`` and ``proof=<hex>`` in place of ``choice=`` (``agora.ballots.secret_ledger``)."""
    for name, value in (("ciphertext", ciphertext), ("proof", proof)):
        if not isinstance(value, str) or not value or value != value.lower() or len(value) % 2:
            raise ValueError(f"{name} must be lowercase hex")
        bytes.fromhex(value)
    plain = canonical(proposal_id, seq, receipt_hash, "-", persons, area_cents, channel, at, replaces, prev)
    lines = plain.split("\n")
    return "\n".join([SEALED_FORMAT, *lines[1:4], f"ciphertext={ciphertext}", f"proof={proof}", *lines[5:]])


def secret_entry_hash(proposal_id: int, *fields: object) -> str:
    return hashlib.sha256(secret_canonical(proposal_id, *fields).encode("utf-8")).hexdigest()  # type: ignore[arg-type]


def hash_of(proposal_id: int, entry: LedgerEntry) -> str:
    """The hash an entry must carry, plain or sealed."""
    if entry.ciphertext is not None:
        return secret_entry_hash(
            proposal_id, entry.seq, entry.receipt_hash, entry.ciphertext, entry.proof, entry.persons,
            entry.area_cents, entry.channel, entry.at, entry.replaces, entry.prev,
        )  # fmt: skip
    return entry_hash(
        proposal_id, entry.seq, entry.receipt_hash, entry.choice, entry.persons, entry.area_cents,
        entry.channel, entry.at, entry.replaces, entry.prev,
    )  # fmt: skip


def append(
    entries_head: str,
    proposal_id: int,
    seq: int,
    *,
    receipt_hash: str,
    choice: str,
    persons: int,
    area_cents: int,
    channel: str,
    at: str,
    replaces: int | None = None,
) -> LedgerEntry:
    """The next entry after the ledger whose head is ``entries_head`` (``GENESIS`` when empty)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    if replaces is not None and not 1 <= replaces < seq:
        raise ValueError("an entry can only replace an earlier one")
    digest = entry_hash(
        proposal_id, seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, entries_head
    )
    return LedgerEntry(
        seq, receipt_hash, choice, persons, area_cents, channel, at, replaces, entries_head, digest
    )


def head(entries: Sequence[LedgerEntry]) -> str:
    """The hash that pins the ledger: the last entry's hash, ``GENESIS`` when empty."""
    return entries[-1].hash if entries else GENESIS


def verify_chain(proposal_id: int, entries: Sequence[LedgerEntry]) -> list[str]:
    """Every problem found in the ledger, in order; an empty list when the chain holds.

    Checks that seq runs 1..n without gaps, each ``prev`` is the previous entry's hash (GENESIS first),
    each hash recomputes, channels are known, and each ``replaces`` names an earlier entry that no other
    entry has replaced, carrying the same weight (the roll is frozen, so a revote weighs the same).
    """
    problems: list[str] = []
    expected_prev = GENESIS
    replaced_by: dict[int, int] = {}
    by_seq: dict[int, LedgerEntry] = {}
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
        if entry.prev != expected_prev:
            problems.append(
                _("Entry {seq} does not link to the entry before it (prev {prev}).", seq=seq, prev=entry.prev)
            )
        try:
            recomputed = hash_of(proposal_id, entry)
        except ValueError as error:
            problems.append(_("Entry {seq} is malformed: {error}", seq=seq, error=str(error)))
        else:
            if recomputed != entry.hash:
                problems.append(_("Entry {seq} does not match its hash.", seq=seq))
        if entry.channel not in CHANNELS:
            problems.append(
                _("Entry {seq} has an unknown channel {channel}.", seq=seq, channel=entry.channel)
            )
        if is_withdrawal(entry) and entry.replaces is None:
            problems.append(_("Entry {seq} withdraws no earlier entry.", seq=seq))
        if entry.replaces is not None:
            target = by_seq.get(entry.replaces)
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
                if is_withdrawal(entry) and (
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
                if (target.persons, target.area_cents) != (entry.persons, entry.area_cents):
                    problems.append(
                        _(
                            "Entry {seq} replaces {target} with a different weight.",
                            seq=seq,
                            target=entry.replaces,
                        )
                    )
        by_seq.setdefault(seq, entry)
        expected_prev = entry.hash
    return problems


def is_withdrawal(entry: LedgerEntry) -> bool:
    """An entry taking back a mistaken paper ballot (plain: ``withdrawn``; sealed: no envelope)."""
    if entry.ciphertext is not None:
        return entry.ciphertext == entry.proof == SEALED_WITHDRAWAL
    return entry.choice == WITHDRAWN


def effective(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """The entries that count: those no later entry replaces, in ledger order, withdrawals left out."""
    replaced = {entry.replaces for entry in entries if entry.replaces is not None}
    return [entry for entry in entries if entry.seq not in replaced and not is_withdrawal(entry)]


def normalize_receipt(code: str) -> str:
    """A receipt code as typed (any case, dashes, spaces) in its canonical form."""
    return "".join(code.split()).replace("-", "").upper()


def receipt_code() -> str:
    """A fresh receipt code, 10 symbols (50 bits) from an unambiguous alphabet, as ``ABCD-EFGH-JK``."""
    # One read of the OS's random source: each byte's low five bits pick one of the 32 symbols, evenly
    # (256 is a multiple of 32). `secrets.choice` read it about twice per symbol (rejection sampling).
    raw = "".join([RECEIPT_ALPHABET[byte & 31] for byte in secrets.token_bytes(RECEIPT_LENGTH)])
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def hash_receipt(code: str) -> str:
    """What the ledger stores and publishes for a receipt: the voter keeps the code, everyone sees this."""
    return hashlib.sha256(normalize_receipt(code).encode("utf-8")).hexdigest()

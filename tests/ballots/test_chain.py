"""The hash-chained ledger: the documented canonical form, tampering, revotes, receipts."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter

import pytest

from agora.ballots import chain
from agora.ballots.chain import (
    EXAMPLE_HASH,
    GENESIS,
    LedgerEntry,
    append,
    effective,
    entry_hash,
    hash_receipt,
    head,
    receipt_code,
    verify_chain,
)
from agora.i18n import use_locale

PROPOSAL = 7


@pytest.fixture(autouse=True)
def english():
    """Some assertions look for English words in the problems: pin the locale they are written in."""
    with use_locale("en"):
        yield


AT = "2025-03-0{}T09:30:00+08:00"


def build(specs, proposal_id=PROPOSAL, start=GENESIS) -> list[LedgerEntry]:
    """A chain from ``(choice, area_cents, replaces)`` specs, each its own receipt."""
    entries: list[LedgerEntry] = []
    prev = start
    for seq, (choice, area, replaces) in enumerate(specs, start=1):
        entry = append(prev, proposal_id, seq, receipt_hash=hash_receipt(f"R{seq:09d}"), choice=choice,
                       persons=1, area_cents=area, channel="online", at=AT.format(seq % 10),
                       replaces=replaces)
        entries.append(entry)
        prev = entry.hash
    return entries


SPECS = [("yes", 8950, None), ("no", 10_000, None), ("yes", 7_500, None), ("abstain", 12_000, None),
         ("invalid", 9_000, None)]


def test_docstring_example_reimplemented_from_the_text():
    """An independent verifier reading only the docstring gets the same hash."""
    receipt = hashlib.sha256(b"ABCDEFGHJK").hexdigest()
    text = "\n".join([
        "agora-ledger/1", "proposal=7", "seq=1", f"receipt={receipt}", "choice=yes", "persons=1",
        "area=8950", "channel=online", "at=2025-03-01T09:30:00+08:00", "replaces=", "prev=" + "0" * 64,
    ])
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert expected == EXAMPLE_HASH
    assert EXAMPLE_HASH in chain.__doc__ and receipt in chain.__doc__
    assert hash_receipt("abcd-efgh jk") == receipt
    got = entry_hash(7, 1, receipt, "yes", 1, 8950, "online", "2025-03-01T09:30:00+08:00", None, GENESIS)
    assert got == expected


def test_replaces_and_non_ascii_in_the_canonical_form():
    text = chain.canonical(3, 12, "a" * 64, "yes", 1, 100, "paper", "2025-03-01T09:30:00+08:00", 4, "b" * 64)
    assert text.split("\n")[9] == "replaces=4"
    assert not text.endswith("\n")
    digest = entry_hash(3, 1, "a" * 64, "是", 1, 100, "paper", "at", None, "b" * 64)
    assert digest == hashlib.sha256(chain.canonical(3, 1, "a" * 64, "是", 1, 100, "paper", "at", None,
                                                    "b" * 64).encode("utf-8")).hexdigest()


def test_a_sound_chain_holds():
    entries = build(SPECS)
    assert verify_chain(PROPOSAL, entries) == []
    assert entries[0].prev == GENESIS
    assert head(entries) == entries[-1].hash
    assert head([]) == GENESIS
    assert verify_chain(PROPOSAL, []) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("receipt_hash", hash_receipt("OTHER")), ("choice", "no"), ("persons", 2), ("area_cents", 8951),
     ("channel", "paper"), ("at", "2025-03-02T09:30:00+08:00"), ("replaces", 1), ("seq", 4),
     ("prev", "f" * 64), ("hash", "e" * 64)],
)
def test_a_changed_field_is_detected(field, value):
    entries = build(SPECS)
    entries[2] = dataclasses.replace(entries[2], **{field: value})
    assert verify_chain(PROPOSAL, entries)


def test_a_changed_entry_rehashed_breaks_the_next_link():
    entries = build(SPECS)
    forged = dataclasses.replace(entries[1], choice="yes")
    entries[1] = dataclasses.replace(forged, hash=entry_hash(PROPOSAL, 2, forged.receipt_hash, "yes", 1,
                                                             forged.area_cents, "online", forged.at, None,
                                                             forged.prev))
    problems = verify_chain(PROPOSAL, entries)
    assert problems == [chain._("Entry {seq} does not link to the entry before it (prev {prev}).", seq=3,
                                prev=entries[2].prev)]


@pytest.mark.parametrize("index", [0, 2])
def test_a_removed_entry_is_detected(index):
    entries = build(SPECS)
    del entries[index]
    assert verify_chain(PROPOSAL, entries)


def test_a_removed_last_entry_only_shows_in_the_head():
    """Truncation leaves a sound shorter chain: the published head is what catches it."""
    entries = build(SPECS)
    published = head(entries)
    assert verify_chain(PROPOSAL, entries[:-1]) == []
    assert head(entries[:-1]) != published


def test_an_inserted_entry_is_detected():
    entries = build(SPECS)
    intruder = append(entries[1].hash, PROPOSAL, 3, receipt_hash=hash_receipt("X"), choice="yes", persons=1,
                      area_cents=50_000, channel="paper", at=AT.format(9))
    assert verify_chain(PROPOSAL, entries[:2] + [intruder] + entries[2:])


def test_a_reordered_chain_is_detected():
    entries = build(SPECS)
    entries[1], entries[2] = entries[2], entries[1]
    assert verify_chain(PROPOSAL, entries)


def test_a_fork_is_detected():
    entries = build(SPECS[:3])
    fork = append(entries[1].hash, PROPOSAL, 3, receipt_hash=hash_receipt("F"), choice="no", persons=1,
                  area_cents=7_500, channel="online", at=AT.format(3))
    assert verify_chain(PROPOSAL, entries + [fork])
    assert verify_chain(PROPOSAL, entries[:2] + [fork]) == []  # either branch alone is a chain


def test_a_wrong_genesis_is_detected():
    entries = build(SPECS, start="1" * 64)
    assert verify_chain(PROPOSAL, entries) == [
        chain._("Entry {seq} does not link to the entry before it (prev {prev}).", seq=1, prev="1" * 64)
    ]


def build_with_seqs(seqs, replaces=None) -> list[LedgerEntry]:
    """Properly linked and hashed entries with whatever seq numbers a forger chose."""
    entries: list[LedgerEntry] = []
    prev = GENESIS
    for seq in seqs:
        entry = entry_fields(seq, replaces=(replaces or {}).get(seq))
        digest = entry_hash(PROPOSAL, seq, *entry, prev)
        entries.append(LedgerEntry(seq, *entry, prev, digest))
        prev = digest
    return entries


def entry_fields(seq, replaces=None):
    return (hash_receipt(f"S{seq}"), "yes", 1, 8950, "online", AT.format(seq), replaces)


def test_a_gap_in_seq_is_detected_even_when_linked():
    assert verify_chain(PROPOSAL, build_with_seqs([1, 2, 3])) == []
    assert verify_chain(PROPOSAL, build_with_seqs([1, 2, 5])) == [
        chain._("Entry at position {position} has seq {seq}, expected {position}.", position=3, seq=5)
    ]
    assert verify_chain(PROPOSAL, build_with_seqs([0, 1, 2]))


def test_replacing_an_entry_numbered_later_is_detected():
    """Seq 3 placed before seq 2, and 2 claims to replace 3: 3 is not earlier, whatever its position."""
    problems = verify_chain(PROPOSAL, build_with_seqs([1, 3, 2], replaces={2: 3}))
    message = chain._("Entry {seq} replaces {target}, which is not an earlier entry.", seq=2, target=3)
    assert message in problems


def test_entries_cannot_move_to_another_proposal():
    entries = build(SPECS)
    assert len(verify_chain(PROPOSAL + 1, entries)) == len(entries)


def test_revotes_and_effective_entries():
    """Owner A votes yes (1), B no (2), A changes to no (3 replaces 1), then abstains (4 replaces 3)."""
    entries = build([("yes", 8950, None), ("no", 10_000, None), ("no", 8950, 1), ("abstain", 8950, 3)])
    assert verify_chain(PROPOSAL, entries) == []
    assert [e.seq for e in effective(entries)] == [2, 4]
    assert effective([]) == []


@pytest.mark.parametrize(
    "specs",
    [
        [("yes", 8950, None), ("no", 8950, 1), ("no", 8950, 1)],  # replaced twice
        [("yes", 8950, None), ("no", 10_000, 1)],  # the revote weighs differently
    ],
)
def test_bad_replacements_are_detected(specs):
    assert verify_chain(PROPOSAL, build(specs))


def test_replacing_a_later_or_missing_entry_is_detected():
    entries = build(SPECS[:3])
    forged = dataclasses.replace(entries[1], replaces=3)
    entries[1] = dataclasses.replace(forged, hash=entry_hash(PROPOSAL, 2, forged.receipt_hash, forged.choice,
                                                             1, forged.area_cents, "online", forged.at, 3,
                                                             forged.prev))
    entries[2] = append(entries[1].hash, PROPOSAL, 3, receipt_hash=entries[2].receipt_hash, choice="yes",
                        persons=1, area_cents=7_500, channel="online", at=entries[2].at)
    assert verify_chain(PROPOSAL, entries) == [
        chain._("Entry {seq} replaces {target}, which is not an earlier entry.", seq=2, target=3)
    ]


@pytest.mark.parametrize(
    "kwargs",
    [{"channel": "fax"}, {"replaces": 3}, {"replaces": 0}, {"at": "2025-03-01\n"}, {"persons": -1},
     {"area_cents": True}, {"receipt_hash": "A" * 64}, {"receipt_hash": "abc"}],
)
def test_append_refuses_malformed_entries(kwargs):
    fields = {"receipt_hash": "a" * 64, "choice": "yes", "persons": 1, "area_cents": 100,
              "channel": "online", "at": "2025-03-01T09:30:00+08:00"} | kwargs
    with pytest.raises(ValueError):
        append(GENESIS, PROPOSAL, 3, **fields)


def test_malformed_entries_are_reported_not_raised():
    entries = build(SPECS[:2])
    entries[1] = dataclasses.replace(entries[1], at="two\nlines", channel="fax")
    problems = verify_chain(PROPOSAL, entries)
    assert any("malformed" in p for p in problems) and any("channel" in p for p in problems)


def test_receipt_codes():
    codes = {receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}", code)
        assert not set(code) & set("01IO")
    symbols = Counter("".join(codes).replace("-", ""))  # 20,000 draws: every symbol, none far off
    assert set(symbols) == set(chain.RECEIPT_ALPHABET)
    assert all(450 < n < 800 for n in symbols.values()), symbols  # 625 each expected
    code = next(iter(codes))
    plain = code.replace("-", "")
    variants = [code, code.lower(), plain, f" {plain[:3]} {plain[3:]}\t", code.replace("-", " ")]
    assert {hash_receipt(v) for v in variants} == {hashlib.sha256(plain.encode()).hexdigest()}
    assert hash_receipt(code) != hash_receipt(receipt_code())


def _sealed(prev: str, seq: int, ciphertext: str = "ab" * 8, proof: str = "cd" * 8) -> chain.LedgerEntry:
    fields = (1, seq, "e" * 64, ciphertext, proof, 1, 8950, "online", "2026-12-04T09:30:00+08:00", None, prev)
    digest = chain.secret_entry_hash(*fields)
    return chain.LedgerEntry(seq, "e" * 64, "", 1, 8950, "online", "2026-12-04T09:30:00+08:00", None, prev,
                             digest, ciphertext, proof)  # fmt: skip


def test_a_sealed_entry_hashes_its_ciphertext_and_proof_in_place_of_the_choice() -> None:
    first = _sealed(chain.GENESIS, 1)
    text = chain.secret_canonical(1, 1, "e" * 64, "ab" * 8, "cd" * 8, 1, 8950, "online",
                                  "2026-12-04T09:30:00+08:00", None, chain.GENESIS)  # fmt: skip
    assert text.startswith(chain.SEALED_FORMAT + "\n") and "ciphertext=" + "ab" * 8 in text
    assert "choice=" not in text and chain.hash_of(1, first) == first.hash
    second = _sealed(first.hash, 2)
    assert chain.verify_chain(1, [first, second]) == []
    altered = dataclasses.replace(second, ciphertext="ab" * 7 + "ac")
    assert chain.verify_chain(1, [first, altered]) != []


@pytest.mark.parametrize("ciphertext", ["", "AB", "abc", "zz"])
def test_a_sealed_entry_refuses_anything_but_lowercase_hex(ciphertext: str) -> None:
    with pytest.raises(ValueError):
        chain.secret_canonical(1, 1, "e" * 64, ciphertext, "cd", 1, 8950, "online", "t", None, chain.GENESIS)


def test_a_withdrawal_must_take_back_an_earlier_paper_or_proxy_ballot_of_its_channel():
    """The canvasser's undo (a `withdrawn` entry) stands only against an earlier paper or proxy ballot."""
    alone = verify_chain(PROPOSAL, build([("withdrawn", 8950, None)]))
    assert chain._("Entry {seq} withdraws no earlier entry.", seq=1) in alone
    online = verify_chain(PROPOSAL, build([("yes", 8950, None), ("withdrawn", 8950, 1)]))
    assert any(p.startswith("Entry 2 withdraws 1") for p in online), online

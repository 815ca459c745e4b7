"""The independent verifier on secret votes: a sound record holds; each kind of tampering fails."""

from __future__ import annotations

import copy

import pytest

from agora.ballots import elgamal
from agora.ballots.secret_ledger import seal_choice, secret_entry_hash
from agora.i18n import use_locale
from agora.verifier import verify_record
from tests.verifier.records import KEY, PROPOSAL, make_record

UNITS = [
    ("3", "1", "1-101", 8_950, "home", "owned", "P01"),
    ("3", "1", "1-102", 10_000, "home", "owned", "P02"),
    ("3", "", "P-01", 1_250, "parking", "owned", "P02"),
    ("3", "1", "1-201", 12_025, "home", "owned", "P03"),
    ("3", "2", "2-201", 7_500, "home", "owned", "P03"),
    ("3", "1", "1-202", 8_950, "home", "owned", "P04"),
    ("3", "2", "2-101", 11_000, "home", "owned", "P05"),
    ("3", "2", "2-102", 6_000, "shop", "owned", "P06"),
    ("3", "2", "2-301", 9_500, "home", "unsold", "DEV"),
    ("3", "2", "2-302", 9_500, "home", "undelivered", "DEV"),
    ("3", "2", "2-202", 8_888, "home", "owned", "P07"),
]
VOTES = [
    ("P01", "yes", "online", None),
    ("P02", "no", "online", None),
    ("P03", "yes", "online", None),
    ("P04", "yes", "online", None),
    ("P02", "yes", "online", 2),
    ("DEV", "invalid", "paper", None),
    ("P05", "abstain", "proxy", None),
]
RECORD = make_record(UNITS, VOTES, secret=True)
HEAD = RECORD["head"]


@pytest.fixture(autouse=True)
def english():
    with use_locale("en"):
        yield


def rechain(record: dict) -> None:
    """What a forger with write access does: renumber, relink and rehash every entry, and the head."""
    prev = "0" * 64
    for seq, item in enumerate(record["ledger"]["entries"], start=1):
        item["seq"], item["prev"] = seq, prev
        cents = int(item["area"].replace(".", ""))
        item["hash"] = prev = secret_entry_hash(
            PROPOSAL, seq, item["receipt_hash"], item["ciphertext"], item["proof"], item["persons"], cents,
            item["channel"], item["at"], item["replaces"], prev,
        )  # fmt: skip
    record["ledger"]["head"] = record["head"] = prev
    record["entry_count"] = len(record["ledger"]["entries"])


def problems(record: dict, head: str | None = HEAD) -> list[str]:
    report = verify_record(record, expected_head=head)
    assert report.ok is (not report.problems)
    return report.problems


def test_a_sound_secret_record_holds_and_recounts_each_choice():
    report = verify_record(RECORD, expected_head=HEAD)
    assert report.problems == []
    choices = report.recount["choices"]
    assert choices["yes"] == {"persons": 4, "area": "486.75"}  # P01, P02 (revote, with parking), P03, P04
    assert choices["invalid"] == {"persons": 1, "area": "190.00"}
    assert choices["no"] == {"persons": 0, "area": "0.00"}
    assert report.recount == RECORD["result"] | {"deemed": None}


def test_no_entry_of_a_secret_record_shows_a_choice():
    assert all("choice" not in entry for entry in RECORD["ledger"]["entries"])
    leaked = copy.deepcopy(RECORD)
    leaked["ledger"]["entries"][0]["choice"] = "yes"
    assert any("must not show its choice" in p for p in problems(leaked))


def test_an_appended_valid_ballot_fails_against_the_published_head():
    forged = copy.deepcopy(RECORD)
    receipt = "ab" * 32
    ciphertext, proof = seal_choice(KEY.public, PROPOSAL, receipt, "no")
    forged["ledger"]["entries"].append(
        {"seq": 8, "receipt_hash": receipt, "ciphertext": ciphertext, "proof": proof, "persons": 1,
         "area": "88.88", "channel": "paper", "at": "2025-03-09T09:30:00+08:00", "replaces": None}
    )
    rechain(forged)
    found = problems(forged)
    assert any("not the expected head" in p for p in found)
    # Even a forger who keeps the published head and count is caught by the chain itself.
    forged["ledger"]["head"] = forged["head"] = HEAD
    forged["entry_count"] = RECORD["entry_count"]
    assert any("not the hash of its last entry" in p for p in problems(forged, head=None))
    assert any("entries were published at close" in p for p in problems(forged, head=None))


def test_a_removed_entry_fails():
    forged = copy.deepcopy(RECORD)
    del forged["ledger"]["entries"][-1]
    assert any("not the hash of its last entry" in p for p in problems(forged, head=None))
    rechain(forged)
    assert any("not the expected head" in p for p in problems(forged))


def test_reordered_entries_fail():
    forged = copy.deepcopy(RECORD)
    entries = forged["ledger"]["entries"]
    entries[0], entries[2] = entries[2], entries[0]
    assert any("does not link" in p for p in problems(forged, head=None))
    rechain(forged)
    assert any("not the expected head" in p for p in problems(forged))


def test_an_altered_ciphertext_fails_by_hash_and_by_proof():
    forged = copy.deepcopy(RECORD)
    entry = forged["ledger"]["entries"][0]
    other = forged["ledger"]["entries"][2]
    entry["ciphertext"] = other["ciphertext"]
    assert any("does not match its hash" in p for p in problems(forged, head=None))
    rechain(forged)
    found = problems(forged, head=None)
    assert any("entry 1 is not proven well formed" in p for p in found)
    assert any("do not add up to the published total" in p for p in found)


def test_a_ballot_swapped_for_another_choice_is_caught_by_the_head():
    """A forger who re-encrypts one ballot for another choice with a fresh valid proof, rechains and
    rewrites the totals cannot make the proofs of decryption hold without the key: we give the forger
    the key (the worst case), and only the head published at close still catches it."""
    forged = copy.deepcopy(RECORD)
    entry = forged["ledger"]["entries"][0]
    entry["ciphertext"], entry["proof"] = seal_choice(KEY.public, PROPOSAL, entry["receipt_hash"], "no")
    rechain(forged)
    assert any("do not add up to the published total" in p for p in problems(forged, head=None))
    assert any("not the expected head" in p for p in problems(forged))


@pytest.mark.parametrize("part", ["share", "proof", "ciphertext"])
def test_an_altered_decryption_fails(part):
    forged = copy.deepcopy(RECORD)
    item = forged["decryption"]["area"]["yes"]
    item[part] = item[part][:10] + ("0" if item[part][10] != "0" else "1") + item[part][11:]
    assert problems(forged)


def test_a_claimed_total_that_is_not_the_decryption_fails():
    forged = copy.deepcopy(RECORD)
    forged["result"]["choices"]["yes"]["area"] = "486.76"
    found = problems(forged)
    assert any("not proven to be" in p for p in found)


def test_a_decryption_share_for_another_value_fails():
    """The server shifts the yes total by one person: the share that decrypts to it has no proof."""
    forged = copy.deepcopy(RECORD)
    item = forged["decryption"]["persons"]["yes"]
    share = bytes.fromhex(item["share"])
    item["share"] = elgamal.sodium.crypto_core_ed25519_sub(share, elgamal.G).hex()
    forged["result"]["choices"]["yes"]["persons"] = 5
    assert any("not proven to be" in p for p in problems(forged))


def test_a_record_under_another_key_fails():
    forged = copy.deepcopy(RECORD)
    forged["election"]["public_key"] = elgamal.generate_key().public.hex()
    found = problems(forged)
    assert sum("not proven well formed" in p for p in found) == 6


def test_a_malformed_secret_record_is_reported_not_raised():
    for mutate in (
        lambda r: r["ledger"]["entries"][0].update(ciphertext="zz"),
        lambda r: r["ledger"]["entries"][0].update(ciphertext="00" * 256),
        lambda r: r.pop("election"),
        lambda r: r.pop("decryption"),
        lambda r: r["decryption"]["area"].pop("yes"),
        lambda r: r["election"].update(public_key="00" * 32),
    ):
        forged = copy.deepcopy(RECORD)
        mutate(forged)
        assert problems(forged)


def test_the_checks_split_over_processes_agree_and_still_catch_a_bad_ballot(monkeypatch):
    from agora.verifier import proofs

    monkeypatch.setattr(proofs, "PARALLEL_FROM", 2)
    assert problems(RECORD) == []
    forged = copy.deepcopy(RECORD)
    forged["ledger"]["entries"][3]["proof"] = forged["ledger"]["entries"][0]["proof"]
    rechain(forged)
    assert any("entry 4 is not proven well formed" in p for p in problems(forged, head=None))

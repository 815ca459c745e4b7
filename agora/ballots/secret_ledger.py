"""Secret ballots in the ledger: the ``agora-ledger/2`` entry and the tally on ciphertexts.

A secret vote's ledger entry carries the encrypted ballot instead of its choice. Its hash is the
lowercase hex SHA-256 of the UTF-8 text of these twelve lines, joined by a line feed (no final one)::

    agora-ledger/2
    proposal=<proposal id>
    seq=<seq>
    receipt=<receipt_hash>
    ciphertext=<the ballot's ciphertext, lowercase hex>
    proof=<the ballot's proof, lowercase hex>
    persons=<persons>
    area=<area in hundredths of a square metre>
    channel=<channel>
    at=<at>
    replaces=<seq of the replaced entry, or nothing at all>
    prev=<hash of the previous entry, or 64 zeros for the first>

with the same rules for each field as ``agora-ledger/1`` (``agora.ballots.chain``). The ciphertext and
proof formats are in ``agora.ballots.elgamal``.

At close, ``tally_secret`` adds the effective ballots on their ciphertexts -- once weighted by persons,
once by area -- and decrypts each choice's two totals with a proof; the record publishes the totals,
the decryption shares and the proofs (``decryption_json``), so anyone can redo the sums and check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agora.ballots import elgamal
from agora.ballots.chain import CHANNELS, GENESIS, secret_canonical, secret_entry_hash

__all__ = ["SecretEntry", "append_secret", "secret_canonical", "secret_entry_hash", "tally_secret"]


@dataclass(slots=True)
class SecretEntry:
    seq: int
    receipt_hash: str
    ciphertext: str  # hex
    proof: str  # hex
    persons: int
    area_cents: int
    channel: str
    at: str
    replaces: int | None
    prev: str
    hash: str


def append_secret(
    head: str,
    proposal_id: int,
    seq: int,
    *,
    receipt_hash: str,
    ciphertext: str,
    proof: str,
    persons: int,
    area_cents: int,
    channel: str,
    at: str,
    replaces: int | None = None,
) -> SecretEntry:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    if replaces is not None and not 1 <= replaces < seq:
        raise ValueError("an entry can only replace an earlier one")
    digest = secret_entry_hash(
        proposal_id, seq, receipt_hash, ciphertext, proof, persons, area_cents, channel, at, replaces, head
    )
    return SecretEntry(
        seq, receipt_hash, ciphertext, proof, persons, area_cents, channel, at, replaces, head, digest
    )


def seal_choice(public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> tuple[str, str]:
    """The hex ciphertext and proof of one ballot, as the ledger stores them (the choice is not kept)."""
    ciphertext, proof = elgamal.encrypt_ballot(public_key, proposal_id, receipt_hash, choice)
    return ciphertext.hex(), proof.hex()


def secret_chain_problems(proposal_id: int, entries: Sequence[SecretEntry]) -> list[tuple[int, str]]:
    """``(seq, what)`` for each entry that breaks the chain: its seq, its link or its hash."""
    problems: list[tuple[int, str]] = []
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position:
            problems.append((position, "seq"))
        if entry.prev != prev:
            problems.append((entry.seq, "link"))
        try:
            digest = secret_entry_hash(
                proposal_id, entry.seq, entry.receipt_hash, entry.ciphertext, entry.proof, entry.persons,
                entry.area_cents, entry.channel, entry.at, entry.replaces, entry.prev,
            )  # fmt: skip
        except ValueError:
            digest = ""
        if digest != entry.hash:
            problems.append((entry.seq, "hash"))
        prev = entry.hash
    return problems


@dataclass(frozen=True, slots=True)
class SecretTally:
    """Per choice (persons, area_cents), and the published proof of each decrypted total."""

    choices: dict[str, tuple[int, int]]
    decryption: dict[str, dict[str, dict[str, str]]]


def tally_secret(
    key: elgamal.VoteKey,
    proposal_id: int,
    counted: Sequence[SecretEntry],
    persons_bound: int,
    area_bound: int,
) -> SecretTally:
    """Add the effective ballots on their ciphertexts and decrypt each total with its proof.

    ``persons_bound``/``area_bound`` bound the discrete logarithm: no total can exceed the weights
    of the ballots counted. Raises ``elgamal.BadProof`` when a stored ballot is not a group element.
    """
    rows = ((bytes.fromhex(e.ciphertext), e.persons, e.area_cents) for e in counted)
    by_persons, by_area = elgamal.tally_sums(rows, 2)
    sums = {"persons": by_persons, "area": by_area}
    bounds = {"persons": persons_bound, "area": area_bound}
    values: dict[str, dict[str, int]] = {"persons": {}, "area": {}}
    published: dict[str, dict[str, dict[str, str]]] = {"persons": {}, "area": {}}
    for kind, pairs in sums.items():
        for choice, (a, b) in zip(elgamal.CHOICES, pairs, strict=True):
            result = elgamal.decrypt_total(key, proposal_id, f"{kind}:{choice}", a, b, bounds[kind])
            values[kind][choice] = result.value
            published[kind][choice] = {
                "ciphertext": (a + b).hex(),
                "share": result.share.hex(),
                "proof": result.proof.hex(),
            }
    choices = {choice: (values["persons"][choice], values["area"][choice]) for choice in elgamal.CHOICES}
    return SecretTally(choices, published)

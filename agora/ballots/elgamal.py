"""Encrypted ballots: exponential ElGamal over edwards25519 with proofs (the server's crypto core).

All group arithmetic is libsodium's, through PyNaCl: the prime-order subgroup of edwards25519
(``crypto_core_ed25519_*``, ``crypto_scalarmult_ed25519_*noclamp``), scalars modulo the group order
``L`` with ``crypto_core_ed25519_scalar_*``. Every point read from outside is checked with
``crypto_core_ed25519_is_valid_point`` (on the curve, canonical, in the prime-order subgroup, not of
small order) before it is used. Nothing here adds or multiplies points by hand.

The scheme, as Helios and Belenios use it:

- A vote key is a scalar ``x``; its public key ``h = x·G``.
- A number ``m`` is encrypted as ``(a, b) = (r·G, r·h + m·G)`` for a fresh random ``r``. Ciphertexts
  add component-wise, so the sum of encryptions of ``m_i`` (each times a public integer weight ``w_i``)
  is an encryption of ``sum(w_i·m_i)``: the tally is computed without decrypting a single ballot.
- A ballot is one ciphertext per choice (``CHOICES`` order), encrypting 1 for the chosen one and 0 for
  the others. Each component carries a disjunctive Chaum-Pedersen proof that it encrypts 0 or 1, and
  the ballot carries one proof that its components add up to an encryption of 1.
- A total ``(A, B)`` is decrypted as ``B - x·A = m·G`` with a Chaum-Pedersen proof that the same ``x``
  is behind ``h`` and the published ``D = x·A``; ``m`` is found by baby-step giant-step, bounded by the
  roll's totals.

Fiat-Shamir challenges hash the whole statement -- domain tag, election id (which names the proposal),
public key, the ballot's receipt hash and every component of its ciphertext, and the commitments -- so a
proof cannot be moved to another ballot, another vote or another key (the "weak Fiat-Shamir" mistake
of hashing only the commitments).

Wire formats (all published in the ledger and the record as lowercase hex; ``docs/verify.md``):

- ciphertext: ``a_0 ‖ b_0 ‖ a_1 ‖ b_1 ‖ …`` -- 64 bytes per choice;
- ballot proof: for each choice ``c_0 ‖ s_0 ‖ c_1 ‖ s_1``, then ``c ‖ s`` of the sum proof;
- decryption proof: ``c ‖ s``; every scalar is 32 bytes little-endian and must be below ``L``.
- challenge: ``SHA-512(b"agora-proof/1" ‖ for each field: 4-byte big-endian length ‖ field)`` reduced
  modulo ``L``; the fields of each statement are listed at ``_bit_challenge``, ``_sum_challenge`` and
  ``_decryption_challenge``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nacl import bindings as sodium
from nacl.exceptions import CryptoError
from nacl.exceptions import RuntimeError as SodiumError
from nacl.exceptions import ValueError as SodiumValueError

from agora.art278 import COUNTED_CHOICES

CHOICES = COUNTED_CHOICES  # the order of a ballot's ciphertexts
TAG = b"agora-proof/1"
L = 2**252 + 27742317777372353535851937790883648493  # the order of the prime-order subgroup
POINT = 32
SCALAR = 32
IDENTITY = bytes([1]) + bytes(31)
ZERO = bytes(SCALAR)

_ONE = (1).to_bytes(SCALAR, "little")
G = sodium.crypto_scalarmult_ed25519_base_noclamp(_ONE)
_FAILURES = (CryptoError, SodiumError, SodiumValueError, TypeError, ValueError)


class BadProof(ValueError):
    """A ciphertext, proof or decryption does not hold; the message says which part."""


@dataclass(frozen=True, slots=True)
class VoteKey:
    secret: bytes  # x, 32 bytes
    public: bytes  # h = x·G


@dataclass(frozen=True, slots=True)
class Decryption:
    """A decrypted total: the value, the published share ``D = x·A`` and the proof ``c ‖ s``."""

    value: int
    share: bytes
    proof: bytes


# -- scalars and points, through libsodium only ------------------------------------------------------


def _scalar(value: int) -> bytes:
    if not 0 <= value < L:
        raise ValueError("scalar out of range")
    return value.to_bytes(SCALAR, "little")


def random_scalar() -> bytes:
    """A uniform non-zero scalar (64 random bytes reduced modulo L, as libsodium recommends)."""
    while True:
        scalar = sodium.crypto_core_ed25519_scalar_reduce(os.urandom(64))
        if scalar != ZERO:
            return scalar


def canonical_scalar(scalar: bytes) -> bool:
    return len(scalar) == SCALAR and int.from_bytes(scalar, "little") < L


def valid_point(point: bytes) -> bool:
    return len(point) == POINT and bool(sodium.crypto_core_ed25519_is_valid_point(point))


def _base(scalar: bytes) -> bytes:
    """scalar·G; libsodium refuses to return the identity, which only the zero scalar gives."""
    return IDENTITY if scalar == ZERO else sodium.crypto_scalarmult_ed25519_base_noclamp(scalar)


def _mul(scalar: bytes, point: bytes) -> bytes:
    """scalar·point for a validated point (or the identity, which libsodium refuses as an input)."""
    if scalar == ZERO or point == IDENTITY:
        return IDENTITY
    return sodium.crypto_scalarmult_ed25519_noclamp(scalar, point)


def _add(p: bytes, q: bytes) -> bytes:
    return sodium.crypto_core_ed25519_add(p, q)


def _sub(p: bytes, q: bytes) -> bytes:
    return sodium.crypto_core_ed25519_sub(p, q)


def encode(m: int) -> bytes:
    """m·G, the group element that stands for the number m."""
    return _base(_scalar(m))


def _challenge(*fields: bytes) -> bytes:
    digest = hashlib.sha512(TAG)
    for item in fields:
        digest.update(len(item).to_bytes(4, "big"))
        digest.update(item)
    return sodium.crypto_core_ed25519_scalar_reduce(digest.digest())


def election_id(proposal_id: int) -> bytes:
    """The election id every challenge carries: it names the proposal, so proofs cannot move between votes."""
    return f"agora-vote/1:proposal={proposal_id}".encode("ascii")


# -- keys ---------------------------------------------------------------------------------------------


def generate_key() -> VoteKey:
    secret = random_scalar()
    return VoteKey(secret, _base(secret))


def _wrapping_key(app_secret: str) -> bytes:
    return hashlib.blake2b(
        app_secret.encode("utf-8"), digest_size=32, person=b"agora-vote-key", salt=b"sealed-x"
    ).digest()


def seal_key(key: VoteKey, app_secret: str, proposal_id: int) -> bytes:
    """The vote key's secret, encrypted (XChaCha20-Poly1305) under a key derived from AGORA_SECRET_KEY.

    The associated data binds it to the proposal and its public key: a sealed key copied onto another
    vote does not open.
    """
    nonce = os.urandom(24)
    aad = election_id(proposal_id) + key.public
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        key.secret, aad, nonce, _wrapping_key(app_secret)
    )
    return nonce + sealed


def open_key(sealed: bytes, public: bytes, app_secret: str, proposal_id: int) -> VoteKey:
    """The vote key back from ``seal_key``; raises BadProof when it does not open or does not match."""
    try:
        secret = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed[24:], election_id(proposal_id) + public, sealed[:24], _wrapping_key(app_secret)
        )
    except _FAILURES as error:
        raise BadProof("the sealed vote key does not open with this server's secret") from error
    if _base(secret) != public:
        raise BadProof("the sealed vote key does not match its public key")
    return VoteKey(secret, public)


# -- ballots ------------------------------------------------------------------------------------------


def _bit_challenge(election: bytes, public: bytes, receipt: bytes, ciphertext: bytes, index: int,
                   commitments: Sequence[bytes]) -> bytes:  # fmt: skip
    """Fields: b"bit", election id, public key, receipt hash (32 bytes), the whole ciphertext, the
    component's index (one byte), then A_0, B_0, A_1, B_1."""
    return _challenge(b"bit", election, public, receipt, ciphertext, bytes([index]), *commitments)


def _sum_challenge(election: bytes, public: bytes, receipt: bytes, ciphertext: bytes, u: bytes,
                   v: bytes) -> bytes:  # fmt: skip
    """Fields: b"sum", election id, public key, receipt hash, the whole ciphertext, U, V."""
    return _challenge(b"sum", election, public, receipt, ciphertext, u, v)


def _bit_commitments(public: bytes, a: bytes, b: bytes, c0: bytes, s0: bytes, c1: bytes, s1: bytes):
    """A_j = s_j·G - c_j·a and B_j = s_j·h - c_j·(b - j·G) for j = 0, 1."""
    b_minus_g = _sub(b, G)
    return (
        _sub(_base(s0), _mul(c0, a)),
        _sub(_mul(s0, public), _mul(c0, b)),
        _sub(_base(s1), _mul(c1, a)),
        _sub(_mul(s1, public), _mul(c1, b_minus_g)),
    )


def _simulated_commitments(
    public: bytes, r: bytes, bit: int, c_fake: bytes, s_fake: bytes
) -> tuple[bytes, bytes]:
    """The commitments of the branch a component does not encrypt (``fake = 1 - bit``), as the
    verifier recomputes them (``_bit_commitments``) from the ciphertext ``(a, b) = (r·G, r·h + bit·G)``:

        A = s·G - c·a             = t·G              with t = s - c·r
        B = s·h - c·(b - fake·G)  = t·h - c·(bit - fake)·G

    The same points, with two scalar multiplications fewer: the prover knows ``r``, so ``c·a`` and
    ``c·r·h`` fold into ``t`` (scalar arithmetic modulo L, libsodium's), and ``bit - fake`` is ±1.
    """
    t = sodium.crypto_core_ed25519_scalar_sub(s_fake, sodium.crypto_core_ed25519_scalar_mul(c_fake, r))
    c_g = _base(c_fake)
    t_h = _mul(t, public)
    return _base(t), (_sub(t_h, c_g) if bit else _add(t_h, c_g))


def encrypt_ballot(public: bytes, proposal_id: int, receipt_hash: str, choice: str) -> tuple[bytes, bytes]:
    """The ciphertext and proof of a ballot for ``choice``, bound to the vote and to its receipt hash."""
    if choice not in CHOICES:
        raise ValueError(f"unknown choice {choice!r}")
    if not valid_point(public):
        raise ValueError("not a valid public key")
    election = election_id(proposal_id)
    receipt = bytes.fromhex(receipt_hash)
    bits = [1 if key == choice else 0 for key in CHOICES]
    randomness = [random_scalar() for _key in CHOICES]
    parts: list[bytes] = []
    for bit, r in zip(bits, randomness, strict=True):
        parts.append(_base(r))
        parts.append(_add(_mul(r, public), G) if bit else _mul(r, public))
    ciphertext = b"".join(parts)
    proof: list[bytes] = []
    for index, (bit, r) in enumerate(zip(bits, randomness, strict=True)):
        c_fake, s_fake, w = random_scalar(), random_scalar(), random_scalar()
        real = (_base(w), _mul(w, public))
        simulated = _simulated_commitments(public, r, bit, c_fake, s_fake)
        commitments = (*real, *simulated) if bit == 0 else (*simulated, *real)
        c = _bit_challenge(election, public, receipt, ciphertext, index, commitments)
        c_real = sodium.crypto_core_ed25519_scalar_sub(c, c_fake)
        s_real = sodium.crypto_core_ed25519_scalar_add(w, sodium.crypto_core_ed25519_scalar_mul(c_real, r))
        proof += [c_real, s_real, c_fake, s_fake] if bit == 0 else [c_fake, s_fake, c_real, s_real]
    r_sum = ZERO
    for r in randomness:
        r_sum = sodium.crypto_core_ed25519_scalar_add(r_sum, r)
    a_sum, b_sum = _sum_pair(ciphertext)
    w = random_scalar()
    c = _sum_challenge(election, public, receipt, ciphertext, _base(w), _mul(w, public))
    proof += [c, sodium.crypto_core_ed25519_scalar_add(w, sodium.crypto_core_ed25519_scalar_mul(c, r_sum))]
    return ciphertext, b"".join(proof)


def _sum_pair(ciphertext: bytes) -> tuple[bytes, bytes]:
    a_sum, b_sum = ciphertext[0:POINT], ciphertext[POINT : 2 * POINT]
    for offset in range(2 * POINT, len(ciphertext), 2 * POINT):
        a_sum = _add(a_sum, ciphertext[offset : offset + POINT])
        b_sum = _add(b_sum, ciphertext[offset + POINT : offset + 2 * POINT])
    return a_sum, b_sum


def ciphertext_size(choices: int = len(CHOICES)) -> int:
    return 2 * POINT * choices


def proof_size(choices: int = len(CHOICES)) -> int:
    return 4 * SCALAR * choices + 2 * SCALAR


def check_ballot(public: bytes, proposal_id: int, receipt_hash: str, ciphertext: bytes, proof: bytes) -> None:
    """Raise BadProof unless every component encrypts 0 or 1 and they add up to 1."""
    n = len(CHOICES)
    if len(ciphertext) != ciphertext_size(n) or len(proof) != proof_size(n):
        raise BadProof("the ballot has the wrong size")
    points = [ciphertext[i : i + POINT] for i in range(0, len(ciphertext), POINT)]
    scalars = [proof[i : i + SCALAR] for i in range(0, len(proof), SCALAR)]
    if not all(valid_point(point) for point in points) or not valid_point(public):
        raise BadProof("the ballot holds a point outside the group")
    if not all(canonical_scalar(scalar) for scalar in scalars):
        raise BadProof("the ballot's proof holds a non-canonical scalar")
    election = election_id(proposal_id)
    receipt = bytes.fromhex(receipt_hash)
    try:
        for index in range(n):
            a, b = points[2 * index], points[2 * index + 1]
            c0, s0, c1, s1 = scalars[4 * index : 4 * index + 4]
            commitments = _bit_commitments(public, a, b, c0, s0, c1, s1)
            expected = _bit_challenge(election, public, receipt, ciphertext, index, commitments)
            if sodium.crypto_core_ed25519_scalar_add(c0, c1) != expected:
                raise BadProof(f"component {index} is not proven to encrypt 0 or 1")
        c, s = scalars[4 * n], scalars[4 * n + 1]
        a_sum, b_sum = _sum_pair(ciphertext)
        u = _sub(_base(s), _mul(c, a_sum))
        v = _sub(_mul(s, public), _mul(c, _sub(b_sum, G)))
        if _sum_challenge(election, public, receipt, ciphertext, u, v) != c:
            raise BadProof("the components are not proven to add up to one choice")
    except _FAILURES as error:
        if isinstance(error, BadProof):
            raise
        raise BadProof("the ballot's proof does not compute") from error


# -- the tally ----------------------------------------------------------------------------------------


def weighted_sums(
    ballots: Iterable[tuple[bytes, int]], choices: int = len(CHOICES)
) -> list[tuple[bytes, bytes]]:
    """Per choice, the ciphertext of ``sum(weight·bit)`` over ``(ciphertext, weight)`` pairs."""
    return tally_sums(ballots, 1, choices)[0]


def tally_sums(
    ballots: Iterable[tuple[Any, ...]], columns: int, choices: int = len(CHOICES)
) -> list[list[tuple[bytes, bytes]]]:
    """For each weight column of ``(ciphertext, weight, weight, ...)`` rows, the per-choice ciphertext
    of ``sum(weight·bit)`` -- e.g. one column of persons and one of area, in a single pass.

    Every point is validated once. Ballots of equal weight are added first and multiplied once
    (flats of one type share an area), so each distinct weight costs one scalar multiplication per
    point. An empty tally is the encryption of 0 with no randomness: (identity, identity).
    """
    grouped: list[dict[int, list[bytes]]] = [{} for _column in range(columns)]
    for row in ballots:
        ciphertext, weights = row[0], row[1:]
        if len(ciphertext) != ciphertext_size(choices):
            raise BadProof("a ballot has the wrong size")
        points = [ciphertext[i : i + POINT] for i in range(0, len(ciphertext), POINT)]
        if not all(valid_point(point) for point in points):
            raise BadProof("a ballot holds a point outside the group")
        for by_weight, weight in zip(grouped, weights, strict=True):
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
                raise ValueError(f"a weight must be a non-negative integer, not {weight!r}")
            sums = by_weight.get(weight)
            by_weight[weight] = (
                points if sums is None else [_add(p, q) for p, q in zip(sums, points, strict=True)]
            )
    results = []
    for by_weight in grouped:
        totals = [IDENTITY] * (2 * choices)
        for weight, sums in by_weight.items():
            w = _scalar(weight)
            totals = [_add(total, _mul(w, point)) for total, point in zip(totals, sums, strict=True)]
        results.append([(totals[2 * i], totals[2 * i + 1]) for i in range(choices)])
    return results


def _decryption_challenge(election: bytes, public: bytes, label: bytes, a: bytes, b: bytes, share: bytes,
                          u: bytes, v: bytes) -> bytes:  # fmt: skip
    """Fields: b"decrypt", election id, public key, the total's label (e.g. b"area:yes"), A, B, D, U, V."""
    return _challenge(b"decrypt", election, public, label, a, b, share, u, v)


@functools.lru_cache(maxsize=4)
def _baby_steps(step: int) -> dict[bytes, int]:
    """j·G -> j for 0 <= j < step, kept for the next total of the same size (a close decrypts eight)."""
    baby = {IDENTITY: 0}
    current = IDENTITY
    for j in range(1, step):
        current = _add(current, G)
        baby[current] = j
    return baby


def discrete_log(point: bytes, bound: int) -> int:
    """The m in [0, bound] with m·G = point (baby-step giant-step); raises BadProof when there is none."""
    if point == IDENTITY:
        return 0
    step = 1 << max(1, (bound.bit_length() + 1) // 2)  # a power of two >= sqrt(bound): tables are shared
    baby = _baby_steps(step)
    giant = encode(step)
    current = point
    for i in range(bound // step + 1):
        j = baby.get(current)
        if j is not None and i * step + j <= bound:
            return i * step + j
        current = _sub(current, giant)
    raise BadProof(f"the decrypted total is not a number between 0 and {bound}")


def decrypt_total(key: VoteKey, proposal_id: int, label: str, a: bytes, b: bytes, bound: int) -> Decryption:
    """Decrypt one total with its proof; ``bound`` is the most it can be (the roll's persons or area)."""
    share = _mul(key.secret, a)
    value = discrete_log(_sub(b, share), bound)
    w = random_scalar()
    election = election_id(proposal_id)
    c = _decryption_challenge(election, key.public, label.encode(), a, b, share, _base(w), _mul(w, a))
    s = sodium.crypto_core_ed25519_scalar_add(w, sodium.crypto_core_ed25519_scalar_mul(c, key.secret))
    return Decryption(value, share, c + s)


def check_decryption(public: bytes, proposal_id: int, label: str, a: bytes, b: bytes, share: bytes,
                     proof: bytes, value: int) -> None:  # fmt: skip
    """Raise BadProof unless ``share = x·A`` for the ``x`` behind ``public`` and ``B - share = value·G``."""
    if len(proof) != 2 * SCALAR or not all(canonical_scalar(proof[i : i + SCALAR]) for i in (0, SCALAR)):
        raise BadProof("the decryption proof is malformed")
    for point in (public, share):
        if not valid_point(point) and point != IDENTITY:
            raise BadProof("the decryption holds a point outside the group")
    c, s = proof[:SCALAR], proof[SCALAR:]
    try:
        u = _sub(_base(s), _mul(c, public))
        v = _sub(_mul(s, a), _mul(c, share))
        proven = (
            _decryption_challenge(election_id(proposal_id), public, label.encode(), a, b, share, u, v) == c
        )
        decrypted = _sub(b, share)
    except _FAILURES as error:
        raise BadProof("the decryption proof does not compute") from error
    if not proven:
        raise BadProof(f"the decryption of {label} is not proven")
    if decrypted != encode(value):
        raise BadProof(f"the decryption of {label} is not {value}")

"""The verifier's own checks of encrypted ballots and decrypted totals, on libsodium through PyNaCl.

Written from the published formats (``docs/verify.md``), not from agora's crypto code. The group is the
prime-order subgroup of edwards25519; every point is checked with ``crypto_core_ed25519_is_valid_point``
and every scalar must be below the group order ``L``. For a ballot with public key ``h``, receipt hash
``R`` and ciphertext ``(a_i, b_i)`` per choice, with proof scalars ``c0_i s0_i c1_i s1_i`` and ``c s``:

- component ``i`` encrypts 0 or 1: with ``A_j = s_j·G - c_j·a_i`` and ``B_j = s_j·h - c_j·(b_i - j·G)``,
  ``c0_i + c1_i = H("bit", election, h, R, ciphertext, i, A_0, B_0, A_1, B_1)``;
- the components add up to 1: with ``(a, b)`` their sums, ``U = s·G - c·a``, ``V = s·h - c·(b - G)``,
  ``c = H("sum", election, h, R, ciphertext, U, V)``;
- a total ``(A, B)`` decrypts to ``m`` with share ``D`` and proof ``c s``: with ``U = s·G - c·h`` and
  ``V = s·A - c·D``, ``c = H("decrypt", election, h, label, A, B, D, U, V)`` and ``B - D = m·G``.

``H`` is SHA-512 over ``b"agora-proof/1"`` then each field as a 4-byte big-endian length and its bytes,
reduced modulo ``L``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from nacl import bindings as nacl
from nacl import exceptions as nacl_errors

ORDER = 2**252 + 27742317777372353535851937790883648493
NEUTRAL = b"\x01" + b"\x00" * 31
NOTHING = b"\x00" * 32
BASE = nacl.crypto_scalarmult_ed25519_base_noclamp(b"\x01" + b"\x00" * 31)
ERRORS = (nacl_errors.CryptoError, TypeError, ValueError)
# Below this many ballots the checks run in this process; above it, on every core.
PARALLEL_FROM = 400


def point_ok(data: bytes) -> bool:
    return len(data) == 32 and bool(nacl.crypto_core_ed25519_is_valid_point(data))


def scalar_ok(data: bytes) -> bool:
    return len(data) == 32 and int.from_bytes(data, "little") < ORDER


def times_base(k: bytes) -> bytes:
    return NEUTRAL if k == NOTHING else nacl.crypto_scalarmult_ed25519_base_noclamp(k)


def times(k: bytes, point: bytes) -> bytes:
    if k == NOTHING or point == NEUTRAL:
        return NEUTRAL
    return nacl.crypto_scalarmult_ed25519_noclamp(k, point)


def plus(p: bytes, q: bytes) -> bytes:
    return nacl.crypto_core_ed25519_add(p, q)


def minus(p: bytes, q: bytes) -> bytes:
    return nacl.crypto_core_ed25519_sub(p, q)


def number(m: int) -> bytes:
    """m·G for 0 <= m < L."""
    return times_base(m.to_bytes(32, "little"))


def challenge(*fields: bytes) -> bytes:
    digest = hashlib.sha512(b"agora-proof/1")
    for item in fields:
        digest.update(len(item).to_bytes(4, "big") + item)
    return nacl.crypto_core_ed25519_scalar_reduce(digest.digest())


def election_bytes(proposal_id: int) -> bytes:
    return b"agora-vote/1:proposal=" + str(proposal_id).encode("ascii")


def ballot_holds(
    election: bytes, public: bytes, receipt: bytes, ciphertext: bytes, proof: bytes, k: int
) -> bool:
    """Whether a ballot of ``k`` choices is well formed: every component 0 or 1, summing to 1."""
    if len(ciphertext) != 64 * k or len(proof) != 128 * k + 64:
        return False
    points = [ciphertext[i : i + 32] for i in range(0, 64 * k, 32)]
    scalars = [proof[i : i + 32] for i in range(0, 128 * k + 64, 32)]
    if not all(point_ok(p) for p in points) or not all(scalar_ok(s) for s in scalars):
        return False
    try:
        for i in range(k):
            a, b = points[2 * i], points[2 * i + 1]
            c0, s0, c1, s1 = scalars[4 * i : 4 * i + 4]
            a0 = minus(times_base(s0), times(c0, a))
            b0 = minus(times(s0, public), times(c0, b))
            a1 = minus(times_base(s1), times(c1, a))
            b1 = minus(times(s1, public), times(c1, minus(b, BASE)))
            expected = challenge(b"bit", election, public, receipt, ciphertext, bytes([i]), a0, b0, a1, b1)
            if nacl.crypto_core_ed25519_scalar_add(c0, c1) != expected:
                return False
        a_sum, b_sum = points[0], points[1]
        for i in range(1, k):
            a_sum, b_sum = plus(a_sum, points[2 * i]), plus(b_sum, points[2 * i + 1])
        c, s = scalars[4 * k], scalars[4 * k + 1]
        u = minus(times_base(s), times(c, a_sum))
        v = minus(times(s, public), times(c, minus(b_sum, BASE)))
        return challenge(b"sum", election, public, receipt, ciphertext, u, v) == c
    except ERRORS:
        return False


Item = tuple[int, bytes, bytes, bytes, int, int]  # seq, receipt, ciphertext, proof, persons, area


def _sums(rows: Sequence[tuple[bytes, int]], k: int) -> list[bytes]:
    """The 2k points of ``sum(w·ciphertext)``; ballots of one weight are added, then multiplied once."""
    grouped: dict[int, list[bytes]] = {}
    for ciphertext, weight in rows:
        points = [ciphertext[i : i + 32] for i in range(0, 64 * k, 32)]
        seen = grouped.get(weight)
        grouped[weight] = points if seen is None else [plus(x, y) for x, y in zip(seen, points, strict=True)]
    totals = [NEUTRAL] * (2 * k)
    for weight, points in grouped.items():
        w = weight.to_bytes(32, "little")
        totals = [plus(t, times(w, p)) for t, p in zip(totals, points, strict=True)]
    return totals


def _check_chunk(args: tuple[bytes, bytes, int, list[Item]]) -> tuple[list[int], list[bytes], list[bytes]]:
    """The seqs whose proofs fail, and the chunk's sums by persons and by area over those that hold."""
    election, public, k, items = args
    bad, good = [], []
    for item in items:
        if ballot_holds(election, public, item[1], item[2], item[3], k):
            good.append(item)
        else:
            bad.append(item[0])
    return bad, _sums([(i[2], i[4]) for i in good], k), _sums([(i[2], i[5]) for i in good], k)


def check_and_sum(
    election: bytes, public: bytes, k: int, items: Sequence[Item]
) -> tuple[list[int], list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """Check every ballot ``(seq, receipt, ciphertext, proof, persons, area)`` and add them up.

    Returns the seqs whose proofs do not hold, and per choice ``(sum w·a_i, sum w·b_i)`` weighted by
    persons and by area over the ballots that hold. A large ledger is split over every core: a
    10,000-ballot vote is mostly these checks.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_FROM or workers < 2:
        results = [_check_chunk((election, public, k, list(items)))]
    else:
        size = -(-len(items) // (workers * 2))
        chunks = [(election, public, k, list(items[i : i + size])) for i in range(0, len(items), size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_check_chunk, chunks))
    bad: list[int] = []
    persons, area = [NEUTRAL] * (2 * k), [NEUTRAL] * (2 * k)
    for failed, by_persons, by_area in results:
        bad.extend(failed)
        persons = [plus(x, y) for x, y in zip(persons, by_persons, strict=True)]
        area = [plus(x, y) for x, y in zip(area, by_area, strict=True)]
    pairs = lambda points: [(points[2 * i], points[2 * i + 1]) for i in range(k)]  # noqa: E731
    return bad, pairs(persons), pairs(area)


def decryption_holds(
    election: bytes, public: bytes, label: bytes, a: bytes, b: bytes, share: bytes, proof: bytes, m: int
) -> bool:
    """Whether ``share`` is proven to be ``x·A`` for the ``x`` behind ``public``, and ``B - share = m·G``."""
    if len(proof) != 64 or not scalar_ok(proof[:32]) or not scalar_ok(proof[32:]):
        return False
    if not (point_ok(share) or share == NEUTRAL) or not 0 <= m < ORDER:
        return False
    c, s = proof[:32], proof[32:]
    try:
        u = minus(times_base(s), times(c, public))
        v = minus(times(s, a), times(c, share))
        if challenge(b"decrypt", election, public, label, a, b, share, u, v) != c:
            return False
        return minus(b, share) == number(m)
    except ERRORS:
        return False

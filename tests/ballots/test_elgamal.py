"""The crypto core of secret ballots: round trips, and every proof refusing a tampered value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.ballots import elgamal
from agora.ballots.chain import hash_receipt
from agora.ballots.elgamal import CHOICES, BadProof

KEY = elgamal.generate_key()
RECEIPT = hash_receipt("ABCD-EFGH-JK")
OTHER_RECEIPT = hash_receipt("ABCD-EFGH-JM")


def ballot(choice: str = "yes", receipt: str = RECEIPT, proposal: int = 7):
    return elgamal.encrypt_ballot(KEY.public, proposal, receipt, choice)


def flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 1]) + data[offset + 1 :]


@pytest.mark.parametrize("choice", CHOICES)
def test_each_choice_encrypts_to_a_proven_one_hot_ballot(choice):
    ciphertext, proof = ballot(choice)
    elgamal.check_ballot(KEY.public, 7, RECEIPT, ciphertext, proof)
    sums = elgamal.weighted_sums([(ciphertext, 1)])
    values = [
        elgamal.decrypt_total(KEY, 7, key, a, b, 1).value for key, (a, b) in zip(CHOICES, sums, strict=True)
    ]
    assert values == [1 if key == choice else 0 for key in CHOICES]


def test_two_encryptions_of_one_choice_differ():
    assert ballot("yes")[0] != ballot("yes")[0]


def test_a_proof_is_bound_to_its_receipt_vote_and_key():
    ciphertext, proof = ballot("no")
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 7, OTHER_RECEIPT, ciphertext, proof)
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 8, RECEIPT, ciphertext, proof)
    with pytest.raises(BadProof):
        elgamal.check_ballot(elgamal.generate_key().public, 7, RECEIPT, ciphertext, proof)


@pytest.mark.parametrize("offset", [0, 31, 32, 100, 200, 255])
def test_a_changed_ciphertext_byte_is_refused(offset):
    ciphertext, proof = ballot("abstain")
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, flip(ciphertext, offset), proof)


@pytest.mark.parametrize("offset", [0, 40, 130, 300, 511, 512, 575])
def test_a_changed_proof_byte_is_refused(offset):
    ciphertext, proof = ballot("yes")
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, ciphertext, flip(proof, offset))


def test_components_swapped_between_ballots_are_refused():
    yes, yes_proof = ballot("yes")
    no, _no_proof = ballot("no")
    mixed = no[:64] + yes[64:]  # choice "yes" component taken from a "no" ballot: two zeros
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, mixed, yes_proof)


def test_a_ballot_worth_two_cannot_be_proven():
    """A cheater adds one more encryption of 1 to the yes component: no proof made for the honest
    ballot holds, and an honest-looking proof cannot be made for the doubled one."""
    ciphertext, proof = ballot("yes")
    a, b = ciphertext[:32], ciphertext[32:64]
    extra_a, extra_b = ballot("yes")[0][:32], ballot("yes")[0][32:64]
    doubled = (
        elgamal.sodium.crypto_core_ed25519_add(a, extra_a)
        + elgamal.sodium.crypto_core_ed25519_add(b, extra_b)
        + ciphertext[64:]
    )
    with pytest.raises(BadProof):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, doubled, proof)


def test_points_outside_the_group_and_non_canonical_scalars_are_refused():
    ciphertext, proof = ballot("yes")
    with pytest.raises(BadProof, match="outside the group"):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, elgamal.IDENTITY + ciphertext[32:], proof)
    big = (elgamal.L + 1).to_bytes(32, "little")
    with pytest.raises(BadProof, match="non-canonical"):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, ciphertext, big + proof[32:])
    with pytest.raises(BadProof, match="size"):
        elgamal.check_ballot(KEY.public, 7, RECEIPT, ciphertext[:-1], proof)


def test_a_wrong_decryption_is_refused():
    ciphertext, _proof = ballot("yes")
    (a, b), *_rest = elgamal.weighted_sums([(ciphertext, 8950)])
    result = elgamal.decrypt_total(KEY, 7, "area:yes", a, b, 10_000)
    assert result.value == 8950
    elgamal.check_decryption(KEY.public, 7, "area:yes", a, b, result.share, result.proof, 8950)
    with pytest.raises(BadProof, match="is not 8951"):
        elgamal.check_decryption(KEY.public, 7, "area:yes", a, b, result.share, result.proof, 8951)
    with pytest.raises(BadProof, match="not proven"):
        elgamal.check_decryption(KEY.public, 7, "area:no", a, b, result.share, result.proof, 8950)
    # A share that decrypts to another value needs a proof the server cannot make.
    forged = elgamal.sodium.crypto_core_ed25519_add(result.share, elgamal.G)
    with pytest.raises(BadProof):
        elgamal.check_decryption(KEY.public, 7, "area:yes", a, b, forged, result.proof, 8949)
    with pytest.raises(BadProof):
        elgamal.check_decryption(KEY.public, 7, "area:yes", a, b, result.share, flip(result.proof, 3), 8950)


def test_an_empty_tally_decrypts_to_zero():
    (a, b), *_rest = elgamal.weighted_sums([])
    result = elgamal.decrypt_total(KEY, 7, "persons:yes", a, b, 5)
    assert result.value == 0
    elgamal.check_decryption(KEY.public, 7, "persons:yes", a, b, result.share, result.proof, 0)


def test_a_total_beyond_the_bound_is_refused():
    ciphertext, _proof = ballot("no")
    _yes, (a, b), *_rest = elgamal.weighted_sums([(ciphertext, 500)])
    with pytest.raises(BadProof, match="between 0 and 499"):
        elgamal.decrypt_total(KEY, 7, "area:no", a, b, 499)


def test_sealed_key_opens_only_with_the_same_secret_and_vote():
    sealed = elgamal.seal_key(KEY, "server-secret", 7)
    assert elgamal.open_key(sealed, KEY.public, "server-secret", 7) == KEY
    with pytest.raises(BadProof):
        elgamal.open_key(sealed, KEY.public, "another-secret", 7)
    with pytest.raises(BadProof):
        elgamal.open_key(sealed, KEY.public, "server-secret", 8)
    assert KEY.secret not in sealed


@pytest.mark.parametrize("m", [0, 1, 2, 99, 100, 101, 12_737_800])
def test_discrete_log_finds_every_value_up_to_its_bound(m):
    assert elgamal.discrete_log(elgamal.encode(m), 12_737_800) == m


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CHOICES), st.integers(0, 50_000)), max_size=8))
def test_the_homomorphic_weighted_tally_equals_the_plain_sums(ballots):
    encrypted = [(ballot(choice)[0], weight) for choice, weight in ballots]
    bound = sum(weight for _choice, weight in ballots)
    for index, (a, b) in enumerate(elgamal.weighted_sums(encrypted)):
        expected = sum(weight for choice, weight in ballots if choice == CHOICES[index])
        result = elgamal.decrypt_total(KEY, 7, CHOICES[index], a, b, bound)
        assert result.value == expected
        elgamal.check_decryption(KEY.public, 7, CHOICES[index], a, b, result.share, result.proof, expected)

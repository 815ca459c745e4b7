"""Ballots, the hash-chained ledger, paper ballot details, delivery proofs and resolution records.

One effective ballot per person and proposal is enforced by the database: `BallotSlot` is unique on
(proposal, person_key), and every ledger row is unique on (proposal, seq), so two concurrent casts can
never both succeed and the chain can never fork.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class BallotSlot(Model):
    """The one effective ballot of a person (or, for a consultation, an account) on a proposal.

    `seq` points at the ledger entry that counts. A revote, where the rules allow it, appends a new
    entry and moves `seq` to it. The owner_ref and user are known to the convenor and auditors only.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField(
        "agora.Proposal", related_name="ballot_slots", on_delete=fields.RESTRICT
    )
    person_key = fields.CharField(max_length=140)
    seq = fields.IntField()
    channel = fields.CharField(max_length=16)
    area_cents = fields.BigIntField(default=0)  # the ballot's weight, as in the ledger
    owner_ref = fields.CharField(max_length=64, default="")
    user = fields.ForeignKeyField(
        "agora.User", related_name="ballot_slots", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "ballot_slots"
        unique_together = (("proposal", "person_key"),)


class LedgerRow(Model):
    """One append-only entry of a proposal's ledger (see agora.ballots.chain for the hash).

    `at` is stored as the exact ISO text that was hashed, so the chain recomputes byte for byte.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="ledger_rows", on_delete=fields.RESTRICT)
    seq = fields.IntField()
    receipt_hash = fields.CharField(max_length=64)
    choice = fields.CharField(max_length=64)
    persons = fields.IntField()
    area_cents = fields.BigIntField()
    channel = fields.CharField(max_length=16)
    at = fields.CharField(max_length=40)
    replaces = fields.IntField(null=True)
    prev = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    # A secret vote's entry (agora-ledger/2): the encrypted ballot and its proofs, lowercase hex;
    # `choice` is then empty and the choice is kept nowhere.
    ciphertext = fields.TextField(null=True)
    proof = fields.TextField(null=True)

    class Meta:
        table = "ballot_ledger"
        unique_together = (("proposal", "seq"), ("proposal", "receipt_hash"))


class VoteKey(Model):
    """The key of one secret vote, made when voting opens (agora.ballots.secrecy).

    `public_key` is published. `sealed` is the secret half encrypted under a key derived from
    AGORA_SECRET_KEY; it is used once at the close to decrypt the totals and then set to null in the
    closing transaction (`destroyed_at`). A proposal without a VoteKey row is a named vote.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.OneToOneField("agora.Proposal", related_name="vote_key", on_delete=fields.RESTRICT)
    public_key = fields.CharField(max_length=64)
    sealed = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    destroyed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "vote_keys"


class PaperBallot(Model):
    """Who entered a paper or proxy ballot, who witnessed it, and the proxy's written authorization."""

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField(
        "agora.Proposal", related_name="paper_ballots", on_delete=fields.RESTRICT
    )
    seq = fields.IntField()
    owner_ref = fields.CharField(max_length=64)
    canvasser = fields.ForeignKeyField(
        "agora.User", related_name="paper_ballots", null=True, on_delete=fields.SET_NULL
    )
    witness = fields.CharField(max_length=120)
    proxy_name = fields.CharField(max_length=120, null=True)
    proxy_key = fields.CharField(max_length=120, null=True, db_index=True)  # normalized name, for the cap
    proxy_reference = fields.CharField(max_length=200, null=True)
    proxy_scope = fields.CharField(max_length=500, null=True)
    # The proxy's identity as written (last four characters of the ID) and the authorization's words.
    proxy_id_last4 = fields.CharField(max_length=4, null=True)
    proxy_authorization = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "paper_ballots"
        unique_together = (("proposal", "seq"),)


class IdempotencyKey(Model):
    """A client's Idempotency-Key and the response it got, so a retry gets the same receipt.

    Only a hash of the key is stored, and the receipt inside the response is sealed with the key
    itself: whoever reads the table cannot recover a receipt. Rows are deleted when the vote closes.
    """

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="idempotency_keys", on_delete=fields.CASCADE)
    key_hash = fields.CharField(max_length=64)
    proposal_id = fields.IntField(db_index=True)
    status = fields.IntField()
    response = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "ballot_idempotency"
        unique_together = (("user", "key_hash"),)


class DeliveryProof(Model):
    """A canvasser's record that an owner was served a ballot (needed for deemed participation)."""

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField(
        "agora.Proposal", related_name="delivery_proofs", on_delete=fields.RESTRICT
    )
    owner_ref = fields.CharField(max_length=64)
    person_key = fields.CharField(max_length=140)
    delivered_at = fields.DatetimeField()
    witness = fields.CharField(max_length=120)
    canvasser = fields.ForeignKeyField(
        "agora.User", related_name="delivery_proofs", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "delivery_proofs"
        unique_together = (("proposal", "owner_ref"),)


class Resolution(Model):
    """The resolution record of a closed owners' vote, numbered per compound.

    `document` is a draft until posted, then frozen with its `hash` and never written again. A
    correction is a new record whose `supersedes` points at the old one.
    """

    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField("agora.Hall", related_name="resolutions", on_delete=fields.RESTRICT)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="resolutions", on_delete=fields.RESTRICT)
    year = fields.IntField()
    sequence = fields.IntField()
    # Unique per compound and year through (compound, year, sequence): two compounds may share a name.
    number = fields.CharField(max_length=160, db_index=True)
    title = fields.CharField(max_length=200)
    document = fields.JSONField()
    hash = fields.CharField(max_length=64, default="")
    supersedes = fields.ForeignKeyField(
        "agora.Resolution", related_name="superseded_by", null=True, on_delete=fields.RESTRICT
    )
    correction_reason = fields.TextField(default="")
    created_at = fields.DatetimeField()
    posted_at = fields.DatetimeField(null=True)
    display_until = fields.DatetimeField(null=True)
    # Posted first as preliminary (objections open), then final: the final document and its hash
    # replace `document`/`hash`, the preliminary hash is kept here.
    finalized_at = fields.DatetimeField(null=True)
    preliminary_hash = fields.CharField(max_length=64, null=True)  # nullable: added to a table with rows

    class Meta:
        table = "resolutions"
        unique_together = (("compound", "year", "sequence"),)
        # Covers the figures' read of a community's records, which never walks the large documents.
        indexes = (Index(fields=("compound_id", "id", "number", "proposal_id"), name="resolutions_figures"),)


class Certification(Model):
    """One owners' committee member's signature on a resolution record."""

    id = fields.IntField(primary_key=True)
    resolution = fields.ForeignKeyField(
        "agora.Resolution", related_name="certifications", on_delete=fields.RESTRICT
    )
    user = fields.ForeignKeyField("agora.User", related_name="certifications", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    at = fields.DatetimeField()

    class Meta:
        table = "certifications"
        unique_together = (("resolution", "user"),)


class Objection(Model):
    """An owner's objection to a preliminary resolution record, and the committee's answer."""

    id = fields.IntField(primary_key=True)
    resolution = fields.ForeignKeyField(
        "agora.Resolution", related_name="objections", on_delete=fields.RESTRICT
    )
    proposal_id = fields.IntField(db_index=True)
    owner_ref = fields.CharField(max_length=64)
    user = fields.ForeignKeyField(
        "agora.User", related_name="objections", null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField()
    created_at = fields.DatetimeField()
    answer = fields.TextField(default="")
    answered_by = fields.ForeignKeyField(
        "agora.User", related_name="objection_answers", null=True, on_delete=fields.SET_NULL
    )
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "objections"


class Consent(Model):
    """One owner's individual consent (art. 279 change of use, an elevator's occupied unit).

    Given once: online by the owner, or entered by a canvasser or committee member with a witness.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="consents", on_delete=fields.RESTRICT)
    owner_ref = fields.CharField(max_length=64)
    consent = fields.BooleanField()
    channel = fields.CharField(max_length=16)  # "online" | "witnessed"
    witness = fields.CharField(max_length=120, default="")
    user = fields.ForeignKeyField("agora.User", related_name="consents", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()

    class Meta:
        table = "consents"
        unique_together = (("proposal", "owner_ref"),)

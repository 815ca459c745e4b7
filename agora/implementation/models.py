"""Carrying a decision out: the implementation of a passed proposal, its milestones, updates,
photos, quotes and budget amendments.

Money is stored as integer fen (BigInt), never as a float. One implementation per proposal
(unique), opened only once the proposal's resolution record is final and passed.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from agora.proposals.models import PhotoColumns


class Implementation(Model):
    """The work a passed decision promised: who leads it, by when, for how much, funded how.

    `status` is the stored status (planned, in_progress, done, accepted), and stalled is derived
    from `due_at` when read. `acceptance_proposal_id` is the residents' acceptance poll (a
    consultation proposal) opened when the work is marked done.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.OneToOneField(
        "agora.Proposal", related_name="implementation", on_delete=fields.RESTRICT
    )
    hall_id = fields.IntField(db_index=True)
    lead = fields.ForeignKeyField("agora.User", related_name="led_implementations", on_delete=fields.RESTRICT)
    due_at = fields.DatetimeField()
    budget_fen = fields.BigIntField()
    funding = fields.JSONField(default=list)  # [{source, fen}] adding up to budget_fen
    status = fields.CharField(max_length=16, default="planned", db_index=True)
    progress = fields.IntField(default=0)
    spent_fen = fields.BigIntField(default=0)
    acceptance_proposal_id = fields.IntField(null=True)
    accepted_count = fields.IntField(null=True)
    rejected_count = fields.IntField(null=True)
    stalled_notified_at = fields.DatetimeField(null=True)
    created_by = fields.ForeignKeyField(
        "agora.User", related_name="opened_implementations", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "implementations"


class Milestone(Model):
    id = fields.IntField(primary_key=True)
    implementation = fields.ForeignKeyField(
        "agora.Implementation", related_name="milestones", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    due_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "implementation_milestones"
        indexes = (Index(fields=("implementation_id",), name="impl_milestones_impl"),)


class ImplementationUpdate(Model):
    """One report on the work: progress and cumulative spending at that moment, text and photos.

    `kind` is "update" for a report by the committee or the lead, "stalled" for the reminder the
    platform writes when the due date passes, "acceptance" for the result of the residents' poll.
    """

    id = fields.IntField(primary_key=True)
    implementation = fields.ForeignKeyField(
        "agora.Implementation", related_name="updates", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16, default="update")
    by = fields.ForeignKeyField(
        "agora.User", related_name="implementation_updates", null=True, on_delete=fields.SET_NULL
    )
    body = fields.TextField(default="")
    body_html = fields.TextField(default="")
    note = fields.TextField(default="")
    progress = fields.IntField()
    spent_fen = fields.BigIntField()
    stage = fields.CharField(max_length=8, default="during")
    at = fields.DatetimeField()

    class Meta:
        table = "implementation_updates"
        indexes = (Index(fields=("implementation_id",), name="impl_updates_impl"),)


class ImplementationPhoto(Model, PhotoColumns):
    """A photo of the works, tagged before, during or after, re-encoded without metadata."""

    id = fields.IntField(primary_key=True)
    implementation_id = fields.IntField()
    update = fields.ForeignKeyField(
        "agora.ImplementationUpdate", related_name="photos", on_delete=fields.CASCADE
    )
    stage = fields.CharField(max_length=8)

    class Meta:
        table = "implementation_photos"
        indexes = (Index(fields=("implementation_id",), name="impl_photos_impl"),)


class Quote(Model):
    """A supplier's quote. The chosen one is the contract."""

    id = fields.IntField(primary_key=True)
    implementation = fields.ForeignKeyField(
        "agora.Implementation", related_name="quotes", on_delete=fields.CASCADE
    )
    supplier = fields.CharField(max_length=200)
    amount_fen = fields.BigIntField()
    quoted_on = fields.DateField()
    chosen = fields.BooleanField(default=False)
    chosen_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "implementation_quotes"
        indexes = (Index(fields=("implementation_id",), name="impl_quotes_impl"),)


class BudgetAmendment(Model):
    """A new approved budget, carried by a later vote whose record is final and passed."""

    id = fields.IntField(primary_key=True)
    implementation = fields.ForeignKeyField(
        "agora.Implementation", related_name="amendments", on_delete=fields.CASCADE
    )
    proposal_id = fields.IntField()
    old_budget_fen = fields.BigIntField()
    new_budget_fen = fields.BigIntField()
    by = fields.ForeignKeyField(
        "agora.User", related_name="budget_amendments", null=True, on_delete=fields.SET_NULL
    )
    at = fields.DatetimeField()

    class Meta:
        table = "implementation_budget_amendments"
        unique_together = (("implementation", "proposal_id"),)

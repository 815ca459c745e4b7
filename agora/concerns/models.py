"""Residents' concerns (诉求) and wishes (微心愿), their history, replies, photos and the search index.

A concern belongs to a compound (and, when raised for one, to a building of it). Its lifecycle is
`status` plus `*_at` timestamps: `created_at` (received), `accepted_at` (triaged), `resolved_at`,
`closed_at` (resolved, closed unresolved or merged). Every change of status, every triage and every
merge is also a `ConcernEvent` row: the history the submitter sees. The rules are in
`agora.concerns.rules` (pure), the use cases in `agora.concerns.services`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from agora.proposals.models import PhotoColumns


class Concern(Model):
    """A worry or a small wish raised by a resident (or entered for one by a canvasser)."""

    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField("agora.Hall", related_name="concerns", on_delete=fields.RESTRICT)
    building = fields.ForeignKeyField(
        "agora.Hall", related_name="building_concerns", null=True, on_delete=fields.SET_NULL
    )
    # The compound's running number (ref shows it as YEAR-NNNN), unique in the compound.
    seq = fields.IntField()
    ref = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=16, default="concern")  # concern | wish
    title = fields.CharField(max_length=120)
    body = fields.TextField()
    category = fields.CharField(max_length=40)
    visibility = fields.CharField(max_length=16, default="public")  # public | moderators
    status = fields.CharField(max_length=24, default="received")
    urgency = fields.IntField(null=True)  # 1 normal, 2 soon, 3 urgent (set by triage)
    route = fields.CharField(max_length=16, null=True)  # self_help | list | proposal | refer
    assignee = fields.CharField(max_length=80, default="")  # who is on it (a person, a team, a company)
    due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    # Who raised it: the resident's account, or (on behalf) the canvasser who entered it and a name.
    submitter = fields.ForeignKeyField(
        "agora.User", related_name="concerns", null=True, on_delete=fields.SET_NULL
    )
    entered_by = fields.ForeignKeyField(
        "agora.User", related_name="concerns_entered", null=True, on_delete=fields.SET_NULL
    )
    on_behalf_name = fields.CharField(max_length=60, default="")
    # sha256 of the follow code given to a resident entered on behalf (the code itself is not kept).
    follow_code_hash = fields.CharField(max_length=64, null=True, unique=True)
    merged_into_id = fields.IntField(null=True)
    feedback_satisfied = fields.BooleanField(null=True)
    feedback_comment = fields.TextField(default="")
    feedback_at = fields.DatetimeField(null=True)

    class Meta:
        table = "concerns"
        unique_together = (("compound", "seq"),)
        indexes = (
            Index(fields=("compound_id", "status"), name="concerns_compound_status"),
            Index(fields=("merged_into_id",), name="concerns_merged_into"),
            Index(fields=("submitter_id",), name="concerns_submitter"),
            # Covers the figures' read (agora/stats/queries.py): 20,000 rows without touching the table.
            Index(
                fields=("compound_id", "building_id", "kind", "category", "status", "created_at",
                        "resolved_at", "feedback_satisfied", "urgency"),
                name="concerns_figures",
            ),  # fmt: skip
        )


class ConcernEvent(Model):
    """One line of a concern's history: received, triaged, a status change, a merge, a linked proposal."""

    id = fields.IntField(primary_key=True)
    concern = fields.ForeignKeyField("agora.Concern", related_name="events", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=24)  # received | triage | status | merge | merged_in | proposal
    status = fields.CharField(max_length=24)  # the status after this event
    at = fields.DatetimeField()
    by = fields.ForeignKeyField(
        "agora.User", related_name="concern_events", null=True, on_delete=fields.SET_NULL
    )
    note = fields.TextField(default="")

    class Meta:
        table = "concern_events"
        indexes = (Index(fields=("concern_id",), name="concern_events_concern"),)


class ConcernReply(Model):
    """An official reply by the Party branch or the owners' committee."""

    id = fields.IntField(primary_key=True)
    concern = fields.ForeignKeyField("agora.Concern", related_name="replies", on_delete=fields.CASCADE)
    author = fields.ForeignKeyField("agora.User", related_name="concern_replies", on_delete=fields.RESTRICT)
    official_as = fields.CharField(max_length=16)  # party | committee
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "concern_replies"
        indexes = (Index(fields=("concern_id",), name="concern_replies_concern"),)


class ConcernPhoto(Model, PhotoColumns):
    """A photo of a concern, processed like a proposal's (re-encoded JPEG, no metadata)."""

    id = fields.IntField(primary_key=True)
    concern = fields.ForeignKeyField("agora.Concern", related_name="photos", on_delete=fields.CASCADE)
    uploader = fields.ForeignKeyField(
        "agora.User", related_name="concern_photos", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "concern_photos"
        indexes = (Index(fields=("concern_id",), name="concern_photos_concern"),)


class ConcernCategory(Model):
    """A category of the compound's own, beside the four every compound has."""

    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField(
        "agora.Hall", related_name="concern_categories", on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=20)
    created_at = fields.DatetimeField()

    class Meta:
        table = "concern_categories"
        unique_together = (("compound", "label"),)


class SearchTerm(Model):
    """The word index for search in Chinese: one row per (document, term), weighted.

    `doc_kind` is "concern" or "proposal". Terms come from jieba's word segmentation
    (`agora.concerns.segment`), so a search matches words, not arbitrary substrings.
    """

    id = fields.IntField(primary_key=True)
    compound_id = fields.IntField()
    doc_kind = fields.CharField(max_length=16)
    doc_id = fields.IntField()
    term = fields.CharField(max_length=32)
    weight = fields.IntField()

    class Meta:
        table = "search_terms"
        indexes = (
            Index(fields=("compound_id", "doc_kind", "term"), name="search_terms_lookup"),
            Index(fields=("doc_kind", "doc_id"), name="search_terms_doc"),
        )


class SearchDoc(Model):
    """What the index holds for one document: the digest of the text it was built from."""

    id = fields.IntField(primary_key=True)
    compound_id = fields.IntField()
    doc_kind = fields.CharField(max_length=16)
    doc_id = fields.IntField()
    digest = fields.CharField(max_length=64)

    class Meta:
        table = "search_docs"
        unique_together = (("doc_kind", "doc_id"),)
        indexes = (Index(fields=("compound_id", "doc_kind"), name="search_docs_compound"),)

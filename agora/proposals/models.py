"""Proposals, their timeline, seconds, the threaded discussion and its open moderation.

The lifecycle is kept as `*_at` timestamps plus `state`; every transition is also a
`ProposalTransition` row (the public timeline).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

STATES = ("draft", "consultation", "notice", "voting", "closed", "certified", "withdrawn", "rejected")
CATEGORIES = (
    "parking",
    "traffic",
    "greening",
    "facilities",
    "renovation",
    "elevator",
    "maintenance_fund",
    "property_management",
    "committee_election",
    "other",
)


class Proposal(Model):
    id = fields.IntField(primary_key=True)
    hall = fields.ForeignKeyField("agora.Hall", related_name="proposals", on_delete=fields.RESTRICT)
    author = fields.ForeignKeyField("agora.User", related_name="proposals", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    category = fields.CharField(max_length=32, default="other")
    matter = fields.CharField(max_length=16)
    item = fields.IntField(null=True)  # Civil Code art. 278 item (1-9) for owners' matters
    options = fields.JSONField(default=list)  # [{key, label}] for consultations
    entrance = fields.CharField(max_length=32, null=True)  # narrows the electorate to one entrance
    state = fields.CharField(max_length=16, default="draft", db_index=True)
    locked = fields.BooleanField(default=False)
    seconds = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    notice_at = fields.DatetimeField(null=True)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    certified_at = fields.DatetimeField(null=True)
    consultation_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)  # withdrawn or rejected
    end_reason = fields.TextField(default="")
    # The electorate frozen when voting opened (agora.rooms.models.RollSnapshot id).
    snapshot_id = fields.IntField(null=True)
    # The frozen roll's public fingerprint, published when voting opens and carried into the record.
    roll_fingerprint = fields.CharField(max_length=64, null=True)
    # The residents' concern this proposal answers (agora.concerns), named when it is drafted.
    concern_id = fields.IntField(null=True)
    # The procedure (api.md, "Procedure"): the rules of procedure frozen at notice, the earliest
    # opening the notice announced, the one extension of the window ({from, to, reason, by, at}).
    rules = fields.JSONField(null=True)
    opens_from = fields.DatetimeField(null=True)
    extension = fields.JSONField(null=True)
    # Special matters: art. 279 interested owners, an elevator's occupied units ([owner_ref]).
    affected = fields.JSONField(null=True)
    occupied = fields.JSONField(null=True)
    # A maintenance-fund spend (art. 278 item 5): the units it charges, "building/unit" as the roll
    # names them, which are its electorate. Set in the draft, fixed at notice. None: the whole hall.
    charged_units = fields.JSONField(null=True)

    class Meta:
        table = "proposals"


class ProposalTransition(Model):
    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="transitions", on_delete=fields.CASCADE)
    from_state = fields.CharField(max_length=16)
    to_state = fields.CharField(max_length=16)
    at = fields.DatetimeField()
    by = fields.ForeignKeyField(
        "agora.User", related_name="transitions", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField(default="")

    class Meta:
        table = "proposal_transitions"
        indexes = (Index(fields=("proposal_id",), name="proposal_transitions_proposal"),)


class ProposalSecond(Model):
    """A member's support for putting a draft on the agenda (one per member)."""

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="second_rows", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("agora.User", related_name="seconds", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()

    class Meta:
        table = "proposal_seconds"
        unique_together = (("proposal", "user"),)


class Comment(Model):
    """A comment in a proposal's threaded discussion. Never deleted: a deletion is a tombstone."""

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="comments", on_delete=fields.CASCADE)
    hall_id = fields.IntField(db_index=True)
    author = fields.ForeignKeyField("agora.User", related_name="comments", on_delete=fields.RESTRICT)
    # The comment replied to, the top-level comment of the thread, and the depth (0 = top level).
    parent_id = fields.IntField(null=True)
    root_id = fields.IntField(null=True, db_index=True)
    depth = fields.IntField(default=0)
    parent_author_id = fields.IntField(null=True, db_index=True)
    body = fields.TextField()
    body_html = fields.TextField()
    stance = fields.CharField(max_length=16, default="neutral")
    official = fields.BooleanField(default=False)
    official_as = fields.CharField(max_length=16, default="")  # "party" | "committee"
    created_at = fields.DatetimeField()
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    hidden_at = fields.DatetimeField(null=True)
    hidden_reason = fields.TextField(default="")
    hidden_by_id = fields.IntField(null=True)

    class Meta:
        table = "comments"
        indexes = (("proposal_id", "parent_id", "id"),)


class CommentRevision(Model):
    """The text a comment had before an edit: edits stay visible."""

    id = fields.IntField(primary_key=True)
    comment = fields.ForeignKeyField("agora.Comment", related_name="revisions", on_delete=fields.CASCADE)
    body = fields.TextField()
    body_html = fields.TextField()
    replaced_at = fields.DatetimeField()

    class Meta:
        table = "comment_revisions"


class CommentReport(Model):
    """A member's report of a comment, for the moderators' queue."""

    id = fields.IntField(primary_key=True)
    comment = fields.ForeignKeyField("agora.Comment", related_name="reports", on_delete=fields.CASCADE)
    hall_id = fields.IntField(db_index=True)
    reporter = fields.ForeignKeyField("agora.User", related_name="comment_reports", on_delete=fields.CASCADE)
    reason = fields.TextField()
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "comment_reports"
        unique_together = (("comment", "reporter"),)


class ModerationEntry(Model):
    """One line of a hall's public moderation log (hide, restore, lock, unlock, official, reject)."""

    id = fields.IntField(primary_key=True)
    hall_id = fields.IntField(db_index=True)
    action = fields.CharField(max_length=32)
    actor = fields.ForeignKeyField(
        "agora.User", related_name="moderation_entries", null=True, on_delete=fields.SET_NULL
    )
    proposal_id = fields.IntField(null=True)
    comment_id = fields.IntField(null=True)
    reason = fields.TextField(default="")
    at = fields.DatetimeField()

    class Meta:
        table = "moderation_log"


class InboxState(Model):
    """When a member last read their inbox: everything newer is unread."""

    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("agora.User", related_name="inbox_state", on_delete=fields.CASCADE)
    read_at = fields.DatetimeField()

    class Meta:
        table = "inbox_state"


class PhotoColumns:
    """The columns of a stored photo, shared by the proposals', concerns' and works' photo tables (the
    one pipeline, `agora.proposals.photos.process`, fills them): `data` is the re-encoded JPEG shown,
    `thumb` its small version, `sha256` the digest of `data`. A mixin: each table keeps its own."""

    data = fields.BinaryField()
    thumb = fields.BinaryField()
    width = fields.IntField()
    height = fields.IntField()
    thumb_width = fields.IntField()
    thumb_height = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()


class ProposalPhoto(Model, PhotoColumns):
    """A photo attached to a proposal, stored re-encoded as a JPEG with no metadata (no EXIF, no GPS).

    `data` is the image shown (at most 1600 px on the long side) and `thumb` its small version
    (at most 480 px). `sha256` is the digest of `data`.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.ForeignKeyField("agora.Proposal", related_name="photos", on_delete=fields.CASCADE)
    uploader = fields.ForeignKeyField(
        "agora.User", related_name="proposal_photos", null=True, on_delete=fields.SET_NULL
    )
    content_type = fields.CharField(max_length=32, default="image/jpeg")

    class Meta:
        table = "proposal_photos"
        indexes = (Index(fields=("proposal_id",), name="proposal_photos_proposal"),)


class ResidentsMeeting(Model):
    """A residents' meeting (居民会议) held on a proposal: its roll of residents frozen when it opened,
    who opened and closed it, and the decision computed at the close (agora.proposals.assembly).

    Not an owners' vote: residents (tenants too) attend and vote, one each, by the Organic Law of Urban
    Residents' Committees art. 9. Attendance and votes are in `meeting_attendance`, not the ledger.
    """

    id = fields.IntField(primary_key=True)
    proposal = fields.OneToOneField("agora.Proposal", related_name="meeting", on_delete=fields.CASCADE)
    roll = fields.JSONField()  # [[user_id, display_name]] frozen at opening
    residents = fields.IntField()
    opened_at = fields.DatetimeField()
    opened_by = fields.ForeignKeyField(
        "agora.User", related_name="meetings_opened", null=True, on_delete=fields.SET_NULL
    )
    closed_at = fields.DatetimeField(null=True)
    closed_by = fields.ForeignKeyField(
        "agora.User", related_name="meetings_closed", null=True, on_delete=fields.SET_NULL
    )
    result = fields.JSONField(null=True)

    class Meta:
        table = "residents_meetings"


class MeetingAttendance(Model):
    """A resident present at a residents' meeting (online, or in the room entered with a witness),
    and the vote they gave there (yes, no, abstain), if any. One row per resident per meeting."""

    id = fields.IntField(primary_key=True)
    meeting = fields.ForeignKeyField(
        "agora.ResidentsMeeting", related_name="attendance", on_delete=fields.CASCADE
    )
    user_id = fields.IntField()  # the resident, on the meeting's frozen roll
    name = fields.CharField(max_length=120)
    channel = fields.CharField(max_length=16)  # "online" | "room"
    witness = fields.CharField(max_length=120, default="")
    entered_by_id = fields.IntField(null=True)
    present_at = fields.DatetimeField()
    choice = fields.CharField(max_length=16, null=True)
    vote_channel = fields.CharField(max_length=16, null=True)
    vote_witness = fields.CharField(max_length=120, default="")
    vote_entered_by_id = fields.IntField(null=True)
    voted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "meeting_attendance"
        unique_together = (("meeting", "user_id"),)

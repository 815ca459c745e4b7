"""Notifications for one member (the in-app inbox), how each was delivered, and where to reach them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    """One thing that needs a member, e.g. a vote closing soon they have not voted in.

    `key` names the occasion (kind, proposal, lead time), so a reminder is made once per member."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    key = fields.CharField(max_length=128)
    proposal_id = fields.IntField(null=True)
    hall_id = fields.IntField(null=True)
    due_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        unique_together = (("user", "key"),)


class Delivery(Model):
    """One attempt to pass a notification on outside the app (email, SMS, WeChat)."""

    id = fields.IntField(primary_key=True)
    notification = fields.ForeignKeyField(
        "agora.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=16)
    ok = fields.BooleanField()
    detail = fields.CharField(max_length=255, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "notification_deliveries"


class Contact(Model):
    """Where a member wants to be reached besides the inbox (each optional, set by the member)."""

    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("agora.User", related_name="contact", on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "notify_contacts"

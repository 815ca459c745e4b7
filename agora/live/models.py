"""Hall events, stored in the transaction that caused them: their id is the catch-up sequence."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LiveEvent(Model):
    id = fields.BigIntField(primary_key=True)
    hall_id = fields.IntField(db_index=True)
    type = fields.CharField(max_length=40)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "live_events"

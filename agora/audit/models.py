"""The audit log: append-only, one row per privileged action or security event."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor_id = fields.IntField(null=True)
    actor_login = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=32, default="")
    object_id = fields.CharField(max_length=64, default="")
    hall_id = fields.IntField(null=True, db_index=True)
    ip = fields.CharField(max_length=64, default="")
    request_id = fields.CharField(max_length=32, default="")
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "audit_log"

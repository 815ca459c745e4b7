"""One-time password reset codes, issued in a hall by its owners' committee or moderators."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PasswordReset(Model):
    """A reset code for one account. The table keeps only the code's SHA-256, never the code."""

    code_hash = fields.CharField(max_length=64, primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="password_resets", on_delete=fields.CASCADE)
    hall = fields.ForeignKeyField("agora.Hall", related_name="password_resets", on_delete=fields.CASCADE)
    issued_by = fields.ForeignKeyField(
        "agora.User", related_name="password_resets_issued", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_resets"

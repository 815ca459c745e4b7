"""Halls (community, compound, building), the owners' roll, roles, invites and roll snapshots."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

HALL_KINDS = ("community", "compound", "building")
ROLES = ("member", "tenant", "moderator", "committee", "canvasser", "staff")
# "staff": community / street-office staff (社区/街道工作人员), held in a community hall only and granted
# by an administrator. It reads the figures and lists of every compound under the community
# (agora.rooms.access.access_to_read), never a ballot's choice, an owner's contacts or a hidden item.
STAFF_ROLE = "staff"
SLUG_MAX_LENGTH = 64


class Hall(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    slug = fields.CharField(max_length=SLUG_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=120)
    parent = fields.ForeignKeyField(
        "agora.Hall", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # For a building: its compound; for a compound: itself (set after create); community: null.
    compound_id = fields.IntField(null=True, db_index=True)
    # Rules of procedure (compound halls only); see agora.rooms.rules for the keys and defaults.
    rules = fields.JSONField(default=dict)
    # A building's label as the roll's `building` column names it (e.g. "1"), unique in its compound.
    label = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "halls"


class Owner(Model):
    """A person (or the developer) on a compound's roll, identified by the committee's owner_ref."""

    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField("agora.Hall", related_name="owners", on_delete=fields.CASCADE)
    owner_ref = fields.CharField(max_length=64)
    name = fields.CharField(max_length=120)
    user = fields.ForeignKeyField(
        "agora.User", related_name="owner_records", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True)

    class Meta:
        table = "owners"
        indexes = (Index(fields=("user_id",), name="owners_user"),)
        unique_together = (("compound", "owner_ref"),)


class Unit(Model):
    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField("agora.Hall", related_name="units", on_delete=fields.CASCADE)
    building = fields.ForeignKeyField("agora.Hall", related_name="building_units", on_delete=fields.CASCADE)
    entrance = fields.CharField(max_length=32, default="")
    label = fields.CharField(max_length=64)
    area_cents = fields.BigIntField()
    kind = fields.CharField(max_length=16, default="home")
    status = fields.CharField(max_length=16, default="owned")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "units"
        unique_together = (("building", "label"),)


class Ownership(Model):
    unit = fields.ForeignKeyField("agora.Unit", related_name="ownerships", on_delete=fields.CASCADE)
    owner = fields.ForeignKeyField("agora.Owner", related_name="ownerships", on_delete=fields.CASCADE)

    class Meta:
        table = "ownerships"
        indexes = (Index(fields=("owner_id",), name="ownerships_owner"),)
        unique_together = (("unit", "owner"),)


class MemberRole(Model):
    """A role a user holds in one hall (resident member, tenant, moderator, committee, canvasser)."""

    # Also "staff" (ROLES above). Said in a comment, not the docstring: Tortoise stores the docstring as
    # the table's description, so changing it needs a migration (tests/cli/test_commands.py).

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("agora.User", related_name="hall_roles", on_delete=fields.CASCADE)
    hall = fields.ForeignKeyField("agora.Hall", related_name="member_roles", on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "member_roles"
        unique_together = (("user", "hall", "role"),)


class Invite(Model):
    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    hall = fields.ForeignKeyField("agora.Hall", related_name="invites", on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16, default="member")
    owner = fields.ForeignKeyField("agora.Owner", related_name="invites", null=True, on_delete=fields.CASCADE)
    max_uses = fields.IntField(default=1)
    uses = fields.IntField(default=0)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invites"


class RollSnapshot(Model):
    """An immutable, frozen electorate, what a vote counts against whatever the roll becomes."""

    id = fields.IntField(primary_key=True)
    compound = fields.ForeignKeyField("agora.Hall", related_name="snapshots", on_delete=fields.RESTRICT)
    scope = (
        fields.JSONField()
    )  # {"kind": "compound"|"building"|"entrance"|"charged", "hall": slug, "entrance": str|null}
    # (kind "charged", a maintenance-fund spend, adds "charged_units": ["building/unit", ...])
    parking_counts = fields.BooleanField(null=True)
    units = (
        fields.JSONField()
    )  # [[building, entrance, unit, area_cents, kind, status, [owner_refs], person_key]]
    persons = fields.JSONField()  # [[person_key, [owner_refs], area_cents]]
    persons_total = fields.IntField(null=True)
    area_cents_total = fields.BigIntField(null=True)
    fingerprint = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "roll_snapshots"
        # Everything but the two big lists, for the reads a ballot makes (`INDEXED BY`, SQLite): a row's
        # columns after `units` and `persons` sit at the end of a chain of overflow pages, which SQLite
        # walks page by page, and after any commit from scratch (300 pages for a 12,000-unit roll).
        indexes = (
            Index(
                fields=(
                    "id",
                    "compound_id",
                    "fingerprint",
                    "created_at",
                    "persons_total",
                    "area_cents_total",
                ),
                name="roll_snapshots_head",
            ),
        )

    async def save(self, *args: Any, **kwargs: Any) -> None:
        """Written once: a vote counts against this roll whatever the roll becomes later."""
        if self._saved_in_db:
            raise RuntimeError("a roll snapshot is immutable once saved")
        await super().save(*args, **kwargs)

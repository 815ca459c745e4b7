"""The categories of a compound's concerns: the four every compound has (政策落实, 生产生活, 医疗卫生,
教育就业) and the compound's own, which its moderators add."""

from __future__ import annotations

from typing import Any, cast

from tortoise.exceptions import IntegrityError

from agora import clock
from agora.audit.services import record
from agora.concerns import permissions, rules
from agora.concerns.access import Viewer
from agora.concerns.models import ConcernCategory
from agora.errors import Conflict
from agora.i18n import _
from agora.live.events import atomic


async def own_categories(compound_id: int) -> list[str]:
    labels = ConcernCategory.filter(compound_id=compound_id).order_by("id")
    return cast(list[str], await labels.values_list("label", flat=True))


async def category_list(compound_id: int) -> list[str]:
    """The four every compound has, then the compound's own, in the order they were added."""
    return [*rules.SEED_CATEGORIES, *await own_categories(compound_id)]


async def category_keys(compound_id: int) -> frozenset[str]:
    return frozenset(await category_list(compound_id))


async def add_category(viewer: Viewer, raw: Any) -> str:
    permissions.check_can_manage_categories(viewer.who())
    label = rules.check_category_label(raw, await category_keys(viewer.compound.id))
    async with atomic():
        try:
            async with atomic():
                await ConcernCategory.create(
                    compound_id=viewer.compound.id, label=label, created_at=clock.now()
                )
        except IntegrityError:
            raise Conflict(_("The compound already has this category."), code="category_exists") from None
        await record(
            "concern.category_add",
            actor=viewer.user,
            object_type="hall",
            object_id=viewer.compound.id,
            hall_id=viewer.compound.id,
            label=label,
        )
    return label

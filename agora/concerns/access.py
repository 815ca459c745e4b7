"""Loading a compound or a concern for a caller, or refusing: the one place the concerns feature asks.

Concerns are kept by compound. A building's hall shows its building's concerns and raises them for
that building; a community's hall has none of its own (409). A concern the caller may not see is
reported absent (404), exactly like one of another compound or one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from agora.accounts.models import User
from agora.concerns.models import Concern
from agora.concerns.permissions import Who, can_see
from agora.errors import Conflict, NotFound
from agora.i18n import _
from agora.rooms.access import STAFF_READER, HallAccess, roles_by_hall
from agora.rooms.models import Hall


@dataclass(frozen=True)
class Viewer:
    """What the concerns feature needs to know about a caller in one compound."""

    user: User
    compound: Hall
    roles: frozenset[str]  # in the compound
    moderated_buildings: tuple[int, ...]  # building halls where they moderate
    canvassed_buildings: tuple[int, ...]

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def moderates_compound(self) -> bool:
        return bool(self.roles & {"moderator", "admin"})

    def who(self, concern: Concern | None = None) -> Who:
        building_id = concern.building_id if concern is not None else None  # type: ignore[attr-defined]
        return Who(
            is_member=bool(self.roles),
            is_moderator=self.moderates_compound or (building_id in self.moderated_buildings),
            is_committee=bool(self.roles & {"committee", "admin"}),
            is_canvasser=bool(self.roles & {"canvasser", "admin"}) or bool(self.canvassed_buildings),
            is_submitter=concern is not None and concern.submitter_id == self.user.id,  # type: ignore[attr-defined]
            is_enterer=concern is not None and concern.entered_by_id == self.user.id,  # type: ignore[attr-defined]
        )


def _no_compound() -> Conflict:
    return Conflict(
        _("Concerns are kept by compound: open the hall of a compound or of one of its buildings."),
        code="not_a_compound",
    )


async def compound_and_building(access: HallAccess) -> tuple[Hall, Hall | None]:
    """The compound a hall belongs to, and the building when the hall is one."""
    hall = access.hall
    if hall.kind == "compound":
        return hall, None
    if hall.kind == "building" and hall.compound_id is not None:
        return await Hall.get(id=hall.compound_id), hall
    raise _no_compound()


async def viewer_in(user: User, compound: Hall) -> Viewer:
    """The caller's roles in the compound and its buildings; NotFound if they are not a member."""
    roles = await roles_by_hall(user, owners_in=compound.id)
    mine = roles.get(compound.id)
    if not mine:
        raise NotFound(_("This concern does not exist or you cannot see it."))
    moderated: list[int] = []
    canvassed: list[int] = []
    others = [
        hall_id
        for hall_id, held in roles.items()
        if hall_id != compound.id and held & {"moderator", "canvasser"}
    ]
    if others:
        buildings = Hall.filter(id__in=others, kind="building", compound_id=compound.id)
        ids = cast(list[int], await buildings.values_list("id", flat=True))
        for hall_id in ids:
            if "moderator" in roles[hall_id]:
                moderated.append(hall_id)
            if "canvasser" in roles[hall_id]:
                canvassed.append(hall_id)
    return Viewer(
        user=user,
        compound=compound,
        roles=frozenset(mine),
        moderated_buildings=tuple(sorted(moderated)),
        canvassed_buildings=tuple(sorted(canvassed)),
    )


def staff_reader(user: User, compound: Hall) -> Viewer:
    """Community staff reading a compound's lists (agora.rooms.access.access_to_read): they see what
    every member sees (the public concerns, no names of who raised them), nothing kept to the
    moderators. Only the list reads build this viewer; every write asks `viewer_in`."""
    return Viewer(
        user=user, compound=compound, roles=STAFF_READER, moderated_buildings=(), canvassed_buildings=()
    )


async def access_concern(user: User | None, concern_id: int) -> tuple[Concern, Viewer]:
    """The concern and the caller's standing in its compound; NotFound unless they may see it."""
    concern = await Concern.get_or_none(id=concern_id) if user is not None else None
    if concern is None or user is None:
        raise NotFound(_("This concern does not exist or you cannot see it."))
    compound = await Hall.get(id=concern.compound_id)  # type: ignore[attr-defined]
    viewer = await viewer_in(user, compound)
    if not can_see(concern.visibility, viewer.who(concern)):
        raise NotFound(_("This concern does not exist or you cannot see it."))
    return concern, viewer

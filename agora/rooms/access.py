"""Who may see which hall, with which roles: the one place every feature asks.

A hall the caller cannot see is reported as absent (NotFound), exactly like a hall that does not
exist, so nobody learns anything about another compound.

Derivation (`roles_by_hall`):
- an administrator sees every hall, with the role "admin";
- a role held in a compound hall holds in its building halls too (the Party branch and the
  owners' committee act for the whole compound); a role held in a building makes its holder a
  "member" of the compound;
- an owner bound to the roll is "owner" and "member" in the compound and in each building where
  they hold a unit;
- a member of a compound is a "member" of its community.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.accounts.models import User
from agora.errors import NotFound
from agora.i18n import _
from agora.rooms.models import Hall, MemberRole, Owner, Unit

MODERATE = frozenset({"moderator", "admin"})
COMMITTEE = frozenset({"committee", "admin"})


@dataclass(frozen=True)
class HallAccess:
    hall: Hall
    roles: frozenset[str]

    @property
    def is_moderator(self) -> bool:
        return bool(self.roles & MODERATE)

    @property
    def is_committee(self) -> bool:
        return bool(self.roles & COMMITTEE)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or "admin" in self.roles


async def roles_by_hall(user: User | None) -> dict[int, set[str]]:
    """The caller's roles per hall id, reading only the halls that concern them (not every hall:
    this runs on every request, and the database may hold many compounds)."""
    if user is None:
        return {}
    if user.is_admin:
        return {hall_id: {"admin", "member"} for hall_id in await Hall.all().values_list("id", flat=True)}
    result: dict[int, set[str]] = {}

    def grant(hall_id: int | None, *roles: str) -> None:
        if hall_id is not None:
            result.setdefault(hall_id, set()).update(roles)

    rows = await MemberRole.filter(user_id=user.id).values("hall_id", "role")
    if rows:
        wanted = list({r["hall_id"] for r in rows})
        halls = {h["id"]: h for h in await Hall.filter(id__in=wanted).values("id", "kind", "compound_id")}
        compound_roles: dict[int, set[str]] = {}
        for row in rows:
            hall = halls.get(row["hall_id"])
            if hall is None:
                continue
            grant(hall["id"], row["role"], "member")
            if hall["kind"] == "compound":
                compound_roles.setdefault(hall["id"], set()).add(row["role"])
            elif hall["kind"] == "building":
                grant(hall["compound_id"], "member")
        if compound_roles:
            buildings = await Hall.filter(kind="building", compound_id__in=list(compound_roles)).values(
                "id", "compound_id"
            )
            for building in buildings:
                grant(building["id"], *compound_roles[building["compound_id"]], "member")
    owner_ids = await Owner.filter(user_id=user.id, active=True).values_list("id", flat=True)
    if owner_ids:
        units = (
            await Unit.filter(ownerships__owner_id__in=list(owner_ids), active=True)
            .distinct()
            .values("compound_id", "building_id")
        )
        for unit in units:
            grant(unit["compound_id"], "owner", "member")
            grant(unit["building_id"], "owner", "member")
    if result:
        for hall in await Hall.filter(id__in=list(result), kind="compound").values("parent_id"):
            grant(hall["parent_id"], "member")
    return result


async def access_hall(user: User | None, slug: str) -> HallAccess:
    hall = await Hall.get_or_none(slug=slug)
    if hall is None or user is None:
        raise NotFound(_("This hall does not exist or you are not a member of it."))
    roles = (await roles_by_hall(user)).get(hall.id)
    if not roles:
        raise NotFound(_("This hall does not exist or you are not a member of it."))
    return HallAccess(hall=hall, roles=frozenset(roles))


async def access_hall_by_id(user: User | None, hall_id: int) -> HallAccess:
    hall = await Hall.get_or_none(id=hall_id)
    if hall is None:
        raise NotFound(_("This hall does not exist or you are not a member of it."))
    return await access_hall(user, hall.slug)

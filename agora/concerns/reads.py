"""Reading a concern whole (history, replies, photos, the proposals that answer it) for the API and
the pages, and the compound's buildings for the lists."""

from __future__ import annotations

from typing import Any

from agora.accounts.models import User
from agora.concerns import photos, queries, services
from agora.concerns.access import Viewer
from agora.concerns.models import Concern
from agora.concerns.permissions import Who
from agora.concerns.views import concern_json
from agora.proposals import markdown
from agora.rooms.models import Hall


async def buildings_of(compound: Hall) -> dict[int, Hall]:
    return {
        h.id: h for h in await Hall.filter(kind="building", compound_id=compound.id).order_by("label", "id")
    }


async def concern_detail(viewer: Viewer, concern: Concern) -> dict[str, Any]:
    """The concern's JSON (`GET /api/v1/concerns/{id}`), as the caller may see it."""
    return await _detail(concern, viewer.compound, viewer.who(concern))


async def public_detail(concern: Concern, compound: Hall) -> dict[str, Any]:
    """The concern as the resident who holds its follow code sees it: as its submitter."""
    return await _detail(concern, compound, Who(is_member=True, is_submitter=True))


async def _detail(concern: Concern, compound: Hall, who: Who) -> dict[str, Any]:
    if concern.submitter_id is not None:  # type: ignore[attr-defined]
        submitter = await User.get_or_none(id=concern.submitter_id)  # type: ignore[attr-defined]
        concern._submitter_name = submitter.display_name if submitter else None  # type: ignore[attr-defined]
    building = await Hall.get_or_none(id=concern.building_id) if concern.building_id else None  # type: ignore[attr-defined]
    return concern_json(
        concern,
        who,
        compound=compound,
        building=building,
        history=await queries.history(concern.id),
        replies=await queries.replies(concern.id),
        photos=await photos.photo_rows(concern.id),
        proposals=await queries.proposals_answering(concern.id),
        survivor=await services.survivor_of(concern),
        body_html=str(markdown.render(concern.body)),
        photo_url=photos.photo_url,
    )


async def list_json(
    viewer: Viewer, concerns: list[Concern], buildings: dict[int, Hall]
) -> list[dict[str, Any]]:
    """The list API: each concern in the shape of `GET /api/v1/concerns/{id}` with its history and
    feedback (replies, photos and proposals are on the concern itself), in a fixed number of queries."""
    ids = [c.id for c in concerns]
    history = await queries.histories(ids)
    names = await queries.display_names(sorted({c.submitter_id for c in concerns if c.submitter_id}))  # type: ignore[attr-defined]
    survivor_ids = sorted({c.merged_into_id for c in concerns if c.merged_into_id})
    survivors = {c.id: c for c in await Concern.filter(id__in=survivor_ids)} if survivor_ids else {}
    out = []
    for concern in concerns:
        concern._submitter_name = names.get(concern.submitter_id)  # type: ignore[attr-defined]
        data = concern_json(
            concern,
            viewer.who(concern),
            compound=viewer.compound,
            building=buildings.get(concern.building_id),  # type: ignore[arg-type,attr-defined]
            history=history[concern.id],
            replies=[],
            photos=[],
            proposals=[],
            survivor=survivors.get(concern.merged_into_id) if concern.merged_into_id else None,  # type: ignore[arg-type]
            body_html=str(markdown.render(concern.body)),
            photo_url=photos.photo_url,
        )
        for name in ("replies", "photos", "proposals"):
            data.pop(name)
        out.append(data)
    return out

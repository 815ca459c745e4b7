"""Reading a concern whole (history, replies, photos, the proposals that answer it) for the API and
the pages, and the compound's buildings for the lists."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from agora.accounts.models import User
from agora.concerns import categories, photos, queries, rules, search, services
from agora.concerns.access import Viewer
from agora.concerns.models import Concern
from agora.concerns.permissions import Who
from agora.concerns.views import concern_json
from agora.errors import Invalid
from agora.i18n import _
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


def _visible_q(viewer: Viewer) -> Any:
    if viewer.moderates_compound:
        return Q()
    q = Q(visibility="public") | Q(submitter_id=viewer.user_id) | Q(entered_by_id=viewer.user_id)
    if viewer.moderated_buildings:
        q |= Q(building_id__in=list(viewer.moderated_buildings))
    return q


async def list_concerns(
    viewer: Viewer, building: Hall | None, params: dict[str, Any], limit: int = 200
) -> list[Concern]:
    """The compound's concerns the caller may see, newest first (or best first with `q`)."""
    status, category, kind = (
        params.get("status") or None,
        params.get("category") or None,
        params.get("kind") or None,
    )
    if status is not None and status not in rules.STATUSES and status != "open":
        raise Invalid(_("Unknown status."), fields={"status": "invalid"})
    if category is not None and category not in await categories.category_keys(viewer.compound.id):
        raise Invalid(_("Unknown category."), fields={"category": "invalid"})
    if kind is not None and kind not in rules.KINDS:
        raise Invalid(_("Unknown kind."), fields={"kind": "invalid"})
    query = Concern.filter(compound_id=viewer.compound.id).filter(_visible_q(viewer))
    if building is not None:
        query = query.filter(building_id=building.id)
    if status == "open":
        query = query.filter(status__in=list(rules.OPEN))
    elif status:
        query = query.filter(status=status)
    if category:
        query = query.filter(category=category)
    if kind:
        query = query.filter(kind=kind)
    text = search.clean_query(params.get("q"))
    if not text:
        return await query.order_by("-id").limit(limit)
    words = await search.query_words(text)
    ranked = await search.ranked_concern_ids(viewer.compound.id, words, viewer, limit=limit)
    return [concern for concern, _score in await in_rank_order(ranked, query)]


async def in_rank_order(ranked: list[tuple[int, int]], query: Any = None) -> list[tuple[Concern, int]]:
    """The concerns of a ranking (ids and scores, best first), kept in its order (and in `query`)."""
    if not ranked:
        return []
    base = query if query is not None else Concern.all()
    found = {c.id: c for c in await base.filter(id__in=[cid for cid, _s in ranked])}
    return [(found[cid], score) for cid, score in ranked if cid in found]


async def similar(viewer: Viewer, title: Any, body: Any = "", exclude: int | None = None) -> list[Concern]:
    """Existing concerns like the one being written (the raise form suggests them), best first."""
    text = f"{title if isinstance(title, str) else ''} {body if isinstance(body, str) else ''}".strip()[:400]
    words = (await search.query_words(text))[:30]
    ranked = await search.ranked_concern_ids(
        viewer.compound.id,
        words,
        viewer,
        limit=search.SIMILAR_LIMIT,
        exclude=exclude,
        min_score=search.SIMILAR_MIN_SCORE,
    )
    return [concern for concern, _score in await in_rank_order(ranked)]


async def governance_list(viewer: Viewer, building: Hall | None = None) -> list[Concern]:
    """The compound's triaged open items: most urgent first, then oldest first."""
    query = Concern.filter(compound_id=viewer.compound.id, status__in=["accepted", "in_progress"]).filter(
        _visible_q(viewer)
    )
    if building is not None:
        query = query.filter(building_id=building.id)
    return await query.order_by("-urgency", "created_at", "id")


async def awaiting_triage(viewer: Viewer) -> int:
    return (
        await Concern.filter(compound_id=viewer.compound.id, status="received")
        .filter(_visible_q(viewer))
        .count()
    )


async def export_list(
    viewer: Viewer, building: Hall | None, start: Any = None, end: Any = None
) -> list[Concern]:
    """Every concern of the compound the caller may see (the list's rule), received within
    [start, end), oldest first: the rows of the concerns list's CSV and XLSX exports."""
    query = Concern.filter(compound_id=viewer.compound.id).filter(_visible_q(viewer))
    if building is not None:
        query = query.filter(building_id=building.id)
    if start is not None:
        query = query.filter(created_at__gte=start)
    if end is not None:
        query = query.filter(created_at__lt=end)
    return await query.order_by("id")

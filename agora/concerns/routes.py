"""The concerns JSON API (`/api/v1/…`, api.md "Concerns"), plus the pages from `pages.py`.

Thin handlers: read the input, load with `access_*` (NotFound outside the caller's compound or for a
private concern they may not see), call one service, answer JSON.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.concerns import categories, linking, live, photos, reads, search, services  # noqa: F401 — hooks, renderers
from agora.concerns.access import Viewer, access_concern, compound_and_building, staff_reader, viewer_in
from agora.concerns.labels import category_label
from agora.concerns.models import Concern
from agora.concerns.pages import read_photos
from agora.concerns.pages import routes as page_routes
from agora.concerns.views import rows
from agora.rooms.access import STAFF_READER, access_hall, access_to_read
from agora.rooms.models import Hall
from agora.web.http import json_response, path_id, read_json, require_user


async def hall_viewer(request: Request, *, reading: bool = False) -> tuple[Viewer, Hall | None]:
    """The caller in the compound of the hall named by the path, and the building when it is one.
    `reading` (the lists only): community staff over the compound read it as `staff_reader`."""
    user = require_user(request)
    slug = request.path_params["slug"]
    access = await (access_to_read if reading else access_hall)(user, slug)
    compound, building = await compound_and_building(access)
    if access.roles == STAFF_READER:
        return staff_reader(user, compound), building
    return await viewer_in(user, compound), building


async def _concern(request: Request) -> tuple[Concern, Viewer]:
    return await access_concern(require_user(request), path_id(request))


async def _detail(viewer: Viewer, concern: Concern) -> Response:
    return json_response(await reads.concern_detail(viewer, concern))


async def hall_concerns_api(request: Request) -> Response:
    viewer, building = await hall_viewer(request, reading=request.method == "GET")
    if request.method == "POST":
        concern, code = await services.raise_concern(viewer, building, await read_json(request))
        body: dict[str, object] = {"id": concern.id, "ref": concern.ref}
        if code is not None:
            body["follow_code"] = code  # shown once: only its digest is kept
        return json_response(body, status=201)
    found = await reads.list_concerns(viewer, building, dict(request.query_params))
    data = await reads.list_json(viewer, found, await reads.buildings_of(viewer.compound))
    return json_response({"concerns": data})


async def search_api(request: Request) -> Response:
    viewer, _building = await hall_viewer(request)
    query = search.clean_query(request.query_params.get("q", ""))
    words = await search.query_words(query)
    ranked = await search.ranked_concern_ids(viewer.compound.id, words, viewer)
    concerns = [
        {
            "id": c.id,
            "ref": c.ref,
            "title": c.title,
            "kind": c.kind,
            "status": c.status,
            "score": score,
            "snippet": search.snippet(c.body, words),
        }
        for c, score in await reads.in_rank_order(ranked)
    ]
    proposals = await search.ranked_proposals(viewer.compound.id, words)
    return json_response({"q": query, "words": words, "concerns": concerns, "proposals": proposals})


async def governance_api(request: Request) -> Response:
    viewer, building = await hall_viewer(request, reading=True)
    items = rows(await reads.governance_list(viewer, building), await reads.buildings_of(viewer.compound))
    return json_response(
        {
            "items": [
                {
                    **item,
                    "created_at": item["created_at"].isoformat(),
                    "due_at": item["due_at"].isoformat() if item["due_at"] else None,
                }
                for item in items
            ],
            "awaiting_triage": await reads.awaiting_triage(viewer),
        }
    )


async def categories_api(request: Request) -> Response:
    viewer, _building = await hall_viewer(request)
    if request.method == "POST":
        label = await categories.add_category(viewer, (await read_json(request)).get("label"))
        return json_response({"key": label, "label": label}, status=201)
    keys = await categories.category_list(viewer.compound.id)
    return json_response({"categories": [{"key": k, "label": category_label(k)} for k in keys]})


async def concern_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    return await _detail(viewer, concern)


async def triage_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    concern = await services.triage(viewer, concern, await read_json(request))
    return await _detail(viewer, concern)


async def status_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    data = await read_json(request)
    concern = await services.change_status(viewer, concern, data.get("to"), data.get("note"))
    return await _detail(viewer, concern)


async def merge_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    concern = await services.merge(viewer, concern, (await read_json(request)).get("into"))
    return await _detail(viewer, concern)


async def feedback_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    data = await read_json(request)
    concern = await services.feedback(viewer, concern, data.get("satisfied"), data.get("comment"))
    return await _detail(viewer, concern)


async def replies_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    answer = await services.reply(viewer, concern, (await read_json(request)).get("body"))
    return json_response({"id": answer.id}, status=201)


async def photos_api(request: Request) -> Response:
    concern, viewer = await _concern(request)
    photos.require_can_add(viewer, concern)  # before the body is parsed
    uploads = await read_photos(request)
    photo = await photos.add_photo(viewer, concern, uploads[0] if uploads else None)
    return json_response(
        {"id": photo.id, "url": photos.photo_url(photo), "width": photo.width, "height": photo.height},
        status=201,
    )


api_routes: list[BaseRoute] = [
    Route("/api/v1/halls/{slug}/concerns", hall_concerns_api, methods=["GET", "POST"]),
    Route("/api/v1/halls/{slug}/concerns/search", search_api, methods=["GET"]),
    Route("/api/v1/halls/{slug}/concern-categories", categories_api, methods=["GET", "POST"]),
    Route("/api/v1/halls/{slug}/governance", governance_api, methods=["GET"]),
    Route("/api/v1/concerns/{id}", concern_api, methods=["GET"]),
    Route("/api/v1/concerns/{id}/triage", triage_api, methods=["POST"]),
    Route("/api/v1/concerns/{id}/status", status_api, methods=["POST"]),
    Route("/api/v1/concerns/{id}/merge", merge_api, methods=["POST"]),
    Route("/api/v1/concerns/{id}/feedback", feedback_api, methods=["POST"]),
    Route("/api/v1/concerns/{id}/replies", replies_api, methods=["POST"]),
    Route("/api/v1/concerns/{id}/photos", photos_api, methods=["POST"]),
]

routes: list[BaseRoute] = [*api_routes, *page_routes]

"""The proposals JSON API (`/api/v1/…`) as in docs/api.md, plus the pages from `pages.py`.

Thin handlers: read the input, load with `access_*` (NotFound outside the caller's halls), call one
service, answer JSON.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.errors import Invalid
from agora.i18n import _
from agora.proposals import discussion, live, moderation, photos, search, services, timeline, window  # noqa: F401 — live registers renderers
from agora.proposals.meeting_routes import routes as meeting_routes
from agora.proposals.models import Proposal
from agora.proposals.pages import read_photo
from agora.proposals.pages import routes as page_routes
from agora.proposals.serialize import comment_json, proposal_json
from agora.rooms.access import access_hall
from agora.web.http import json_response, no_content, path_id, read_json, require_user


def _id(request: Request) -> int:
    return path_id(request)


async def _proposal_data(proposal: Proposal, slug: str) -> dict[str, Any]:
    data = proposal_json(proposal, slug, await timeline.timeline(proposal))
    data["stances"] = await discussion.stances(proposal)
    return data


async def hall_proposals_api(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    if request.method == "POST":
        proposal = await services.create_proposal(access, user, await read_json(request))
        return json_response({"id": proposal.id}, status=201)
    rows = await services.list_proposals(access, request.query_params.get("state") or None)
    return json_response(
        {"proposals": [proposal_json(p, access.hall.slug, [], with_body=False) for p in rows]}
    )


async def proposal_api(request: Request) -> Response:
    proposal, access = await timeline.access_proposal(require_user(request), _id(request))
    return json_response(await _proposal_data(proposal, access.hall.slug))


async def transition_api(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    data = await read_json(request)
    to = data.get("to")
    if not isinstance(to, str):
        raise Invalid(_("Say which state to move to."), fields={"to": "required"})
    reason = data.get("reason")
    reason = reason if isinstance(reason, str) else ""
    closes_at = services.parse_closes_at(data.get("closes_at"))
    proposal = await services.transition(access, proposal, to, user, closes_at=closes_at, reason=reason)
    return json_response(await _proposal_data(proposal, access.hall.slug))


async def extend_api(request: Request) -> Response:
    """The owners' committee extends an open vote once (api.md, "Procedure")."""
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    data = await read_json(request)
    proposal = await window.extend(access, proposal, user, data, await services.compound_rules(access.hall))
    return json_response(await _proposal_data(proposal, access.hall.slug))


async def charged_units_api(request: Request) -> Response:
    """A maintenance-fund spend's charged units, changed while the plan may change (draft, consultation)."""
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    data = await read_json(request)
    proposal = await services.set_charged_units(access, proposal, user, data.get("charged_units"))
    return json_response(await _proposal_data(proposal, access.hall.slug))


async def second_api(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    return json_response({"seconds": await services.second(access, proposal, user)})


async def photos_api(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    photos.require_can_add(access, proposal, user)  # before the body is parsed
    photo = await photos.add_photo(access, proposal, user, await read_photo(request))
    return json_response(
        {"id": photo.id, "url": photos.photo_url(photo), "width": photo.width, "height": photo.height},
        status=201,
    )


async def lock_api(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    data = await read_json(request)
    locked = request.url.path.endswith("/lock")
    await services.set_locked(access, proposal, user, locked, str(data.get("reason") or ""))
    return json_response({"locked": locked})


async def comments_api(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    if request.method == "POST":
        data = await read_json(request)
        comment = await discussion.post_comment(
            access,
            proposal,
            user,
            data.get("body"),
            parent=data.get("parent"),
            stance=data.get("stance"),
            official=data.get("official") is True,
        )
        return json_response({"id": comment.id}, status=201)
    params = request.query_params
    limit = params.get("limit", str(discussion.PAGE_SIZE))
    if not limit.isdecimal():
        raise Invalid(_("limit must be a number."), fields={"limit": "invalid"})
    tree, cursor = await discussion.comment_page(
        proposal, sort=params.get("sort", "oldest"), after=params.get("after"), limit=int(limit)
    )
    return json_response({"comments": tree, "next": cursor})


async def comment_api(request: Request) -> Response:
    user = require_user(request)
    comment, _proposal, access = await discussion.access_comment(user, _id(request))
    if request.method == "PATCH":
        data = await read_json(request)
        comment = await discussion.edit_comment(access, comment, user, data.get("body"))
    elif request.method == "DELETE":
        await discussion.delete_comment(access, comment, user)
        return no_content()
    return json_response(comment_json(comment))


async def revisions_api(request: Request) -> Response:
    comment, _proposal, _access = await discussion.access_comment(require_user(request), _id(request))
    if comment.hidden_at is not None:  # hidden words are not served through their history either
        return json_response({"revisions": [], "hidden": True})
    rows = await discussion.revisions(comment)
    return json_response(
        {"revisions": [{"body_html": r.body_html, "replaced_at": r.replaced_at.isoformat()} for r in rows]}
    )


async def moderate_api(request: Request) -> Response:
    user = require_user(request)
    comment, _proposal, access = await discussion.access_comment(user, _id(request))
    action = request.url.path.rsplit("/", 1)[1]
    data = await read_json(request)
    if action == "hide":
        comment = await moderation.hide(access, comment, user, data.get("reason"))
    elif action == "restore":
        comment = await moderation.restore(access, comment, user, data.get("reason") or "")
    elif action == "official":
        comment = await discussion.pin_official(access, comment, user)
    else:
        await moderation.report(access, comment, user, data.get("reason"))
        return json_response({"reported": True}, status=201)
    return json_response(comment_json(comment))


async def moderation_log_api(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    return json_response({"entries": [moderation.log_json(e) for e in await moderation.public_log(access)]})


async def search_api(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    return json_response(await search.search(access, request.query_params.get("q", "")))


api_routes: list[BaseRoute] = [
    Route("/api/v1/halls/{slug}/proposals", hall_proposals_api, methods=["GET", "POST"]),
    Route("/api/v1/halls/{slug}/moderation-log", moderation_log_api, methods=["GET"]),
    Route("/api/v1/halls/{slug}/search", search_api, methods=["GET"]),
    Route("/api/v1/proposals/{id}", proposal_api, methods=["GET"]),
    Route("/api/v1/proposals/{id}/transition", transition_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/extend", extend_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/second", second_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/charged-units", charged_units_api, methods=["PUT"]),
    Route("/api/v1/proposals/{id}/photos", photos_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/lock", lock_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/unlock", lock_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/comments", comments_api, methods=["GET", "POST"]),
    Route("/api/v1/comments/{id}", comment_api, methods=["GET", "PATCH", "DELETE"]),
    Route("/api/v1/comments/{id}/revisions", revisions_api, methods=["GET"]),
    Route("/api/v1/comments/{id}/hide", moderate_api, methods=["POST"]),
    Route("/api/v1/comments/{id}/restore", moderate_api, methods=["POST"]),
    Route("/api/v1/comments/{id}/report", moderate_api, methods=["POST"]),
    Route("/api/v1/comments/{id}/official", moderate_api, methods=["POST"]),
]

routes: list[BaseRoute] = [*api_routes, *meeting_routes, *page_routes]

"""HTTP routes of the procedure after a vote: objections to a preliminary record, the final record.

JSON API (api.md, "Procedure") and the two forms of the record page, each a thin handler around one
use case of `agora.ballots.publication`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.accounts.models import User
from agora.ballots import consenting, publication
from agora.ballots.resolution import present
from agora.errors import DomainError
from agora.proposals.models import Proposal
from agora.rooms.access import HallAccess
from agora.web.http import json_response, path_id, read_form, read_json, redirect, require_user


def _id(request: Request) -> int:
    return path_id(request, "proposal_id")


async def objections_api(request: Request) -> Response:
    data = await read_json(request)
    body = await publication.object_to_record(require_user(request), _id(request), data.get("body"))
    return json_response(body, status=201)


async def finalize_api(request: Request) -> Response:
    data = await read_json(request)
    resolution = await publication.finalize_record(require_user(request), _id(request), data.get("answers"))
    return json_response(await present(resolution))


async def objection_form(request: Request) -> Response:
    form = await read_form(request)
    await publication.object_to_record(require_user(request), _id(request), form.get("body"))
    return redirect(f"/proposals/{_id(request)}/resolution?objected=1#objections")


async def finalize_form(request: Request) -> Response:
    form = await read_form(request)
    answers = {key.removeprefix("answer-"): value for key, value in form.items() if key.startswith("answer-")}
    await publication.finalize_record(require_user(request), _id(request), answers)
    return redirect(f"/proposals/{_id(request)}/resolution#objections")


P = "/proposals/{proposal_id:int}"
routes: list[BaseRoute] = [
    Route(f"/api/v1{P}/objections", objections_api, methods=["POST"]),
    Route(f"/api/v1{P}/resolution/finalize", finalize_api, methods=["POST"]),
    Route(f"{P}/resolution/objections", objection_form, methods=["POST"]),
    Route(f"{P}/resolution/finalize", finalize_form, methods=["POST"]),
]


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def procedure_context(
    proposal: Proposal, access: HallAccess, user: User, doc: dict[str, Any]
) -> dict[str, Any]:
    """What the record page's procedure blocks show: dates parsed, and which forms this caller gets."""
    timeline = doc.get("timeline") or {}
    status = doc.get("status")
    now = clock.now()
    objections_until = _moment(doc.get("objections_until"))
    period_open = status == "preliminary" and objections_until is not None and now <= objections_until
    can_object = False
    if period_open:
        try:
            await publication.owner_standing(proposal, user)
            can_object = True
        except DomainError:
            can_object = False
    return {
        "procedure": {
            "status": status,
            "closed_at": _moment(timeline.get("closed_at")),
            "closed_by": timeline.get("closed_by"),
            "extension": timeline.get("extension"),
            "extension_from": _moment((timeline.get("extension") or {}).get("from")),
            "extension_to": _moment((timeline.get("extension") or {}).get("to")),
            "notified": doc.get("residents_committee"),
            "notified_at": _moment((doc.get("residents_committee") or {}).get("notified_at")),
            "posted_at": _moment(doc.get("posted_at")),
            "display_until": _moment(doc.get("display_until")),
            "publish_by": _moment(doc.get("publish_by")),
            "published_late": doc.get("published_late"),
            "objections_until": objections_until,
            "objections": [
                {**o, "at_dt": _moment(o.get("at")), "answered_dt": _moment(o.get("answered_at"))}
                for o in doc.get("objections") or []
            ],
            "rules": doc.get("rules"),
            "preliminary_posted_at": _moment((doc.get("preliminary") or {}).get("posted_at")),
        },
        "can_object": can_object,
        "can_finalize": "committee" in access.roles and status == "preliminary" and not period_open,
    }


async def consents_api(request: Request) -> Response:
    user = require_user(request)
    if request.method == "GET":
        return json_response(await consenting.consents_for_committee(user, _id(request)))
    body = await consenting.record_consent(user, _id(request), await read_json(request))
    return json_response(body, status=201)


routes.append(Route(f"/api/v1{P}/consents", consents_api, methods=["GET", "POST"]))

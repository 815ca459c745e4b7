"""The residents' meeting over HTTP: `GET /api/v1/proposals/{id}/meeting`, `POST …/meeting/attendance`,
`POST …/meeting/votes`, `POST …/meeting/undo`, and the page `/proposals/{id}/meeting` (works without
JavaScript: one form per action, post/redirect/get). Thin handlers around `agora.proposals.meeting`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.errors import DomainError
from agora.live.services import latest_seq
from agora.proposals import meeting
from agora.proposals.labels import state_label
from agora.web.http import json_response, path_id, read_form, read_json, redirect, require_user
from agora.web.templating import render


def _id(request: Request) -> int:
    return path_id(request)


async def meeting_api(request: Request) -> Response:
    return json_response(await meeting.meeting_json(require_user(request), _id(request)))


async def attendance_api(request: Request) -> Response:
    body = await meeting.record_attendance(require_user(request), _id(request), await read_json(request))
    return json_response(body, status=201)


async def votes_api(request: Request) -> Response:
    body = await meeting.record_vote(require_user(request), _id(request), await read_json(request))
    return json_response(body, status=201)


async def undo_api(request: Request) -> Response:
    body = await meeting.undo_entry(require_user(request), _id(request), await read_json(request))
    return json_response(body)


async def _page(request: Request, status: int = 200, **extra: Any) -> Response:
    user = require_user(request)
    view = await meeting.meeting_json(user, _id(request))
    proposal, access = await meeting.proposal_of(user, _id(request))
    context = {
        "proposal": proposal,
        "hall": access.hall,
        "live_seq": await latest_seq(access.hall.id),
        "state_label": state_label,
        "m": view,
        "error": None,
        "form": {},
        "recorded": request.query_params.get("recorded") == "1",
        "witness_max": meeting.WITNESS_MAX,
        "reason_max": meeting.REASON_MAX,
    }
    return render(request, "proposals/meeting.html", {**context, **extra}, status=status)


async def meeting_page(request: Request) -> Response:
    return await _page(request)


async def meeting_submit(request: Request) -> Response:
    """One form per action: `action=present` records attendance, `action=vote` a vote, `action=undo`
    takes back an entry made in the room (the Party branch)."""
    user = require_user(request)
    form = await read_form(request)
    data: dict[str, Any] = {}
    for key in ("resident", "witness", "choice"):
        value = str(form.get(key, "")).strip()
        if value:
            data[key] = value
    try:
        if form.get("action") == "vote":
            await meeting.record_vote(user, _id(request), data)
        elif form.get("action") == "undo":
            undo = {key: str(form.get(key, "")).strip() for key in ("resident", "what", "reason")}
            await meeting.undo_entry(user, _id(request), undo)
        else:
            await meeting.record_attendance(user, _id(request), data)
    except DomainError as error:
        if error.status in (403, 404, 409, 422):
            kept = {key: str(form.get(key, "")) for key in ("resident", "witness", "choice")}
            return await _page(request, status=error.status, error=error.message, form=kept)
        raise
    return redirect(f"/proposals/{_id(request)}/meeting?recorded=1")


routes: list[BaseRoute] = [
    Route("/api/v1/proposals/{id}/meeting", meeting_api, methods=["GET"]),
    Route("/api/v1/proposals/{id}/meeting/attendance", attendance_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/meeting/votes", votes_api, methods=["POST"]),
    Route("/api/v1/proposals/{id}/meeting/undo", undo_api, methods=["POST"]),
    Route("/proposals/{id}/meeting", meeting_page, methods=["GET"]),
    Route("/proposals/{id}/meeting", meeting_submit, methods=["POST"]),
]

"""The consents page: an owner whose consent is asked answers it; a canvasser or the committee enters
one with a witness; the committee sees who consented, refused, has not answered.

Thin handlers around `agora.ballots.consenting` (the same rules and services as
`GET/POST /api/v1/proposals/{id}/consents`). Works without JavaScript: one form, post/redirect/get; a
second submit of the same answer changes nothing (the first signed answer stands, and the page says so).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.ballots import consenting
from agora.errors import DomainError
from agora.web.http import path_id, read_form, redirect, require_user
from agora.web.templating import render

ANSWERS = {"yes": True, "no": False}


def _id(request: Request) -> int:
    return path_id(request, "proposal_id")


async def _page(request: Request, status: int = 200, **extra: Any) -> Response:
    view = await consenting.consent_page_view(require_user(request), _id(request))
    context: dict[str, Any] = {
        "error": None,
        "form": {},
        "recorded": request.query_params.get("recorded") == "1",
    }
    return render(request, "ballots/consents.html", {**view, **context, **extra}, status=status)


async def consents_page(request: Request) -> Response:
    return await _page(request)


async def consents_submit(request: Request) -> Response:
    user = require_user(request)
    form = await read_form(request)
    data: dict[str, Any] = {"consent": ANSWERS.get(str(form.get("consent", "")))}
    # An owner answering for themselves sends neither; a consent entered for an owner sends both.
    for key in ("owner_ref", "witness"):
        value = str(form.get(key, "")).strip()
        if value:
            data[key] = value
    try:
        await consenting.record_consent(user, _id(request), data)
    except DomainError as error:
        if error.status in (404, 409, 422):
            kept = {key: str(form.get(key, "")) for key in ("owner_ref", "witness", "consent")}
            return await _page(request, status=error.status, error=error.message, form=kept)
        raise
    return redirect(f"/proposals/{_id(request)}/consents?recorded=1")


P = "/proposals/{proposal_id:int}"
routes: list[BaseRoute] = [
    Route(f"{P}/consents", consents_page, methods=["GET"]),
    Route(f"{P}/consents", consents_submit, methods=["POST"]),
]

"""The implementation's JSON API (api.md, "Implementation after a decision") and its pages.

Thin handlers: read the input, call one use case, answer JSON (or redirect, for forms that work
without JavaScript).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.errors import NotFound
from agora.i18n import _
from agora.implementation import live, queries, services, updates  # noqa: F401 — live registers its renderer
from agora.implementation.labels import LABELS
from agora.implementation.permissions import can_open, can_report
from agora.implementation.rules import SOURCES, STAGES
from agora.proposals.photos import MAX_BYTES
from agora.proposals.timeline import access_proposal
from agora.web.http import json_response, path_id, read_form, read_json, redirect, require_user
from agora.web.templating import render


async def _view(request: Request) -> dict[str, Any]:
    proposal, _access, implementation = await services.access_implementation(
        require_user(request), path_id(request)
    )
    return await queries.implementation_view(implementation, proposal, clock.now())


async def read_update_form(request: Request) -> tuple[dict[str, Any], list[bytes]]:
    """The multipart fields and each photo's bytes (at most one byte over the limit: the service refuses)."""
    form = await request.form()
    try:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"}
        uploads = []
        for key in ("photos", "photo"):
            for item in form.getlist(key):
                if isinstance(item, UploadFile) and (item.filename or item.size):
                    data = await item.read(MAX_BYTES + 1)
                    if data:
                        uploads.append(data)
        return fields, uploads
    finally:
        await form.close()


async def implementation_api(request: Request) -> Response:
    user = require_user(request)
    if request.method == "POST":
        implementation = await services.open_implementation(user, path_id(request), await read_json(request))
        proposal, _access, _found = await services.access_implementation(user, implementation.proposal_id)  # type: ignore[attr-defined]
        return json_response(
            await queries.implementation_view(implementation, proposal, clock.now()), status=201
        )
    return json_response(await _view(request))


async def milestones_api(request: Request) -> Response:
    milestone = await services.add_milestone(
        require_user(request), path_id(request), await read_json(request)
    )
    return json_response({"id": milestone.id}, status=201)


async def milestone_done_api(request: Request) -> Response:
    await services.complete_milestone(require_user(request), path_id(request), path_id(request, "mid"))
    return json_response(await _view(request))


async def updates_api(request: Request) -> Response:
    user = require_user(request)
    await services.access_implementation(user, path_id(request), "report")  # before the body is parsed
    fields, uploads = await read_update_form(request)
    update = await updates.post_update(user, path_id(request), fields, uploads)
    return json_response({"id": update.id}, status=201)


async def quotes_api(request: Request) -> Response:
    quote = await services.add_quote(require_user(request), path_id(request), await read_json(request))
    return json_response({"id": quote.id}, status=201)


async def choose_quote_api(request: Request) -> Response:
    await services.choose_quote(require_user(request), path_id(request), path_id(request, "qid"))
    return json_response(await _view(request))


async def budget_api(request: Request) -> Response:
    await services.amend_budget(require_user(request), path_id(request), await read_json(request))
    return json_response(await _view(request))


# --- pages ---------------------------------------------------------------------------------------


async def implementation_page(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await access_proposal(user, path_id(request))
    implementation = await queries.implementation_of(proposal)
    view = None
    if implementation is not None:
        view = await queries.implementation_view(implementation, proposal, clock.now())
    may_open = implementation is None and can_open(access) and await services.decision_stands(proposal)
    return render(
        request,
        "implementation/page.html",
        {
            **LABELS,
            "proposal": proposal,
            "hall": access.hall,
            "view": view,
            "may_open": may_open,
            "may_report": implementation is not None and can_report(access, user.id, implementation.lead_id),  # type: ignore[attr-defined]
            "is_committee": access.is_committee,
            "sources": SOURCES,
            "stages": STAGES,
            "oob": False,
        },
    )


def _funding_from_form(form: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"source": source, "amount": str(form.get(f"fund_{source}") or "").strip()}
        for source in SOURCES
        if str(form.get(f"fund_{source}") or "").strip()
    ]


async def open_submit(request: Request) -> Response:
    form = await read_form(request)
    data = {
        "lead": form.get("lead"),
        "due_at": form.get("due_at"),
        "budget": form.get("budget"),
        "funding": _funding_from_form(form),
    }
    await services.open_implementation(require_user(request), path_id(request), data)
    return redirect(f"/proposals/{path_id(request)}/implementation")


async def update_submit(request: Request) -> Response:
    user = require_user(request)
    await services.access_implementation(user, path_id(request), "report")  # before the body is parsed
    fields, uploads = await read_update_form(request)
    await updates.post_update(user, path_id(request), fields, uploads)
    return redirect(f"/proposals/{path_id(request)}/implementation#impl-updates-{path_id(request)}")


async def milestone_submit(request: Request) -> Response:
    await services.add_milestone(require_user(request), path_id(request), await read_form(request))
    return redirect(f"/proposals/{path_id(request)}/implementation#milestones")


async def milestone_done_submit(request: Request) -> Response:
    await services.complete_milestone(require_user(request), path_id(request), path_id(request, "mid"))
    return redirect(f"/proposals/{path_id(request)}/implementation#milestones")


async def quote_submit(request: Request) -> Response:
    await services.add_quote(require_user(request), path_id(request), await read_form(request))
    return redirect(f"/proposals/{path_id(request)}/implementation#quotes")


async def choose_quote_submit(request: Request) -> Response:
    await services.choose_quote(require_user(request), path_id(request), path_id(request, "qid"))
    return redirect(f"/proposals/{path_id(request)}/implementation#quotes")


async def photo_file(request: Request) -> Response:
    _p, _access, implementation = await services.access_implementation(
        require_user(request), path_id(request)
    )
    thumb = request.query_params.get("size") == "thumb"
    found = await queries.photo_bytes(implementation, path_id(request, "photo_id"), thumb)
    if found is None:
        raise NotFound(_("This photo does not exist or you cannot see it."))
    data, digest = found
    etag = f'"{digest[:32]}{"-t" if thumb else ""}"'
    headers = {"Cache-Control": "private, max-age=86400", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/jpeg", headers=headers)


BASE = "/api/v1/proposals/{id}/implementation"
PAGE = "/proposals/{id}/implementation"
routes: list[BaseRoute] = [
    Route(BASE, implementation_api, methods=["GET", "POST"]),
    Route(BASE + "/milestones", milestones_api, methods=["POST"]),
    Route(BASE + "/milestones/{mid:int}/done", milestone_done_api, methods=["POST"]),
    Route(BASE + "/updates", updates_api, methods=["POST"]),
    Route(BASE + "/quotes", quotes_api, methods=["POST"]),
    Route(BASE + "/quotes/{qid:int}/choose", choose_quote_api, methods=["POST"]),
    Route(BASE + "/budget", budget_api, methods=["POST"]),
    Route(PAGE, implementation_page, methods=["GET"]),
    Route(PAGE, open_submit, methods=["POST"]),
    Route(PAGE + "/updates", update_submit, methods=["POST"]),
    Route(PAGE + "/milestones", milestone_submit, methods=["POST"]),
    Route(PAGE + "/milestones/{mid:int}/done", milestone_done_submit, methods=["POST"]),
    Route(PAGE + "/quotes", quote_submit, methods=["POST"]),
    Route(PAGE + "/quotes/{qid:int}/choose", choose_quote_submit, methods=["POST"]),
    Route(PAGE + "/photos/{photo_id:int}.jpg", photo_file, methods=["GET"]),
]

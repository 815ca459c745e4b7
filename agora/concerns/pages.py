"""The concerns pages: phone first, forms that work without JavaScript (post/redirect/get).

Two exceptions: the page that shows a canvasser the follow code of a concern entered on a resident's
behalf (only its digest is kept, so it cannot be shown again), and the follow page a resident opens
with that code (the code is posted, never put in a URL). The raise form's suggestions are an htmx
fragment (`/halls/{slug}/concerns/similar`); without JavaScript the form works the same, unsuggested.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.concerns import categories, permissions, photos, reads, rules, search, services
from agora.concerns.access import Viewer, access_concern, compound_and_building, viewer_in
from agora.concerns.labels import LABELS
from agora.concerns.models import Concern
from agora.concerns.views import rows
from agora.errors import DomainError
from agora.live.services import latest_seq
from agora.proposals import markdown
from agora.proposals.photos import MAX_BYTES
from agora.rooms.access import access_hall
from agora.rooms.models import Hall
from agora.web.http import path_id, read_form, redirect, require_user
from agora.web.templating import render


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, {**LABELS, **context}, status=status)


async def read_photos(request: Request, form: FormData | None = None) -> list[bytes]:
    """The bytes of each non-empty multipart file field `photo` (at most one byte over the limit each).

    File names and declared content types are ignored: the image decoder decides what a file is."""
    data = form if form is not None else await request.form(max_files=rules.MAX_PHOTOS + 1)
    out: list[bytes] = []
    try:
        for upload in data.getlist("photo"):
            if isinstance(upload, UploadFile):
                raw = await upload.read(MAX_BYTES + 1)
                if raw:
                    out.append(raw)
    finally:
        if form is None:
            await data.close()
    return out


async def _hall(request: Request) -> tuple[Viewer, Hall, Hall | None]:
    """The caller in the compound, the hall of the path, and its building when it is one."""
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    compound, building = await compound_and_building(access)
    return await viewer_in(user, compound), access.hall, building


def _filters(request: Request) -> dict[str, str]:
    keys = ("status", "category", "kind", "q")
    return {k: request.query_params.get(k, "") for k in keys if request.query_params.get(k)}


async def list_page(request: Request) -> Response:
    viewer, hall, building = await _hall(request)
    filters = _filters(request)
    found = await reads.list_concerns(viewer, building, filters)
    return _page(
        request,
        "concerns/list.html",
        hall=hall,
        compound=viewer.compound,
        rows=rows(found, await reads.buildings_of(viewer.compound)),
        filters=filters,
        categories=await categories.category_list(viewer.compound.id),
        statuses=rules.STATUSES,
        can_moderate=viewer.who().is_moderator,
        live_seq=await latest_seq(viewer.compound.id),
    )


async def _form_page(
    request: Request,
    viewer: Viewer,
    hall: Hall,
    building: Hall | None,
    *,
    form: dict[str, Any],
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    who = viewer.who()
    return _page(
        request,
        "concerns/new.html",
        status,
        hall=hall,
        building=building,
        buildings=list((await reads.buildings_of(viewer.compound)).values()) if building is None else [],
        categories=await categories.category_list(viewer.compound.id),
        form=form,
        error=error,
        fields=fields or {},
        can_on_behalf=who.is_canvasser or who.is_moderator,
        max_photos=rules.MAX_PHOTOS,
    )


async def new_page(request: Request) -> Response:
    viewer, hall, building = await _hall(request)
    return await _form_page(
        request, viewer, hall, building, form={"kind": request.query_params.get("kind", "")}
    )


async def create_submit(request: Request) -> Response:
    viewer, hall, building = await _hall(request)
    raw = await request.form(max_files=rules.MAX_PHOTOS + 1)
    try:
        form = {k: v for k, v in raw.multi_items() if k != "csrf_token" and not isinstance(v, UploadFile)}
        data: dict[str, Any] = {**form, "visibility": "moderators" if form.get("private") else "public"}
        try:
            uploads = await read_photos(request, raw)
            concern, code = await services.raise_concern(viewer, building, data, uploads)
        except DomainError as error:
            if error.status == 403:
                raise
            return await _form_page(
                request,
                viewer,
                hall,
                building,
                form=form,
                error=error.message,
                fields=error.fields,
                status=error.status,
            )
    finally:
        await raw.close()
    if code is not None:  # shown once: only its digest is kept
        return _page(request, "concerns/created.html", concern=concern, code=code, hall=hall)
    return redirect(f"/concerns/{concern.id}")


async def similar_fragment(request: Request) -> Response:
    viewer, _hall_, _building = await _hall(request)
    params = request.query_params
    found = await reads.similar(viewer, params.get("title", "")[:200], params.get("body", "")[:400])
    return _page(request, "concerns/_similar.html", similar=found, compound=viewer.compound)


async def governance_page(request: Request) -> Response:
    viewer, hall, building = await _hall(request)
    items = rows(await reads.governance_list(viewer, building), await reads.buildings_of(viewer.compound))
    return _page(
        request,
        "concerns/governance.html",
        hall=hall,
        compound=viewer.compound,
        items=items,
        overdue=sum(1 for item in items if item["overdue"]),
        awaiting=await reads.awaiting_triage(viewer),
        can_moderate=viewer.who().is_moderator,
        live_seq=await latest_seq(viewer.compound.id),
    )


async def search_page(request: Request) -> Response:
    viewer, hall, _building = await _hall(request)
    query = search.clean_query(request.query_params.get("q", ""))
    words = await search.query_words(query)
    ranked = await search.ranked_concern_ids(viewer.compound.id, words, viewer)
    concerns = [concern for concern, _score in await reads.in_rank_order(ranked)]
    return _page(
        request,
        "concerns/search.html",
        hall=hall,
        q=query,
        rows=rows(concerns, await reads.buildings_of(viewer.compound)),
        proposals=await search.ranked_proposals(viewer.compound.id, words),
    )


def _times(data: dict[str, Any]) -> dict[str, Any]:
    """The concern's JSON with its times as datetimes, for the templates' `when` filter."""
    parse = lambda v: datetime.fromisoformat(v) if v else None  # noqa: E731
    view = dict(data)
    for name in ("created_at", "accepted_at", "due_at", "resolved_at", "closed_at"):
        view[name] = parse(data[name])
    view["history"] = [{**h, "at": parse(h["at"])} for h in data["history"]]
    # Stored HTML is cleaned again on the way out (idempotent), never trusted as it is.
    view["body_html"] = markdown.clean(data["body_html"])
    view["replies"] = [
        {**r, "at": parse(r["at"]), "body_html": markdown.clean(r["body_html"])} for r in data["replies"]
    ]
    if data["feedback"]:
        view["feedback"] = {**data["feedback"], "at": parse(data["feedback"]["at"])}
    return view


async def _detail(
    request: Request, concern: Concern, viewer: Viewer, *, error: str | None = None, status: int = 200
) -> Response:
    data = await reads.concern_detail(viewer, concern)
    who = viewer.who(concern)
    return _page(
        request,
        "concerns/detail.html",
        status,
        d=_times(data),
        compound=viewer.compound,
        error=error,
        can_triage=who.is_moderator and concern.status in rules.OPEN,
        targets=rules.allowed_targets(concern.status) if who.is_moderator else [],
        can_merge=who.is_moderator and concern.status in rules.OPEN,
        merge_candidates=(
            await reads.similar(viewer, concern.title, concern.body, exclude=concern.id)
            if who.is_moderator and concern.status in rules.OPEN
            else []
        ),
        reply_as=permissions.reply_role(who),
        can_feedback=who.is_submitter and data["effective_status"] == "resolved" and not data["feedback"],
        can_add_photo=permissions.can_add_photo(concern.status, who)
        and len(data["photos"]) < rules.MAX_PHOTOS,
        can_propose=concern.status in rules.OPEN and concern.route == "proposal",
        categories=await categories.category_list(viewer.compound.id),
        routes=rules.ROUTES,
        urgencies=rules.URGENCIES,
        today=clock.now().astimezone(clock.LOCAL_TZ).date().isoformat(),
        due_date=concern.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() if concern.due_at else "",
        live_seq=await latest_seq(viewer.compound.id),
    )


async def detail_page(request: Request) -> Response:
    concern, viewer = await access_concern(require_user(request), path_id(request))
    return await _detail(request, concern, viewer)


async def action_submit(request: Request) -> Response:
    """Triage, status, merge, reply, feedback, photo: one form each, back to the concern's page; a
    refused form shows the page again with the reason (a 403 or 404 is the error page)."""
    concern, viewer = await access_concern(require_user(request), path_id(request))
    action = request.url.path.rsplit("/", 1)[1]
    try:
        if action == "photos":
            photos.require_can_add(viewer, concern)  # before the body is parsed
            uploads = await read_photos(request)
            await photos.add_photo(viewer, concern, uploads[0] if uploads else None)
            return redirect(f"/concerns/{concern.id}#photos")
        form = await read_form(request)
        if action == "triage":
            await services.triage(viewer, concern, form)
        elif action == "status":
            await services.change_status(viewer, concern, form.get("to"), form.get("note"))
        elif action == "merge":
            # A number typed in wins over a suggestion picked above it.
            await services.merge(viewer, concern, form.get("into_ref") or form.get("into"))
        elif action == "replies":
            await services.reply(viewer, concern, form.get("body"))
        elif action == "feedback":
            satisfied = {"yes": True, "no": False}.get(str(form.get("satisfied")))
            await services.feedback(viewer, concern, satisfied, form.get("comment"))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        fresh = await Concern.get(id=concern.id)
        return await _detail(request, fresh, viewer, error=error.message, status=error.status)
    return redirect(f"/concerns/{concern.id}")


async def photo_file(request: Request) -> Response:
    concern, _viewer = await access_concern(require_user(request), path_id(request))
    thumb = request.query_params.get("size") == "thumb"
    data, digest = await photos.photo_bytes(concern, path_id(request, "photo_id"), thumb)
    etag = f'"{digest[:32]}{"-t" if thumb else ""}"'
    headers = {"Cache-Control": "private, max-age=86400", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/jpeg", headers=headers)


async def category_submit(request: Request) -> Response:
    viewer, hall, _building = await _hall(request)
    await categories.add_category(viewer, (await read_form(request)).get("label"))
    return redirect(f"/halls/{hall.slug}/concerns")


# --- following a concern entered on a resident's behalf, with its code ----------------------------


async def follow_page(request: Request) -> Response:
    return _page(request, "concerns/follow.html", d=None, code="", error=None)


async def follow_submit(request: Request) -> Response:
    """The concern's status, history and replies for whoever holds its code (no account needed)."""
    form = await read_form(request)
    code = str(form.get("code") or "")
    try:
        concern = await services.by_follow_code(code)
        if request.url.path.endswith("/feedback"):
            satisfied = {"yes": True, "no": False}.get(str(form.get("satisfied")))
            concern = await services.feedback_by_code(code, satisfied, form.get("comment"))
    except DomainError as error:
        if error.status == 404:
            return _page(request, "concerns/follow.html", 404, d=None, code="", error=error.message)
        concern = await services.by_follow_code(code)
        return await _follow(request, concern, code, error.message, error.status)
    return await _follow(request, concern, code, None, 200)


async def _follow(request: Request, concern: Concern, code: str, error: str | None, status: int) -> Response:
    compound = await Hall.get(id=concern.compound_id)  # type: ignore[attr-defined]
    data = _times(await reads.public_detail(concern, compound))
    can_feedback = data["effective_status"] == "resolved" and not data["feedback"]
    return _page(
        request, "concerns/follow.html", status, d=data, code=code, error=error, can_feedback=can_feedback
    )


routes: list[BaseRoute] = [
    Route("/halls/{slug}/concerns", list_page, methods=["GET"]),
    Route("/halls/{slug}/concerns", create_submit, methods=["POST"]),
    Route("/halls/{slug}/concerns/new", new_page, methods=["GET"]),
    Route("/halls/{slug}/concerns/similar", similar_fragment, methods=["GET"]),
    Route("/halls/{slug}/concerns/search", search_page, methods=["GET"]),
    Route("/halls/{slug}/concern-categories", category_submit, methods=["POST"]),
    Route("/halls/{slug}/governance", governance_page, methods=["GET"]),
    Route("/concerns/follow", follow_page, methods=["GET"]),
    Route("/concerns/follow", follow_submit, methods=["POST"]),
    Route("/concerns/follow/feedback", follow_submit, methods=["POST"]),
    Route("/concerns/{id}", detail_page, methods=["GET"]),
    *[
        Route(f"/concerns/{{id}}/{action}", action_submit, methods=["POST"])
        for action in ("triage", "status", "merge", "replies", "feedback", "photos")
    ],
    Route("/concerns/{id}/photos/{photo_id:int}.jpg", photo_file, methods=["GET"]),
]

"""The proposals pages: phone first, forms that work without JavaScript (post/redirect/get).

The comment form is the one htmx exception: posted with htmx it answers with a fresh form, and the
new comment itself arrives through the hall's live feed like everyone else's.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.ballots.consenting import required_refs
from agora.errors import Conflict, DomainError, Invalid
from agora.i18n import _
from agora.implementation.labels import LABELS as IMPLEMENTATION_LABELS
from agora.implementation.queries import summary_for
from agora.proposals import (
    discussion,
    inbox,
    lifecycle,
    markdown,
    moderation,
    page_cache,
    permissions,
    photos,
    search,
    services,
    timeline,
    window,
)
from agora.proposals.drafting import options_from_lines
from agora.proposals.fragments import FRAGMENTS
from agora.proposals.labels import LABELS
from agora.proposals.models import CATEGORIES, Proposal
from agora.proposals.serialize import comment_view
from agora.rooms.access import access_hall
from agora.rooms.models import Hall
from agora.rooms.qr import qr_svg
from agora.web.http import path_id, read_form, redirect, require_user
from agora.web.templating import is_htmx, render


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, {**LABELS, **FRAGMENTS, **context}, status=status)


def _id(request: Request) -> int:
    return path_id(request)


def _form_defaults(**overrides: Any) -> dict[str, Any]:
    return {"parent": None, "form_error": None, "form_posted": None, "form_body": "", **overrides}


async def hall_proposals_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    return _page(
        request,
        "proposals/hall.html",
        hall=access.hall,
        proposals_by_state=await services.hall_proposals(access),
        can_moderate=access.is_moderator,
    )


async def new_proposal_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    # A proposal drafted from a concern (its page links here with ?concern=) carries the link.
    form = {"concern": request.query_params["concern"]} if request.query_params.get("concern") else {}
    return _page(
        request,
        "proposals/new.html",
        hall=access.hall,
        form=form,
        categories=CATEGORIES,
        error=None,
        can_charge=permissions.may_set_charged_units(access),
    )


async def create_proposal_submit(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    form = await read_form(request)
    data = {**form, "options": options_from_lines(str(form.get("options") or ""))}
    try:
        proposal = await services.create_proposal(access, user, data)
    except Invalid as error:
        message = error.message + " " + ", ".join(sorted(error.fields or {}))
        return _page(
            request,
            "proposals/new.html",
            422,
            hall=access.hall,
            form=form,
            categories=CATEGORIES,
            error=message,
            can_charge=permissions.may_set_charged_units(access),
        )
    return redirect(f"/proposals/{proposal.id}")


async def proposal_page(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    sort = request.query_params.get("sort", "oldest")
    view = await page_cache.discussion_view(proposal, sort=sort, after=request.query_params.get("after"))
    actor = lifecycle.Actor(is_author=proposal.author_id == user.id, is_moderator=access.is_moderator)  # type: ignore[attr-defined]
    voting_from = None
    if proposal.state == "notice" and proposal.opens_from is not None:
        voting_from = proposal.opens_from  # announced with the notice
    elif proposal.state == "notice" and proposal.notice_at is not None:
        rules = await services.compound_rules(access.hall)
        voting_from = lifecycle.earliest_voting_start(proposal.notice_at, rules.notice_days)
    # Seconding is a draft's business: other states show neither the button nor the note.
    seconded = proposal.state == "draft" and await services.has_seconded(proposal, user)
    return _page(
        request,
        "proposals/detail.html",
        proposal=proposal,
        hall=access.hall,
        body_html=markdown.render(proposal.body),
        timeline=view.timeline,
        targets=lifecycle.allowed_targets(proposal.state, proposal.matter, actor),
        tree=view.tree,
        next_cursor=view.next_cursor,
        sort=sort,
        stances=view.stances,
        comment_count=view.comment_count,
        can_second=proposal.state == "draft" and not actor.is_author and not seconded,
        can_change_charged=services.may_change_charged_units(access, proposal),
        seconded=seconded,
        can_moderate=access.is_moderator,
        can_official=permissions.may_answer_officially(access),
        # Art. 279 or an elevator's occupied units: the consents page (who may see what, it decides).
        needs_consents=bool(required_refs(proposal)) and proposal.state in ("voting", "closed", "certified"),
        voting_from=voting_from,
        can_extend="committee" in access.roles
        and proposal.state == "voting"
        and proposal.matter in lifecycle.OWNERS_MATTERS
        and proposal.extension is None,
        photos=view.photos,
        can_add_photo=photos.can_add(access, proposal, user),
        max_photos=photos.MAX_PHOTOS,
        photo_url=photos.photo_url,
        implementation=await summary_for(proposal, clock.now()),
        **IMPLEMENTATION_LABELS,
        **_form_defaults(),
    )


async def read_photo(request: Request) -> bytes | None:
    """The bytes of the multipart field `photo` (at most one byte over the limit), or None.

    The file name and declared content type are ignored: the image decoder decides what it is.
    """
    form = await request.form()
    upload = form.get("photo")
    if not isinstance(upload, UploadFile):
        await form.close()
        return None
    try:
        return await upload.read(photos.MAX_BYTES + 1)
    finally:
        await form.close()


async def photo_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    photos.require_can_add(access, proposal, user)  # before the body is parsed
    await photos.add_photo(access, proposal, user, await read_photo(request))
    return redirect(f"/proposals/{proposal.id}#photos")


async def photo_file(request: Request) -> Response:
    user = require_user(request)
    proposal, _access = await timeline.access_proposal(user, _id(request))
    thumb = request.query_params.get("size") == "thumb"
    data, digest = await photos.photo_bytes(proposal, path_id(request, "photo_id"), thumb)
    etag = f'"{digest[:32]}{"-t" if thumb else ""}"'
    headers = {"Cache-Control": "private, max-age=86400", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/jpeg", headers=headers)


async def transition_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    form = await read_form(request)
    closes_at = services.parse_closes_at(form.get("closes_at"))
    await services.transition(
        access,
        proposal,
        str(form.get("to", "")),
        user,
        closes_at=closes_at,
        reason=str(form.get("reason") or ""),
    )
    return redirect(f"/proposals/{proposal.id}")


async def extend_submit(request: Request) -> Response:
    """The committee's form to extend an open vote once (api.md, "Procedure")."""
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    form = await read_form(request)
    live = await services.compound_rules(access.hall)
    await window.extend(
        access, proposal, user, {"closes_at": form.get("closes_at"), "reason": form.get("reason")}, live
    )
    return redirect(f"/proposals/{proposal.id}")


async def charged_units_page(request: Request) -> Response:
    """The form behind `PUT …/charged-units`: the units a maintenance-fund spend charges, one per line."""
    proposal, access = await timeline.access_proposal(require_user(request), _id(request))
    permissions.check_may_set_charged_units(access)
    lines = "\n".join(proposal.charged_units or [])
    return _charged_units_form(request, proposal, access.hall, lines, None)


async def charged_units_submit(request: Request) -> Response:
    """Change the charged units (empty: the whole hall votes); an error keeps what was typed."""
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    form = await read_form(request)
    lines = str(form.get("charged_units") or "")
    try:
        await services.set_charged_units(access, proposal, user, lines)
    except (Invalid, Conflict) as error:
        return _charged_units_form(request, proposal, access.hall, lines, error)
    return redirect(f"/proposals/{proposal.id}")


def _charged_units_form(
    request: Request, proposal: Proposal, hall: Hall, lines: str, error: DomainError | None
) -> Response:
    return _page(
        request,
        "proposals/charged_units.html",
        error.status if error else 200,
        proposal=proposal,
        hall=hall,
        lines=lines,
        error=error.message if error else None,
    )


async def second_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    await services.second(access, proposal, user)
    return redirect(f"/proposals/{proposal.id}")


async def lock_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    form = await read_form(request)
    locked = request.url.path.endswith("/lock")
    await services.set_locked(access, proposal, user, locked, str(form.get("reason") or ""))
    return redirect(f"/proposals/{proposal.id}")


async def comment_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await timeline.access_proposal(user, _id(request))
    form = await read_form(request)
    parent = form.get("parent") or None
    context = {"proposal": proposal, "can_official": permissions.may_answer_officially(access), **LABELS}
    try:
        comment = await discussion.post_comment(
            access, proposal, user, form.get("body"), parent=parent, stance=form.get("stance"),
            official=form.get("official"),
        )  # fmt: skip
    except DomainError as error:
        if not is_htmx(request):
            raise
        fields = _form_defaults(
            parent=parent, form_error=error.message, form_body=str(form.get("body") or "")
        )
        return render(request, "proposals/_comment_form.html", {**context, **fields}, headers=error.headers)
    if is_htmx(request):
        return render(request, "proposals/_comment_form.html", {**context, **_form_defaults(parent=parent,
                      form_posted=comment.id)})  # fmt: skip
    return redirect(f"/comments/{comment.id}" if parent else f"/proposals/{proposal.id}#comment-{comment.id}")


async def comment_page(request: Request) -> Response:
    user = require_user(request)
    comment, proposal, access = await discussion.access_comment(user, _id(request))
    thread, next_cursor = await discussion.thread_of(comment, after=request.query_params.get("after"))
    node = comment_view(thread)
    history = []
    if comment.hidden_at is None:
        history = [
            {"replaced_at": r.replaced_at, "html": markdown.clean(r.body_html)}
            for r in await discussion.revisions(comment)
        ]
    is_author = comment.author_id == user.id  # type: ignore[attr-defined]
    return _page(
        request,
        "proposals/comment.html",
        proposal=proposal,
        hall=access.hall,
        node=node,
        next_cursor=next_cursor,
        history=history,
        is_author=is_author,
        source=comment.body if is_author else "",
        hidden_source=comment.body if access.is_moderator and comment.hidden_at else "",
        can_moderate=access.is_moderator,
        can_official=permissions.may_answer_officially(access),
        error=None,
        **_form_defaults(parent=comment.id),
    )


async def comment_action_submit(request: Request) -> Response:
    """Edit, delete, report, hide, restore, official, dismiss: one form each, back to the comment."""
    user = require_user(request)
    comment, proposal, access = await discussion.access_comment(user, _id(request))
    form = await read_form(request)
    action = request.url.path.rsplit("/", 1)[1]
    if action == "edit":
        await discussion.edit_comment(access, comment, user, form.get("body"))
    elif action == "delete":
        await discussion.delete_comment(access, comment, user)
    elif action == "report":
        await moderation.report(access, comment, user, form.get("reason"))
    elif action == "hide":
        await moderation.hide(access, comment, user, form.get("reason"))
    elif action == "restore":
        await moderation.restore(access, comment, user, form.get("reason") or "")
    elif action == "official":
        await discussion.pin_official(access, comment, user)
    elif action == "dismiss":
        await moderation.dismiss_reports(access, comment, user)
        return redirect(f"/halls/{access.hall.slug}/moderation")
    return redirect(f"/comments/{comment.id}")


async def moderation_queue_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    return _page(
        request, "proposals/moderation.html", hall=access.hall, entries=await moderation.queue(access)
    )


async def moderation_log_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    return _page(
        request,
        "proposals/moderation_log.html",
        hall=access.hall,
        entries=await moderation.public_log(access),
    )


async def search_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    results = await search.search(access, request.query_params.get("q", ""))
    return _page(request, "proposals/search.html", hall=access.hall, results=results)


async def share_page(request: Request) -> Response:
    """The proposal's address as a link and a QR code (server-rendered SVG: no request leaves the site)."""
    proposal, access = await timeline.access_proposal(require_user(request), _id(request))
    url = f"{str(request.base_url).rstrip('/')}/proposals/{proposal.id}"
    label = _("QR code of the link to “{title}”", title=proposal.title)
    return _page(
        request, "proposals/share.html", proposal=proposal, hall=access.hall, url=url, qr=qr_svg(url, label)
    )


async def inbox_page(request: Request) -> Response:
    user = require_user(request)
    items, _read_at = await inbox.items(user)
    return _page(request, "proposals/inbox.html", items=items)


async def inbox_read_submit(request: Request) -> Response:
    await inbox.mark_read(require_user(request))
    return redirect("/inbox")


async def inbox_badge(request: Request) -> Response:
    return render(
        request, "proposals/_inbox_badge.html", {"unread": await inbox.unread_count(require_user(request))}
    )


routes: list[BaseRoute] = [
    Route("/halls/{slug}/proposals", hall_proposals_page, methods=["GET"]),
    Route("/halls/{slug}/proposals", create_proposal_submit, methods=["POST"]),
    Route("/halls/{slug}/proposals/new", new_proposal_page, methods=["GET"]),
    Route("/halls/{slug}/moderation", moderation_queue_page, methods=["GET"]),
    Route("/halls/{slug}/moderation/log", moderation_log_page, methods=["GET"]),
    Route("/halls/{slug}/search", search_page, methods=["GET"]),
    Route("/proposals/{id}", proposal_page, methods=["GET"]),
    Route("/proposals/{id}/share", share_page, methods=["GET"]),
    Route("/proposals/{id}/transition", transition_submit, methods=["POST"]),
    Route("/proposals/{id}/extend", extend_submit, methods=["POST"]),
    Route("/proposals/{id}/charged-units", charged_units_page, methods=["GET"]),
    Route("/proposals/{id}/charged-units", charged_units_submit, methods=["POST"]),
    Route("/proposals/{id}/second", second_submit, methods=["POST"]),
    Route("/proposals/{id}/lock", lock_submit, methods=["POST"]),
    Route("/proposals/{id}/unlock", lock_submit, methods=["POST"]),
    Route("/proposals/{id}/comments", comment_submit, methods=["POST"]),
    Route("/proposals/{id}/photos", photo_submit, methods=["POST"]),
    Route("/proposals/{id}/photos/{photo_id:int}.jpg", photo_file, methods=["GET"]),
    Route("/comments/{id}", comment_page, methods=["GET"]),
    *[
        Route(f"/comments/{{id}}/{action}", comment_action_submit, methods=["POST"])
        for action in ("edit", "delete", "report", "hide", "restore", "official", "dismiss")
    ],
    Route("/inbox", inbox_page, methods=["GET"]),
    Route("/inbox/read", inbox_read_submit, methods=["POST"]),
    Route("/inbox/badge", inbox_badge, methods=["GET"]),
]

"""The ballots feature's pages: vote (choose, confirm, receipt), result, canvassing, the record.

Everything works without JavaScript; the confirm form carries an idempotency key so a double tap
or a reload of the receipt page never casts twice and shows the same receipt.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.accounts.models import User
from agora.art278 import RESIDENT_MEETING
from agora.ballots import canvass, charts, electorate, paper_undo, services
from agora.ballots.chain import hash_receipt
from agora.ballots.idempotency import MAX_KEY_LENGTH, stored_response
from agora.ballots.labels import helpers, meter_labels
from agora.ballots.models import BallotSlot, LedgerRow
from agora.ballots.pdf import find_font, record_pdf
from agora.ballots.procedure_routes import procedure_context
from agora.ballots.receipts import qr_svg, receipt_url
from agora.ballots.resolution import verdict_label
from agora.ballots.results import building_rows, result_of
from agora.errors import DomainError, Forbidden
from agora.i18n import _
from agora.live.services import latest_seq
from agora.proposals import markdown
from agora.proposals.models import Proposal
from agora.proposals.timeline import access_proposal
from agora.rooms.counting import format_area
from agora.rooms.models import Hall
from agora.web.http import path_id, read_form, redirect, require_user
from agora.web.templating import render as render_template


def render(request: Request, template: str, context: dict[str, Any], **kwargs: Any) -> Response:
    return render_template(request, template, {**helpers(), **context}, **kwargs)


def _id(request: Request) -> int:
    return path_id(request, "proposal_id")


async def vote_context(user: User, proposal: Proposal, access: Any) -> dict[str, Any]:
    """What the vote page shows: the ballot form, or the caller's ballot, and the turnout meter."""
    context: dict[str, Any] = {
        "proposal": proposal,
        "labels": electorate.choice_labels(proposal),
        "choices": electorate.choices_of(proposal),
        "can_vote": False,
        "no_vote_reason": None,
        "mine": None,
        "turnout": None,
        "bars": [],
        "is_canvasser": access.has("canvasser"),
        "hall": await Hall.get(id=proposal.hall_id),  # type: ignore[attr-defined]
        "live_seq": await latest_seq(proposal.hall_id),  # type: ignore[attr-defined]
        "voter": None,
        "voter_area": None,
        # One key per rendered ballot form: a double tap or a resent form casts once.
        "idempotency_key": secrets.token_urlsafe(16),
    }
    if proposal.state == "voting":
        context["turnout"] = await services.turnout_now(proposal)
        context["bars"] = charts.turnout_bars(context["turnout"], meter_labels())
    try:
        voter = await electorate.voter_for_user(proposal, access, user)
    except (Forbidden, DomainError) as error:
        context["no_vote_reason"] = error.message
        return context
    slot = await BallotSlot.get_or_none(proposal_id=proposal.id, person_key=voter.person_key)
    if slot is not None:
        row = await LedgerRow.get(proposal_id=proposal.id, seq=slot.seq)
        context["mine"] = {
            "receipt_hash": row.receipt_hash,
            "choice": None if row.ciphertext else row.choice,  # a secret vote keeps no choice
            "channel": row.channel,
            "at": row.at,
        }
    revote = electorate.is_owners_matter(proposal) and (await electorate.rules_for(proposal)).revote
    context["can_vote"] = proposal.state == "voting" and (
        slot is None or (revote and slot.channel == "online")
    )
    context["voter"] = voter
    context["voter_area"] = format_area(voter.area_cents) if voter.area_cents else None
    return context


async def vote_page(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await access_proposal(user, _id(request))
    context = await vote_context(user, proposal, access)
    return render(request, "ballots/vote.html", {**context, "error": None})


async def vote_choose(request: Request) -> Response:
    """Step one: the chosen option, shown back for confirmation (nothing is recorded yet)."""
    user = require_user(request)
    proposal, access = await access_proposal(user, _id(request))
    form = await read_form(request)
    choice = str(form.get("choice", ""))
    context = await vote_context(user, proposal, access)
    if context["no_vote_reason"]:
        # Nothing to confirm for someone who has no vote on this matter: say why at step one.
        return render(
            request, "ballots/vote.html", {**context, "error": context["no_vote_reason"]}, status=403
        )
    if not context["can_vote"]:  # not open, or already voted: a conflict with the state, as the API says
        error = _("You cannot vote on this proposal now.")
        return render(request, "ballots/vote.html", {**context, "error": error}, status=409)
    if choice not in context["choices"]:
        return render(
            request, "ballots/vote.html", {**context, "error": _("Please choose one option.")}, status=422
        )
    return render(
        request,
        "ballots/confirm.html",
        {**context, "choice": choice},
    )


RECEIPT_COOKIE = "agora_receipt"
RECEIPT_COOKIE_SECONDS = 15 * 60


def receipt_path(proposal_id: int) -> str:
    return f"/proposals/{proposal_id}/vote/receipt"


async def vote_confirm(request: Request) -> Response:
    """Step two: cast, then redirect to the receipt (post/redirect/get: Back and reload never ask to
    resend the form). The idempotency key travels to the receipt page in a short-lived cookie scoped
    to that page, not in the URL (history, logs): with it the page unseals the stored receipt."""
    user = require_user(request)
    form = await read_form(request)
    key = str(form.get("idempotency_key", "")) or secrets.token_urlsafe(16)
    try:
        await services.cast_ballot(user, _id(request), str(form.get("choice", "")), key)
    except DomainError as error:
        if error.status in (409, 422):
            proposal, access = await access_proposal(user, _id(request))
            context = await vote_context(user, proposal, access)
            return render(
                request, "ballots/vote.html", {**context, "error": error.message}, status=error.status
            )
        raise
    response = redirect(receipt_path(_id(request)))
    response.set_cookie(
        RECEIPT_COOKIE,
        key,
        max_age=RECEIPT_COOKIE_SECONDS,
        path=receipt_path(_id(request)),
        secure=request.app.state.settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


async def receipt_page(request: Request) -> Response:
    """The receipt of the ballot just cast, for a few minutes after casting (reload shows it again);
    afterwards, or on another phone, the vote page (which says the ballot is recorded)."""
    user = require_user(request)
    proposal, _access = await access_proposal(user, _id(request))
    key = request.cookies.get(RECEIPT_COOKIE, "")
    stored = await stored_response(user.id, key) if key and len(key) <= MAX_KEY_LENGTH else None
    if stored is None or stored[0] != proposal.id:
        return redirect(f"/proposals/{proposal.id}/vote")
    return _receipt_page(request, proposal, stored[1])


def _receipt_page(request: Request, proposal: Proposal, body: dict[str, Any]) -> Response:
    url = receipt_url(str(request.base_url), proposal.id, body["receipt"])
    return render(
        request,
        "ballots/receipt.html",
        {
            "proposal": proposal,
            "receipt": body["receipt"],
            "receipt_hash": hash_receipt(body["receipt"]),
            "entry_hash": body["entry_hash"],
            "cast_at": body.get("at"),
            "qr": qr_svg(url, _("QR code of your receipt {code}", code=body["receipt"])),
            "receipt_link": url,
        },
        headers={"cache-control": "no-store"},
    )


async def result_page(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await access_proposal(user, _id(request))
    if proposal.matter == RESIDENT_MEETING:  # no ballots: the meeting's own page
        return redirect(f"/proposals/{proposal.id}/meeting")
    result = await result_of(proposal)
    context: dict[str, Any] = {
        "proposal": proposal,
        "hall": access.hall,
        "live_seq": await latest_seq(access.hall.id),
        "result": result,
        "labels": electorate.choice_labels(proposal),
    }
    if proposal.state == "voting":
        context["bars"] = charts.turnout_bars(result["turnout"], meter_labels())
        context["turnout"] = result["turnout"]
        context["buildings"] = (
            await building_rows(proposal) if (access.is_committee or access.is_moderator) else None
        )
    else:
        # Art. 279 has no count to draw: its consents decide (the template shows them).
        context["rows"] = charts.result_bars(result, context["labels"]) if "participating" in result else []
        context["verdict"] = verdict_label(result.get("outcome"))
        context["threshold_x"] = charts.threshold_x
    return render(request, "ballots/result.html", context)


async def paper_page(request: Request) -> Response:
    """Find the owner (building and room, or name), then fill in the ballot; nothing is recorded
    before the canvasser has seen the owner's name, unit and area and confirmed."""
    user = require_user(request)
    query = request.query_params.get("q", "").strip()[:60]
    proposal, found = await canvass.find_owners(user, _id(request), query)
    owner_ref = request.query_params.get("owner", "").strip()[:64]
    selected = await canvass.owner_on_roll(user, proposal.id, owner_ref) if owner_ref else None
    form = {"owner_ref": owner_ref} if owner_ref else {}
    return await _paper(request, proposal, form, None, None, query=query, found=found, selected=selected)


async def _paper(
    request: Request,
    proposal: Proposal,
    form: dict,
    error: str | None,
    done: Any,
    status: int = 200,
    **extra: Any,
) -> Response:
    rules = await electorate.rules_for(proposal)
    return render(
        request,
        "ballots/paper.html",
        {
            "proposal": proposal,
            "labels": electorate.choice_labels(proposal),
            "choices": electorate.choices_of(proposal),
            "form": form,
            "error": error,
            "done": done,
            "deemed": rules.deemed_participation,
            "proxy_cap": rules.proxy_cap,
            "query": "",
            "found": None,
            "selected": None,
            "review": False,
            **extra,
        },
        status=status,
    )


async def paper_submit(request: Request) -> Response:
    user = require_user(request)
    proposal, access = await access_proposal(user, _id(request))
    form = await read_form(request)
    data: dict[str, Any] = {
        "owner_ref": str(form.get("owner_ref", "")).strip(),
        "choice": str(form.get("choice", "")),
        "witness": str(form.get("witness", "")),
    }
    action = str(form.get("action", "ballot"))
    owner = await canvass.owner_on_roll(user, proposal.id, data["owner_ref"]) if data["owner_ref"] else None
    if owner is None:
        error = _("No owner with this reference is on this vote's roll.")
        return await _paper(request, proposal, dict(form), error, None, status=404)
    if form.get("confirmed") != "1":
        # Step one: show back who and what would be recorded; nothing is written yet.
        if action == "ballot" and data["choice"] not in electorate.choices_of(proposal):
            error = _("Please choose one option.")
            return await _paper(request, proposal, dict(form), error, None, status=422, selected=owner)
        return await _paper(request, proposal, dict(form), None, None, selected=owner, review=True)
    try:
        if action == "delivery":
            await services.record_delivery(user, proposal.id, data)
            done = {"kind": "delivery", "owner": owner}
        else:
            if str(form.get("proxy_name", "")).strip():
                data["proxy"] = {
                    "name": str(form.get("proxy_name", "")),
                    "reference": str(form.get("proxy_reference", "")),
                    "scope": str(form.get("proxy_scope", "")),
                }
            body = await services.cast_paper(user, proposal.id, data)
            undo_until = paper_undo.undo_deadline(clock.now())
            done = {"kind": "ballot", "owner": owner, "undo_until": undo_until, **body}
    except DomainError as error:
        if error.status in (404, 409, 422):
            return await _paper(
                request, proposal, dict(form), error.message, None, status=error.status, selected=owner
            )
        raise
    return await _paper(request, proposal, {}, None, done)


async def paper_undo_submit(request: Request) -> Response:
    """The canvasser takes back the ballot just entered (within the undo window), after a confirmation."""
    user = require_user(request)
    proposal, _access = await access_proposal(user, _id(request))
    form = await read_form(request)
    raw = str(form.get("seq", ""))
    seq = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0
    try:
        undone = await services.undo_paper(user, proposal.id, seq)
    except DomainError as error:
        if error.status in (404, 409):
            return await _paper(request, proposal, {}, error.message, None, status=error.status)
        raise
    owner = await canvass.owner_on_roll(user, proposal.id, undone.owner_ref)
    return await _paper(request, proposal, {}, None, {"kind": "undone", "owner": owner})


_TAG = re.compile(r"(<[^>]*>)")


def plan_html(body: str) -> Markup:
    """The voted plan as residents read it: Markdown rendered and sanitized (as on the proposal page),
    with quotes in its text written as entities too, so that no attribute-like text from the plan
    ever appears raw on the record page. nh3's output escapes every `<` of the text, so splitting on
    tags is exact."""
    parts = _TAG.split(str(markdown.render(body)))
    return Markup(  # noqa: S704 — nh3-sanitized HTML, text quotes escaped
        "".join(p if p.startswith("<") else p.replace('"', "&#34;").replace("'", "&#39;") for p in parts)
    )


async def resolution_page(request: Request) -> Response:
    """The record; "Find your ballot" posts the receipt (a code in a URL would land in logs and
    history). `?receipt=` still works for links printed before, and is redacted from the access log."""
    user = require_user(request)
    proposal, access = await access_proposal(user, _id(request))
    document = await services.resolution_json(user, proposal.id)
    if request.method == "POST":
        receipt = str((await read_form(request)).get("receipt", "")).strip()[:40]
    else:
        receipt = request.query_params.get("receipt", "").strip()[:40]
    found = hash_receipt(receipt) if receipt else None
    return render(
        request,
        "ballots/resolution.html",
        {
            "proposal": proposal,
            "doc": document,
            "labels": electorate.choice_labels(proposal),
            "verdict": verdict_label(document["result"]["outcome"]),
            "rows": []
            if proposal.matter == "unanimous"
            else charts.result_bars(  # art. 279: no count
                document["result"], electorate.choice_labels(proposal)
            ),
            "threshold_x": charts.threshold_x,
            "can_certify": "committee" in access.roles and document["status"] == "draft",
            # The plan as the text residents read (sanitized Markdown), not its source.
            "plan_html": plan_html(document["proposal"]["body"]),
            # The machine-readable record is for the committee and checkers, not a button for everyone.
            "show_json": access.is_committee or access.is_moderator,
            **await procedure_context(proposal, access, user, document),
            "receipt": receipt,
            "found": found,
            "found_entry": next(
                (e for e in document["ledger"]["entries"] if e["receipt_hash"] == found), None
            ),
        },
    )


async def certify_submit(request: Request) -> Response:
    user = require_user(request)
    await services.certify(user, _id(request))
    return redirect(f"/proposals/{_id(request)}/resolution")


async def resolution_pdf(request: Request) -> Response:
    user = require_user(request)
    proposal_id = _id(request)
    document = await services.resolution_json(user, proposal_id)
    find_font()  # a missing font is a clear 503 here rather than an error from the worker thread
    # Rendering is CPU work for fpdf2 (a second or so for a large compound): off the event loop, so the
    # worker keeps serving everyone else meanwhile.
    data = await run_in_threadpool(record_pdf, document)
    filename = f"resolution-{proposal_id}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="{filename}"'},
    )


async def archive_page(request: Request) -> Response:
    user = require_user(request)
    query = request.query_params.get("q", "")
    hall, rows = await services.archive(user, request.path_params["slug"], query)
    return render(
        request,
        "ballots/archive.html",
        {"hall": hall, "rows": rows, "q": query[:100], "verdict_label": verdict_label},
    )


P = "/proposals/{proposal_id:int}"
routes: list[BaseRoute] = [
    Route(f"{P}/vote", vote_page, methods=["GET"]),
    Route(f"{P}/vote", vote_choose, methods=["POST"]),
    Route(f"{P}/vote/confirm", vote_confirm, methods=["POST"]),
    Route(f"{P}/vote/receipt", receipt_page, methods=["GET"]),
    Route(f"{P}/result", result_page, methods=["GET"]),
    Route(f"{P}/paper", paper_page, methods=["GET"]),
    Route(f"{P}/paper", paper_submit, methods=["POST"]),
    Route(f"{P}/paper/undo", paper_undo_submit, methods=["POST"]),
    Route(f"{P}/resolution", resolution_page, methods=["GET", "POST"]),
    Route(f"{P}/resolution/certify", certify_submit, methods=["POST"]),
    Route(f"{P}/resolution.pdf", resolution_pdf, methods=["GET"]),
    Route("/halls/{slug}/resolutions", archive_page, methods=["GET"]),
]

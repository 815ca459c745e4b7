"""The rooms pages: phone first, forms that work without JavaScript, post/redirect/get.

Two deliberate exceptions to post/redirect/get: a roll preview (nothing is written) and a page that
shows new invitation codes (only their hashes are stored, so they cannot be shown again later).
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora import clock
from agora.accounts import services as accounts
from agora.ballots.needs import open_votes
from agora.errors import BadRequest, Conflict, DomainError, Invalid
from agora.i18n import _
from agora.proposals.services import hall_proposals
from agora.rooms import joining, permissions, roll_import, services
from agora.rooms.access import HallAccess, access_hall
from agora.rooms.models import ROLES, STAFF_ROLE, Hall
from agora.rooms.qr import qr_svg
from agora.rooms.roll_columns import template_csv
from agora.rooms.roll_csv import MAX_ROLL_BYTES
from agora.rooms.roll_store import compound_of, hall_totals
from agora.rooms.rules import DEFAULTS
from agora.web.cookies import SESSION_COOKIE, cookie_header
from agora.web.http import read_form, redirect, require_user
from agora.web.middleware import client_ip
from agora.web.templating import render


async def _access(request: Request) -> tuple[Any, HallAccess]:
    user = require_user(request)
    return user, await access_hall(user, request.path_params["slug"])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _halls_context(request: Request, user: Any, **extra: Any) -> dict[str, Any]:
    halls = await services.my_halls(user)
    context: dict[str, Any] = {"halls": halls, "can_create": permissions.can_create_halls(user)}
    context["form_error"] = None
    parents = [s.hall for s in halls if s.hall.kind in ("community", "compound")]
    parent = request.query_params.get("parent", "")
    parent_kind = next((h.kind for h in parents if h.slug == parent), None)
    kind = {"community": "compound", "compound": "building"}.get(parent_kind or "", "community")
    context["new_hall"] = {
        "kind": kind, "name": "", "slug": "", "label": "", "parent": parent if parent_kind else ""
    }
    context["parents"] = parents
    context.update(extra)
    return context


async def halls_page(request: Request) -> Response:
    user = require_user(request)
    return render(request, "rooms/halls.html", await _halls_context(request, user))


async def hall_create_submit(request: Request) -> Response:
    """An administrator creates a community, compound or building (as POST /api/v1/halls)."""
    user = require_user(request)
    form = await read_form(request)
    data = {key: str(form.get(key) or "").strip() for key in ("kind", "name", "slug", "parent", "label")}
    payload: dict[str, Any] = {k: v for k, v in data.items() if v and k != "parent"}
    if data["parent"]:
        payload["parent"] = data["parent"]
    try:
        hall = await services.create_hall(user, payload)
    except (Invalid, Conflict) as error:
        context = await _halls_context(request, user, new_hall=data, form_error=error.message)
        return render(request, "rooms/halls.html", context, status=error.status)
    return redirect(f"/halls/{hall.slug}")


async def hall_page(request: Request) -> Response:
    user, access = await _access(request)
    detail = await services.hall_detail(access, user)
    context = {
        "access": access,
        "hall": access.hall,
        "detail": detail,
        "parent": await _parent(access),
        "children": await services.visible_children(access, user),
        "members": await services.member_count(access.hall),
        "abilities": permissions.abilities(access),
        "proposals_by_state": await hall_proposals(access),
        "open_votes": await open_votes(access, user),
    }
    return render(request, "rooms/hall.html", context)


async def _parent(access: HallAccess) -> Any:
    parent_id = access.hall.parent_id  # type: ignore[attr-defined]
    return await Hall.get_or_none(id=parent_id) if parent_id else None


# --- the roll -----------------------------------------------------------------------------------


async def roll_page(request: Request) -> Response:
    _user, access = await _access(request)
    roll_import.check_roll_access(access)
    totals = await hall_totals(access.hall)
    return render(
        request,
        "rooms/roll.html",
        {"hall": access.hall, "totals": totals, "done": request.query_params.get("done"), "error": None},
    )


async def _upload(request: Request) -> bytes:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("roll")
    if not isinstance(upload, UploadFile):
        raise BadRequest(_("Please choose a CSV file."), code="no_file")
    data = await upload.read(MAX_ROLL_BYTES + 1)
    await form.close()
    return data


async def roll_preview(request: Request) -> Response:
    _user, access = await _access(request)
    roll_import.check_roll_access(access)
    data = await _upload(request)
    preview = await roll_import.preview_roll(access, data)
    return _roll_preview_page(request, access, preview, data)


def _roll_preview_page(
    request: Request, access: HallAccess, preview: Any, data: bytes, confirm_error: str | None = None
) -> Response:
    status = 422 if preview.errors or confirm_error else 200
    return render(
        request,
        "rooms/roll_preview.html",
        {
            "hall": access.hall,
            "p": preview,
            "payload": "" if preview.errors else base64.b64encode(data).decode(),
            "confirm_error": confirm_error,
        },
        status=status,
    )


async def roll_template(request: Request) -> Response:
    """A roll to fill in: the columns with Chinese headers and example rows (Excel opens it)."""
    _user, access = await _access(request)
    roll_import.check_roll_access(access)
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="roll-template.csv"'},
    )


async def roll_confirm(request: Request) -> Response:
    user, access = await _access(request)
    form = await read_form(request)
    try:
        data = base64.b64decode(str(form.get("roll_b64", "")), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(_("The confirmation form was damaged; please upload the file again.")) from None
    preview = await roll_import.preview_roll(access, data)
    if preview.many_leave and str(form.get("confirm_removed", "")).strip() != str(len(preview.removed)):
        # Many units would leave: the committee types their number (a 9-row file is not the roll).
        error = _(
            "Type the number of units that would leave the roll ({n}) to import this file.",
            n=len(preview.removed),
        )
        return _roll_preview_page(request, access, preview, data, error)
    result = await roll_import.import_roll(access, user, data)
    return redirect(f"/halls/{access.hall.slug}/roll?done={result.totals.units}")


# --- invitations --------------------------------------------------------------------------------


async def invites_page(request: Request) -> Response:
    _user, access = await _access(request)
    permissions.check_can_invite(access)
    return render(request, "rooms/invites.html", {"hall": access.hall, "access": access, "created": None})


async def invite_create(request: Request) -> Response:
    user, access = await _access(request)
    form = await read_form(request)
    data: dict[str, Any] = {"role": form.get("role", "resident")}
    try:
        data["max_uses"] = int(str(form.get("max_uses") or "1"))
        days = int(str(form.get("days") or joining.HALL_INVITE_DAYS))
    except ValueError:
        raise Invalid(_("Please enter whole numbers."), fields={"max_uses": "invalid"}) from None
    if not 1 <= days <= 365:
        raise Invalid(_("An invitation is valid for 1 to 365 days."), fields={"days": "invalid"})
    data["expires_at"] = (clock.now() + timedelta(days=days)).isoformat()
    code, invite = await joining.create_hall_invite(access, user, data)
    url = joining.join_url(_base(request), code)
    created = {"code": joining.format_code(code), "url": url, "qr": qr_svg(url, code), "invite": invite}
    return render(request, "rooms/invites.html", {"hall": access.hall, "access": access, "created": created})


async def invite_slips(request: Request) -> Response:
    user, access = await _access(request)
    slips = await joining.print_owner_slips(access, user)
    base = _base(request)
    printed = [
        {"slip": s, "code": joining.format_code(s.code), "qr": qr_svg(joining.join_url(base, s.code), s.code)}
        for s in slips
    ]
    return render(request, "rooms/invite_slips.html", {"hall": access.hall, "slips": printed, "base": base})


# --- members and rules --------------------------------------------------------------------------


async def members_page(request: Request) -> Response:
    _user, access = await _access(request)
    permissions.check_can_set_roles(access)
    return render(
        request,
        "rooms/members.html",
        {
            "hall": access.hall,
            "members": await services.hall_members(access),
            # Community staff is a community's role (granted by an administrator).
            "roles": [r for r in ROLES if r != STAFF_ROLE or access.hall.kind == "community"],
            "done": request.query_params.get("done"),
        },
    )


async def members_submit(request: Request) -> Response:
    user, access = await _access(request)
    form = await request.form()
    login = str(form.get("login") or "").strip()
    roles = [str(r) for r in form.getlist("roles")]
    await services.set_roles(access, user, login, roles)
    return redirect(f"/halls/{access.hall.slug}/members?done=1")


def _rules_form(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("notice_days", "min_voting_days", "max_voting_days", "proxy_cap", "budget_margin_percent"):
        if key == "budget_margin_percent" and key not in form:
            continue  # an older form without the field keeps the rule as it is
        raw = str(form.get(key, "")).strip()
        data[key] = int(raw) if raw.isdecimal() else raw
    data["parking_counts"] = {"true": True, "false": False}.get(str(form.get("parking_counts", "")))
    data["revote"] = form.get("revote") == "on"
    if form.get("ballot_secrecy") is not None:
        data["ballot_secrecy"] = str(form.get("ballot_secrecy"))
    clause = str(form.get("deemed_participation", "")).strip()
    data["deemed_participation"] = clause or None
    return data


async def rules_page(request: Request) -> Response:
    _user, access = await _access(request)
    rules = await services.get_rules(access)
    return render(
        request,
        "rooms/rules.html",
        {
            "hall": access.hall,
            "rules": rules.to_json(),
            "can_edit": permissions.can_edit_rules(access),
            "errors": {},
            "done": request.query_params.get("done"),
            "defaults": DEFAULTS,
            "compound": await compound_of(access.hall),
        },
    )


async def rules_submit(request: Request) -> Response:
    user, access = await _access(request)
    data = _rules_form(await read_form(request))
    try:
        await services.set_rules(access, user, data)
    except Invalid as error:
        shown = {**(await services.get_rules(access)).to_json(), **data}
        return render(
            request,
            "rooms/rules.html",
            {
                "hall": access.hall,
                "rules": shown,
                "can_edit": True,
                "errors": error.fields or {},
                "done": None,
                "defaults": DEFAULTS,
                "compound": await compound_of(access.hall),
            },
            status=422,
        )
    return redirect(f"/halls/{access.hall.slug}/rules?done=1")


# --- joining ------------------------------------------------------------------------------------


async def join_page(request: Request) -> Response:
    code = request.query_params.get("code", "")[:40]
    return render(request, "rooms/join.html", {"form": {"invite": code}, "error": None})


async def join_submit(request: Request) -> Response:
    form = await read_form(request)
    data = {k: str(form.get(k, "")) for k in ("invite", "login", "password", "display_name")}
    try:
        user = await joining.register(request.app.state.passwords, data, client_ip(request.scope))
    except DomainError as error:
        shown = {k: v[:120] for k, v in data.items() if k != "password"}
        return render(
            request, "rooms/join.html", {"form": shown, "error": error.message}, status=error.status
        )
    raw = await accounts.start_session(user, client_ip(request.scope), request.headers.get("user-agent", ""))
    response = redirect("/halls")
    secure = request.app.state.settings.secure_cookies
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, raw, secure))
    return response


routes: list[BaseRoute] = [
    Route("/halls", halls_page, methods=["GET"]),
    Route("/halls", hall_create_submit, methods=["POST"]),
    Route("/halls/{slug}", hall_page, methods=["GET"]),
    Route("/halls/{slug}/roll", roll_page, methods=["GET"]),
    Route("/halls/{slug}/roll", roll_confirm, methods=["POST"]),
    Route("/halls/{slug}/roll/preview", roll_preview, methods=["POST"]),
    Route("/halls/{slug}/roll/template.csv", roll_template, methods=["GET"]),
    Route("/halls/{slug}/invites", invites_page, methods=["GET"]),
    Route("/halls/{slug}/invites", invite_create, methods=["POST"]),
    Route("/halls/{slug}/invites/slips", invite_slips, methods=["POST"]),
    Route("/halls/{slug}/members", members_page, methods=["GET"]),
    Route("/halls/{slug}/members", members_submit, methods=["POST"]),
    Route("/halls/{slug}/rules", rules_page, methods=["GET"]),
    Route("/halls/{slug}/rules", rules_submit, methods=["POST"]),
    Route("/join", join_page, methods=["GET"]),
    Route("/join", join_submit, methods=["POST"]),
]

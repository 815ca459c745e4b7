"""Password recovery pages and API: issue a reset code in a hall, redeem it, change one's own password."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.accounts.passwords import Passwords
from agora.accounts.services import digest
from agora.errors import DomainError, Invalid
from agora.i18n import _
from agora.recovery import permissions, services
from agora.rooms.access import access_hall
from agora.rooms.qr import qr_svg
from agora.web.http import json_response, no_content, read_form, read_json, redirect, require_user
from agora.web.middleware import client_ip
from agora.web.templating import render


def _passwords(request: Request) -> Passwords:
    return request.app.state.passwords


def reset_url(request: Request, code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/reset?code={code}"


def _current_credential(request: Request) -> str | None:
    """The digest of the session or token this request came with (kept when the password changes)."""
    if request.state.session_raw:
        return digest(request.state.session_raw)
    header = request.headers.get("authorization", "")
    return digest(header[7:].strip()) if header.lower().startswith("bearer ") else None


def _strings(data: dict[str, Any], *names: str) -> list[str]:
    values = [data.get(name) for name in names]
    if not all(isinstance(value, str) for value in values):
        raise Invalid(_("Please fill in every field."), fields={n: "required" for n in names})
    return [str(value) for value in values]


# --- issuing (owners' committee, moderators) ----------------------------------------------------


async def issue_page(request: Request) -> Response:
    access = await access_hall(require_user(request), request.path_params["slug"])
    permissions.check_may_issue_resets(access)
    return render(
        request, "recovery/issue.html", {"hall": access.hall, "issued": None, "error": None, "login": ""}
    )


async def issue_submit(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    form = await read_form(request)
    login = str(form.get("login") or "")[:64]
    try:
        code, expires, target = await services.issue_reset(access, user, login)
    except DomainError as error:
        context = {"hall": access.hall, "issued": None, "error": error.message, "login": login}
        return render(request, "recovery/issue.html", context, status=error.status)
    url = reset_url(request, code.replace("-", ""))
    issued = {
        "code": code,
        "url": url,
        "expires_at": expires,
        "name": target.display_name,
        "login": target.login,
        "qr": qr_svg(url, _("QR code of the password reset link for {name}", name=target.display_name)),
    }
    # Shown once and never cached: the code is a key to the account until it is used.
    return render(
        request,
        "recovery/issue.html",
        {"hall": access.hall, "issued": issued, "error": None, "login": ""},
        headers={"cache-control": "no-store"},
    )


async def api_issue(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    code, expires, _target = await services.issue_reset(access, user, request.path_params["login"])
    body = {"code": code, "url": reset_url(request, code.replace("-", "")), "expires_at": expires.isoformat()}
    return json_response(body, status=201, headers={"cache-control": "no-store"})


# --- redeeming (anyone holding a code) ----------------------------------------------------------


async def reset_page(request: Request) -> Response:
    code = request.query_params.get("code", "")[:64]
    return render(request, "recovery/reset.html", {"code": code, "error": None})


async def reset_submit(request: Request) -> Response:
    form = await read_form(request)
    code = str(form.get("code") or "")[:64]
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    try:
        if password != again:
            raise Invalid(_("The two passwords differ."), fields={"password_again": "differs"})
        await services.redeem_reset(_passwords(request), code, password, client_ip(request.scope))
    except DomainError as error:
        return render(
            request,
            "recovery/reset.html",
            {"code": code, "error": error.message},
            status=error.status,
            headers=error.headers,
        )
    return redirect("/login?reset=1")


async def api_reset(request: Request) -> Response:
    code, password = _strings(await read_json(request), "code", "password")
    await services.redeem_reset(_passwords(request), code, password, client_ip(request.scope))
    return no_content()


# --- changing one's own password ------------------------------------------------------------------


async def password_page(request: Request) -> Response:
    require_user(request)
    done = request.query_params.get("done") == "1"
    return render(request, "recovery/password.html", {"error": None, "done": done})


async def password_submit(request: Request) -> Response:
    user = require_user(request)
    form = await read_form(request)
    current = str(form.get("current_password") or "")
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    try:
        if password != again:
            raise Invalid(_("The two passwords differ."), fields={"password_again": "differs"})
        await services.change_password(
            _passwords(request), user, current, password, _current_credential(request)
        )
    except DomainError as error:
        return render(
            request,
            "recovery/password.html",
            {"error": error.message, "done": False},
            status=error.status,
            headers=error.headers,
        )
    return redirect("/settings/password?done=1")


async def api_password(request: Request) -> Response:
    user = require_user(request)
    current, password = _strings(await read_json(request), "current_password", "password")
    await services.change_password(_passwords(request), user, current, password, _current_credential(request))
    return no_content()


routes: list[BaseRoute] = [
    Route("/halls/{slug}/password-resets", issue_page, methods=["GET"]),
    Route("/halls/{slug}/password-resets", issue_submit, methods=["POST"]),
    Route("/reset", reset_page, methods=["GET"]),
    Route("/reset", reset_submit, methods=["POST"]),
    Route("/settings/password", password_page, methods=["GET"]),
    Route("/settings/password", password_submit, methods=["POST"]),
    Route("/api/v1/halls/{slug}/members/{login}/password-reset", api_issue, methods=["POST"]),
    Route("/api/v1/auth/password-reset", api_reset, methods=["POST"]),
    Route("/api/v1/auth/password", api_password, methods=["POST"]),
]

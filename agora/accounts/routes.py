"""Sign-in, sign-out, API tokens, and the viewer's display preferences (language, text size)."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agora import i18n
from agora.accounts import devices, services
from agora.accounts.passwords import Passwords
from agora.errors import DomainError, Invalid
from agora.i18n import _
from agora.web.cookies import LANG_COOKIE, SESSION_COOKIE, TEXT_COOKIE, cookie_header
from agora.web.http import json_response, no_content, read_form, read_json, redirect, require_user, safe_next
from agora.web.middleware import client_ip
from agora.web.templating import render


def _passwords(request: Request) -> Passwords:
    return request.app.state.passwords


async def login_page(request: Request) -> Response:
    if request.state.user is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return render(
        request,
        "accounts/login.html",
        {"next": safe_next(request.query_params.get("next")), "error": None, "login": ""},
    )


def _device(request: Request, login: str) -> str | None:
    """The device id of this client's device cookie when it was issued for `login`."""
    secret = request.app.state.settings.secret_key
    return devices.device_for(secret, request.cookies.get(devices.COOKIE), login)


def _remember_device(request: Request, response: Response, login: str, known: str | None) -> None:
    """After a successful sign-in, a device cookie for this account (unless it has one already)."""
    if known is not None:
        return
    settings = request.app.state.settings
    value = devices.issue(settings.secret_key, login)
    response.headers.append(
        "set-cookie", cookie_header(devices.COOKIE, value, settings.secure_cookies, devices.MAX_AGE)
    )


async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    next_url = safe_next(str(form.get("next") or ""))
    login = str(form.get("login", ""))
    device = _device(request, login)
    try:
        user = await services.authenticate(
            _passwords(request),
            login,
            str(form.get("password", "")),
            client_ip(request.scope),
            device,
        )
    except DomainError as error:
        return render(
            request,
            "accounts/login.html",
            {"next": next_url, "error": error.message, "login": str(form.get("login", ""))[:64]},
            status=error.status,
            headers=error.headers,
        )
    if request.state.session_raw:
        await services.end_session(request.state.session_raw)
    raw = await services.start_session(user, client_ip(request.scope), request.headers.get("user-agent", ""))
    response = redirect(next_url)
    settings = request.app.state.settings
    response.headers.append("set-cookie", cookie_header(SESSION_COOKIE, raw, settings.secure_cookies))
    _remember_device(request, response, user.login, device)
    return response


async def logout(request: Request) -> Response:
    if request.state.session_raw:
        await services.end_session(request.state.session_raw)
    response = redirect("/login")
    response.headers.append("set-cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    return response


async def api_token_create(request: Request) -> Response:
    data = await read_json(request)
    login, password = data.get("login"), data.get("password")
    if not isinstance(login, str) or not isinstance(password, str):
        raise Invalid(
            _("login and password are required."), fields={"login": "required", "password": "required"}
        )
    device = _device(request, login)
    user = await services.authenticate(_passwords(request), login, password, client_ip(request.scope), device)
    settings = request.app.state.settings
    token, expires = await services.issue_token(user, timedelta(seconds=settings.token_seconds))
    response = json_response({"token": token, "expires_at": expires.isoformat()})
    _remember_device(request, response, user.login, device)
    return response


async def api_token_delete(request: Request) -> Response:
    require_user(request)
    raw = request.headers.get("authorization", "")[7:].strip()
    await services.revoke_token(raw)
    return no_content()


async def set_language(request: Request) -> Response:
    form = await read_form(request)
    locale = i18n.normalize(str(form.get("lang", ""))) or i18n.DEFAULT_LOCALE
    user = request.state.user
    if user is not None:
        user.locale = locale
        await user.save(update_fields=["locale"])
    response = redirect(safe_next(str(form.get("next") or "")))
    response.headers.append(
        "set-cookie", cookie_header(LANG_COOKIE, locale, request.app.state.settings.secure_cookies, 31536000)
    )
    return response


async def set_text_size(request: Request) -> Response:
    """Large text for elderly readers; kept on the account so it follows them to every device."""
    form = await read_form(request)
    large = form.get("size") == "large"
    user = request.state.user
    if user is not None:
        user.large_text = large
        await user.save(update_fields=["large_text"])
    response = redirect(safe_next(str(form.get("next") or "")))
    response.headers.append(
        "set-cookie",
        cookie_header(
            TEXT_COOKIE, "large" if large else "normal", request.app.state.settings.secure_cookies, 31536000
        ),
    )
    return response


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/settings/language", set_language, methods=["POST"]),
    Route("/settings/text-size", set_text_size, methods=["POST"]),
    Route("/api/v1/auth/token", api_token_create, methods=["POST"]),
    Route("/api/v1/auth/token", api_token_delete, methods=["DELETE"]),
]

"""The request pipeline every HTTP request goes through, in one ASGI middleware.

In order: request id and client address; language; who is asking (session cookie or bearer
token); body size limit; CSRF for unsafe requests; security headers on the way out.
Websockets only get the request meta and language here; `agora.live` authenticates them itself.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agora import i18n
from agora.accounts import services as accounts
from agora.errors import DomainError, Forbidden, Invalid, NotFound, TooLarge
from agora.i18n import _
from agora.web import serving
from agora.web.context import RequestMeta, reset_request_meta, set_request_meta
from agora.web.cookies import (
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    TEXT_COOKIE,
    clear_cookie_header,
    cookie_header,
    read_cookie,
)
from agora.web.csrf import check_csrf
from agora.web.errors import audit_refusal, render_error, server_error_response
from agora.web.staticfiles import style_source

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# The one inline stylesheet (agora.web.staticfiles.inline_style) is allowed by its hash, nothing else.
CSP = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {style_source()}; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def choose_locale(headers: Headers, query: str, user: Any) -> str:
    """The first language named by `?lang=`, the account, the language cookie, Accept-Language.
    Each source is read only when the ones before name none (this runs on every request and every
    socket's handshake); a query that cannot name `lang` (no "lang", nothing percent-encoded) is
    not parsed."""
    if "lang" in query or "%" in query:
        locale = i18n.normalize((parse_qs(query).get("lang") or [""])[0])
        if locale:
            return locale
    return (
        i18n.normalize(getattr(user, "locale", None))
        or i18n.normalize(read_cookie(headers, LANG_COOKIE))
        or i18n.from_accept_language(headers.get("accept-language"))
        or i18n.DEFAULT_LOCALE
    )


class AgoraMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id", "")[:32] or secrets.token_hex(8)
        meta_token = set_request_meta(RequestMeta(ip=client_ip(scope), request_id=request_id))
        state = scope.setdefault("state", {})
        state.update(user=None, session_raw=None, via=None, request_id=request_id)
        try:
            if scope["type"] == "websocket":
                state["locale"] = choose_locale(headers, scope.get("query_string", b"").decode(), None)
                with i18n.use_locale(state["locale"]):
                    await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send, settings, headers)
        finally:
            reset_request_meta(meta_token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, settings: Any, headers: Headers
    ) -> None:
        state = scope["state"]
        pre = read_cookie(headers, PRE_COOKIE)
        new_pre = None
        if not pre or len(pre) > 64:
            pre = new_pre = secrets.token_urlsafe(24)
        state["pre_seed"] = pre
        state["large_text"] = read_cookie(headers, TEXT_COOKIE) == "large"
        path: str = scope["path"]
        is_api = path.startswith("/api/")

        authorization = headers.get("authorization", "")
        session_raw = read_cookie(headers, SESSION_COOKIE)
        if authorization.lower().startswith("bearer "):
            user = await accounts.load_token(authorization[7:].strip())
            if user is not None:
                state.update(user=user, via="token")
        elif session_raw:
            loaded = await accounts.load_session(session_raw, accounts.SessionPolicy.of(settings))
            if loaded is not None:
                state.update(user=loaded[1], session_raw=session_raw, via="session", session=loaded[0])
            else:
                state["stale_session"] = True
        if state["user"] is not None and state["user"].large_text:
            state["large_text"] = True

        locale = choose_locale(headers, scope.get("query_string", b"").decode(), state["user"])
        state["locale"] = locale

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS:
                    if key.decode() not in out:
                        out.raw.append((key, value))
                out["x-request-id"] = request_id
                if "cache-control" not in out:
                    out["cache-control"] = "no-store" if state["user"] is not None else "no-cache"
                if "vary" not in out:
                    out["vary"] = "Cookie, Accept-Language, HX-Request"
                if new_pre:
                    out.append("set-cookie", cookie_header(PRE_COOKIE, new_pre, settings.secure_cookies))
                if state.get("stale_session"):
                    out.append("set-cookie", clear_cookie_header(SESSION_COOKIE))
            await send(message)

        request_id = state["request_id"]
        with i18n.use_locale(locale):
            try:
                _refuse_nul_in_url(scope)
                receive = await self._guard_body(scope, receive, headers, settings, is_api)
            except DomainError as error:
                await audit_refusal(Request(scope), error)
                await _error_response(scope, error, is_api)(scope, receive, send_with_headers)
                return
            started = False

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send_with_headers(message)

            try:
                await self.app(scope, receive, tracking_send)
            except Exception as exc:
                if started:
                    raise
                await server_error_response(Request(scope), exc)(scope, receive, send_with_headers)

    async def _guard_body(
        self, scope: Scope, receive: Receive, headers: Headers, settings: Any, is_api: bool
    ) -> Receive:
        """Enforce the size limit and CSRF, then hand the app a replay of the buffered body."""
        method = scope["method"]
        if method in SAFE_METHODS:
            return receive
        content_type = headers.get("content-type", "")
        limit = (
            settings.max_upload_bytes if content_type.startswith("multipart/") else settings.max_body_bytes
        )
        if scope["path"].endswith("/roll") or scope["path"].endswith("/roll/preview"):
            limit = settings.max_upload_bytes
        declared = headers.get("content-length")
        if declared and declared.isdecimal() and int(declared) > limit:
            raise TooLarge(_("The request is too large."))
        chunks: list[bytes] = []
        size = 0
        deadline = asyncio.get_running_loop().time() + serving.BODY_TIMEOUT
        while True:
            message = await _receive_within(receive, deadline)
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise TooLarge(_("The request is too large."))
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        state = scope["state"]
        if is_api:
            if state["via"] == "session" or (state["via"] is None and read_cookie(headers, SESSION_COOKIE)):
                # The API takes no cookie for unsafe methods: a cross-site form cannot drive it.
                raise Forbidden(_("The API needs a bearer token for this request."), code="token_required")
        elif state["via"] != "token":
            await check_csrf(scope, headers, content_type, body)

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


async def _receive_within(receive: Receive, deadline: float) -> Message:
    """The next body chunk, or 408 when the client pauses too long or the whole body takes too long."""
    loop = asyncio.get_running_loop()
    wait = min(serving.BODY_IDLE_TIMEOUT, deadline - loop.time())
    try:
        async with asyncio.timeout(max(0.0, wait)):
            return await receive()
    except TimeoutError:
        error = DomainError(_("The request body was sent too slowly."), code="request_timeout")
        error.status = 408
        error.headers["Connection"] = "close"
        raise error from None


def _refuse_nul_in_url(scope: Scope) -> None:
    """A NUL in the path or a query parameter never reaches a lookup (PostgreSQL's text cannot hold
    it, so it would be a 500 there): 404 for the path, 422 naming the parameter."""
    if "\x00" in scope["path"]:
        raise NotFound(_("Not found."))
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                name = key.replace("\x00", "\\0")[:64]
                raise Invalid(
                    _("{field} contains a NUL character, which is not allowed.", field=name),
                    code="invalid_text",
                    fields={name: "nul"},
                )


def _error_response(scope: Scope, error: DomainError, is_api: bool) -> Response:
    return render_error(Request(scope), error, force_json=is_api)


def json_dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

"""CSRF: every unsafe browser request carries a token bound to its session (or pre-session cookie).

Forms send it as the `csrf_token` field, htmx as the `X-CSRF-Token` header (from `<body
hx-headers>`). The API takes no cookie for unsafe methods at all (see `agora.web.middleware`), so
only the pages need the token.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Message, Scope

from agora.errors import Forbidden
from agora.i18n import _


def csrf_token_for(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms and htmx send back; bound to the session, or to the pre-session cookie."""
    seed = request.state.session_raw or request.state.pre_seed
    return csrf_token_for(request.app.state.settings.secret_key, seed)


async def submitted_token(scope: Scope, headers: Headers, content_type: str, body: bytes) -> str | None:
    """The token the request sent: the header, else the form field (urlencoded or multipart)."""
    submitted = headers.get("x-csrf-token")
    if submitted:
        return submitted
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token")
        return values[0] if values else None
    if not content_type.startswith("multipart/"):
        return None
    sent = False

    async def once() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, once).form()
        value = form.get("csrf_token")
        await form.close()
    except Exception:  # noqa: BLE001 — a malformed form is simply a missing token
        return None
    return value if isinstance(value, str) else None


async def check_csrf(scope: Scope, headers: Headers, content_type: str, body: bytes) -> None:
    """Forbidden unless the request sent the token of its session (or pre-session cookie)."""
    state = scope["state"]
    submitted = await submitted_token(scope, headers, content_type, body)
    seed = state["session_raw"] or state["pre_seed"]
    expected = csrf_token_for(scope["app"].state.settings.secret_key, seed)
    if not submitted or not hmac.compare_digest(submitted, expected):
        raise Forbidden(
            _("This form has expired or was not sent from agora. Please reload the page and try again."),
            code="csrf_failed",
        )

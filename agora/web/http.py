"""Small request/response helpers shared by every feature's thin route handlers."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from agora.accounts.models import User
from agora.errors import BadRequest, Invalid, NotAuthenticated, NotFound
from agora.i18n import _

MAX_ID = 2**31 - 1
"""The largest row id any table holds: ids are 32-bit integers on PostgreSQL (and in the OpenAPI schema)."""


def parse_id(value: Any) -> int | None:
    """A row id from a path, query or JSON value, or None when it cannot name a row.

    Range-checked here so that an id past the column's range is simply absent instead of reaching the
    database and failing there (schemathesis found 2**63 answering 500)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def path_id(request: Request, name: str = "id") -> int:
    """The id in the URL: 422 when it is not a number at all, 404 when no row can have it."""
    raw = str(request.path_params[name])
    if not raw.isascii() or not raw.isdigit():
        raise Invalid(_("The id is not valid."), fields={name: "invalid"})
    value = parse_id(raw)
    if value is None:
        raise NotFound(_("Not found."))
    return value


def current_user(request: Request) -> User | None:
    return request.state.user


def require_user(request: Request) -> User:
    user = request.state.user
    if user is None:
        raise NotAuthenticated(_("Please sign in first."))
    return user


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or a clear 400 for anything else."""
    body = await request.body()
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(_("The request body is not valid JSON."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."), code="malformed_json")
    return data


async def read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {key: value for key, value in form.multi_items() if key != "csrf_token"}


def string_field(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 10000) -> str:
    from agora.errors import Invalid

    value = data.get(name)
    if value is None or value == "":
        if required:
            raise Invalid(_("Please fill in {field}.", field=_(name)), fields={name: "required"})
        return ""
    if not isinstance(value, str):
        raise Invalid(_("{field} must be text.", field=_(name)), fields={name: "type"})
    if len(value) > max_length:
        raise Invalid(_("{field} is too long.", field=_(name)), fields={name: "too_long"})
    return value


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: forms work without JavaScript."""
    return RedirectResponse(url, status_code=303)


def safe_next(url: str | None, default: str = "/") -> str:
    """Only same-site relative paths may be redirect targets."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url

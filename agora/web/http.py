"""Small request/response helpers shared by every feature's thin route handlers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from agora import clock
from agora.accounts.models import User
from agora.errors import BadRequest, Invalid, NotAuthenticated, NotFound
from agora.i18n import _
from agora.web import inputs

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
    """The JSON object body, or a clear 400 for anything else (also nesting past
    `inputs.MAX_JSON_DEPTH`); a string that cannot be stored is a 422 naming its field."""
    body = await request.body()
    try:
        data = inputs.parse_json(body) if body else None
    except inputs.TooDeep as exc:
        raise BadRequest(
            _("The request body nests too deeply (at most {n} levels).", n=inputs.MAX_JSON_DEPTH),
            code="json_too_deep",
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(_("The request body is not valid JSON."), code="malformed_json") from exc
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."), code="malformed_json")
    check_text(data)
    return data


def check_text(data: Any) -> None:
    """422 naming the field when a string holds a NUL or a lone surrogate (before any database)."""
    found = inputs.find_bad_text(data)
    if found is None:
        return
    path, reason = found
    name = inputs.field_name(path)
    if reason == "nul":
        message = _("{field} contains a NUL character, which is not allowed.", field=name)
    else:
        message = _("{field} contains characters that are not valid Unicode text.", field=name)
    raise Invalid(message, code="invalid_text", fields={name: reason})


async def read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    data = {key: value for key, value in form.multi_items() if key != "csrf_token"}
    check_text({key: value for key, value in data.items() if isinstance(value, str)})
    return data


def check_time_bounds(value: datetime, field: str) -> None:
    """Invalid unless an aware time lies between 2000 and ten years from now. Compared before any
    conversion: a year-9999 time with a negative offset overflows astimezone()."""
    if inputs.time_out_of_bounds(value, clock.now()):
        raise Invalid(
            _("{field} must be between the year 2000 and ten years from now.", field=field),
            fields={field: "out_of_range"},
        )


def string_field(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 10000) -> str:
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

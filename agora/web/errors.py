"""Domain errors and HTTP exceptions to responses, in one place: JSON for the API, pages otherwise."""

from __future__ import annotations

import asyncio
import contextvars
import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from agora.audit.services import record
from agora.errors import DomainError, NotFound, Unavailable
from agora.i18n import _
from agora.storage.faults import is_storage_fault
from agora.web.templating import render

log = logging.getLogger("agora")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def render_error(request: Request, error: DomainError, *, force_json: bool = False) -> Response:
    if force_json or wants_json(request):
        return JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)
    if error.status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"error": error}, status=error.status, headers=error.headers)


async def audit_refusal(request: Request, error: DomainError) -> None:
    """One audit row for a 403 (a CSRF failure is its own action). Written in a task of its own, on a
    copy of the request's context, so a transaction the refusal came out of cannot take it down, and
    a failed write is logged, never turned into a 500."""
    if error.status != 403:
        return
    state = request.scope.get("state") or {}
    action = "security.csrf_failed" if error.code == "csrf_failed" else "security.forbidden"
    try:
        await asyncio.create_task(
            record(
                action,
                actor=state.get("user"),
                object_type="path",
                object_id=request.url.path[:64],
                method=request.method,
                reason=error.code,
            ),
            context=contextvars.copy_context(),
        )
    except Exception:  # noqa: BLE001 — the refusal stands whatever happens to its audit row
        log.warning("could not write the audit row of a refusal", exc_info=True)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    await audit_refusal(request, exc)
    return render_error(request, exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error: DomainError = NotFound(_("Not found."))
    elif exc.status_code == 405:
        error = DomainError(_("This method is not allowed here."), code="method_not_allowed")
        error.status = 405
    else:
        error = DomainError(str(exc.detail), code="http_error")
        error.status = exc.status_code
    await audit_refusal(request, error)
    return render_error(request, error)


def server_error_response(request: Request, exc: Exception) -> Response:
    """A 503 for storage faults (nothing was written: the transaction rolled back), else a 500."""
    if is_storage_fault(exc):
        log.error("storage failure: %s", exc)
        return render_error(request, Unavailable(_("Storage is unavailable right now; nothing was saved.")))
    log.exception("unhandled error", exc_info=exc)
    error = DomainError(_("Something went wrong on our side. Please try again."), code="server_error")
    error.status = 500
    return render_error(request, error)

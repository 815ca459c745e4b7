"""Domain errors raised by services; `agora.web.errors` maps them to HTTP in one place.

Each carries a machine `code` (the API contract) and a message already translated into the
request's language.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    default_code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        lines: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields
        self.lines = lines
        self.headers = headers or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        if self.lines is not None:
            body["lines"] = self.lines
        return {"error": body}


class BadRequest(DomainError):
    status = 400
    default_code = "bad_request"


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """Absent, or in a hall the caller does not belong to: the two are indistinguishable on purpose."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class Gone(DomainError):
    status = 410
    default_code = "gone"


class TooLarge(DomainError):
    status = 413
    default_code = "too_large"


class Invalid(DomainError):
    status = 422
    default_code = "invalid"


class Throttled(DomainError):
    status = 429
    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)


class Unavailable(DomainError):
    """Something the request needs cannot serve it right now (storage full or read-only, a worker
    process gone); nothing was written."""

    status = 503
    default_code = "unavailable"

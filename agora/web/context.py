"""Per-request facts (client address, request id) that services may need without a request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str = ""
    request_id: str = ""


_meta: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar(
    "agora_request_meta", default=RequestMeta()
)


def current_request_meta() -> RequestMeta:
    return _meta.get()


def set_request_meta(meta: RequestMeta) -> contextvars.Token[RequestMeta]:
    return _meta.set(meta)


def reset_request_meta(token: contextvars.Token[RequestMeta]) -> None:
    _meta.reset(token)

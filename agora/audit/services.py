"""`record` is the one function every privileged action and security event calls."""

from __future__ import annotations

import json
import logging
from typing import Any

from agora.audit.models import AuditEntry
from agora.web.context import current_request_meta

log = logging.getLogger("agora.audit")

_SECRET_KEYS = {"password", "token", "secret", "code", "invite", "session"}


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    """Never write a secret into the log, whatever a caller passes."""
    return {k: ("[redacted]" if any(s in k.lower() for s in _SECRET_KEYS) else v) for k, v in detail.items()}


async def record(
    action: str,
    *,
    actor: Any = None,
    object_type: str = "",
    object_id: object = "",
    hall_id: int | None = None,
    **detail: Any,
) -> AuditEntry:
    meta = current_request_meta()
    clean = _scrub(detail)
    entry = await AuditEntry.create(
        actor_id=getattr(actor, "id", None),
        actor_login=getattr(actor, "login", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        hall_id=hall_id,
        ip=meta.ip,
        request_id=meta.request_id,
        detail=clean,
    )
    log.info(
        json.dumps(
            {
                "action": action,
                "actor": entry.actor_login,
                "object": f"{object_type}:{object_id}",
                "hall": hall_id,
                "ip": meta.ip,
                "request_id": meta.request_id,
                "detail": clean,
            },
            ensure_ascii=False,
            default=str,
        )
    )
    return entry

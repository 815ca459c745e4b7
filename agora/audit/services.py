"""`record` is the one function every privileged action and security event calls.

Refused requests are security events too, but a flood of them must not grow the log without end:
past a budget, they are folded into one aggregate row per source (`agora.audit.refusals`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from agora.audit import refusals
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
) -> AuditEntry | None:
    """Write one row (and the same facts as one JSON line on the `agora.audit` logger).

    For a refusal past its budget, the row is its source's aggregate row, or None while that row is
    being written by another refusal.
    """
    meta = current_request_meta()
    clean = _scrub(detail)
    actor_login = getattr(actor, "login", "") or ""
    if action in refusals.REFUSALS and not refusals.admit(action, meta.ip, actor_login):
        return await refusals.fold(
            action,
            actor_id=getattr(actor, "id", None),
            actor_login=actor_login,
            object_type=object_type,
            object_id=str(object_id)[:64],
            ip=meta.ip,
            request_id=meta.request_id,
            reason=str(clean.get("reason") or clean.get("blocked") or ""),
        )
    entry = await AuditEntry.create(
        actor_id=getattr(actor, "id", None),
        actor_login=actor_login,
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

"""The audit entry a change to a proposal's works leaves (`implementation.<action>`), written in the
caller's transaction: the works are audited as their proposal, in its hall."""

from __future__ import annotations

from typing import Any

from agora.accounts.models import User
from agora.audit.services import record


async def audit(action: str, actor: User | None, proposal_id: int, hall_id: int, **detail: Any) -> None:
    """`actor=None` for an automatic step (a poll settled, works found stalled)."""
    await record(
        f"implementation.{action}",
        actor=actor,
        object_type="proposal",
        object_id=proposal_id,
        hall_id=hall_id,
        **detail,
    )

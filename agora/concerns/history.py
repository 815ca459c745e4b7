"""The traces a change to a concern leaves: a line of its history (what the concern's page shows)
and an entry in the audit log (what the committee can be held to), both in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora.accounts.models import User
from agora.audit.services import record
from agora.concerns.models import Concern, ConcernEvent


async def add_event(
    concern: Concern, action: str, status: str, at: datetime, by: User | None, note: str = ""
) -> None:
    """A line of the concern's history (`ConcernEvent`): `status` is the status after it, `by=None`
    an automatic step."""
    await ConcernEvent.create(concern=concern, action=action, status=status, at=at, by=by, note=note)


async def audit(action: str, concern: Concern, actor: User | None, **detail: Any) -> None:
    """The audit entry `concern.<action>` about this concern, in its compound's hall."""
    await record(
        f"concern.{action}",
        actor=actor,
        object_type="concern",
        object_id=concern.id,
        hall_id=concern.compound_id,  # type: ignore[attr-defined]
        **detail,
    )

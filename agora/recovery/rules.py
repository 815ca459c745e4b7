"""Who may reset whose password, and whether a reset code still works: pure rules over plain values."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

# A code is handed over in person or read out on the phone; a day is enough to use it.
CODE_LIFETIME = timedelta(hours=24)
ISSUERS = frozenset({"committee", "moderator", "admin"})
# Accounts that act for others: taking one over would let the issuer act as a colleague (certify,
# hide comments, enter paper ballots). Only a platform administrator resets these.
PRIVILEGED = frozenset({"committee", "moderator", "canvasser", "admin"})


def refusal(
    actor_roles: Collection[str], target_roles: Collection[str], *, target_is_admin: bool, same_person: bool
) -> str | None:
    """None when the actor may issue a reset code for the target in this hall, else the reason:
    `not_issuer` (the actor is neither committee nor moderator), `self` (use the change-password
    page), `not_member` (the target is not in the hall), `privileged` (the target acts for others)."""
    actor, target = set(actor_roles), set(target_roles)
    if not actor & ISSUERS:
        return "not_issuer"
    if same_person:
        return "self"
    if not target:
        return "not_member"
    if target_is_admin or ("admin" not in actor and target & PRIVILEGED):
        return "privileged"
    return None


def usable(
    now: datetime, expires_at: datetime, used_at: datetime | None, cancelled_at: datetime | None
) -> bool:
    """A code works once, before it expires, unless a newer code replaced it."""
    return used_at is None and cancelled_at is None and now < expires_at

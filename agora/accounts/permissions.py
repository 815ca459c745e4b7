"""Who may use the site's own pages, before any hall is involved: pure predicates over the caller.

- anyone (signed in or not) reads the public pages, signs in, joins with an invitation, changes the
  language and follows a concern entered on their behalf with its code;
- a signed-in account reads its inbox and notifications and keeps its own password, contact details
  and reminders (the routes act on the caller's own account: nobody else's is named in them).
"""

from __future__ import annotations

from agora.accounts.models import User


def anyone(user: User | None) -> bool:
    return True


def signed_in(user: User | None) -> bool:
    return user is not None

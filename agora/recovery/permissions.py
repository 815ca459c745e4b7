"""Who may issue a password reset code in a hall: the predicate the routes and the authorization
matrix read, and the refusals (the rule over the target's roles is `rules.refusal`, pure).

- the owners' committee and the hall's moderators (and administrators) issue codes for members;
- nobody issues one for themselves (the password page changes one's own password);
- an account that acts for others (committee, moderator, canvasser) only an administrator resets.
"""

from __future__ import annotations

from agora.errors import Forbidden
from agora.i18n import _
from agora.recovery import rules
from agora.rooms.access import HallAccess


def may_issue_resets(access: HallAccess) -> bool:
    return bool(access.roles & rules.ISSUERS)


def _not_issuer() -> Forbidden:
    return Forbidden(
        _("Only the owners' committee and moderators of this hall can reset a password."), code="not_allowed"
    )


def check_may_issue_resets(access: HallAccess) -> None:
    if not may_issue_resets(access):
        raise _not_issuer()


def check_refusal(reason: str | None) -> None:
    """Forbidden for a `rules.refusal` reason about who acts on whom (`not_member` is the caller's 404)."""
    if reason == "not_issuer":
        raise _not_issuer()
    if reason == "self":
        raise Forbidden(_("Change your own password on the password page."), code="own_account")
    if reason == "privileged":
        raise Forbidden(
            _("This account acts for others in the hall: only a platform administrator can reset it."),
            code="privileged_account",
        )

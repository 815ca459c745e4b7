"""Who may do what with a concern: pure predicates over `Who`, read by the services and by the
authorization matrix (`agora.security.authz_table`).

- Every member of the compound may raise a concern or a wish, and sees the public ones.
- A concern raised "only to the moderators" is seen by the moderators (the Party branch of the
  compound, or of its building), by whoever raised it and by the canvasser who entered it.
- Canvassers (and moderators) may enter a concern on behalf of a named resident.
- Moderators triage, change the status, merge duplicates and reply officially; the owners' committee
  may reply officially too.
- Only the submitter gives feedback (回访), once the concern is resolved. A resident entered on behalf
  has no account: they follow it, and answer the follow-up, with the code they were given.
- The submitter may add photos while the concern is still `received`; moderators at any time.
- The names of who raised a concern are shown only to those who may see private ones, and to
  the submitter: residents raising a worry about a neighbour or the property company are not
  named to the whole compound.
"""

from __future__ import annotations

from dataclasses import dataclass

from agora.errors import Forbidden
from agora.i18n import _


@dataclass(frozen=True)
class Who:
    is_member: bool = False
    is_moderator: bool = False  # of the compound, or of the concern's building
    is_committee: bool = False
    is_canvasser: bool = False
    is_submitter: bool = False  # the account that raised it (not a canvasser who entered it)
    is_enterer: bool = False  # the canvasser who entered it on someone's behalf


def can_see(visibility: str, who: Who) -> bool:
    if visibility == "public":
        return who.is_member or who.is_moderator
    return who.is_moderator or who.is_submitter or who.is_enterer


def can_raise(who: Who) -> bool:
    return who.is_member


def can_raise_on_behalf(who: Who) -> bool:
    return who.is_canvasser or who.is_moderator


def can_triage(who: Who) -> bool:
    return who.is_moderator


def can_change_status(who: Who) -> bool:
    return who.is_moderator


def can_merge(who: Who) -> bool:
    return who.is_moderator


def can_manage_categories(who: Who) -> bool:
    return who.is_moderator


def reply_role(who: Who) -> str | None:
    """Under which heading an official reply appears: the Party branch first, else the committee."""
    if who.is_moderator:
        return "party"
    if who.is_committee:
        return "committee"
    return None


def can_reply(who: Who) -> bool:
    return reply_role(who) is not None


def can_give_feedback(who: Who) -> bool:
    return who.is_submitter


def can_add_photo(status: str, who: Who) -> bool:
    if who.is_moderator:
        return True
    return (who.is_submitter or who.is_enterer) and status == "received"


def can_see_names(who: Who) -> bool:
    return who.is_moderator or who.is_submitter or who.is_enterer


# --- checks: the refusal of each, worded as residents read it -------------------------------------


def check_can_raise(who: Who, *, on_behalf: bool = False) -> None:
    if not can_raise(who):
        raise Forbidden(_("Only members of this compound can raise concerns."))
    if on_behalf and not can_raise_on_behalf(who):
        raise Forbidden(_("Only canvassers and moderators can enter a concern on behalf of a resident."))


def check_can_triage(who: Who) -> None:
    if not can_triage(who):
        raise Forbidden(_("Only the moderators can triage concerns."))


def check_can_change_status(who: Who) -> None:
    if not can_change_status(who):
        raise Forbidden(_("Only the moderators can change a concern's status."))


def check_can_merge(who: Who) -> None:
    if not can_merge(who):
        raise Forbidden(_("Only the moderators can merge concerns."))


def check_can_manage_categories(who: Who) -> None:
    if not can_manage_categories(who):
        raise Forbidden(_("Only the moderators can add categories."))


def check_reply_role(who: Who) -> str:
    """The heading an official reply goes under, or Forbidden."""
    role = reply_role(who)
    if role is None:
        raise Forbidden(_("Only the Party branch and the owners' committee can reply officially."))
    return role


def check_can_give_feedback(who: Who) -> None:
    if not can_give_feedback(who):
        raise Forbidden(_("Only whoever raised the concern can say whether they are satisfied."))


def check_can_add_photo(status: str, who: Who) -> None:
    if not can_add_photo(status, who):
        raise Forbidden(
            _("Only whoever raised the concern (while it is received) or a moderator can add photos.")
        )

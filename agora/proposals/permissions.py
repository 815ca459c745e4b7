"""Who may do what with a proposal and its discussion: pure predicates over the caller's access
(`may_*`), and the checks (`check_*`) that raise the one Forbidden each refusal has. The services call
the checks; `agora.security.authz_table` maps the matrix's roles through the predicates.

- every member of the hall drafts, seconds, comments and reports a comment;
- the hall's moderators (the Party branch, and administrators) hide, restore and dismiss reports,
  lock and unlock a discussion, and add photos at any time;
- the author edits and deletes their own comment (a moderator cannot change a resident's words),
  and adds photos while the proposal is a draft or in consultation;
- the Party branch, else the owners' committee, answers officially, with their own words;
- the owners' committee extends an open vote;
- the Party branch or the owners' committee lists the units a maintenance-fund spend charges;
- at a residents' meeting, the Party branch (moderators) enters a resident present in the room, with a
  witness (residents on the meeting's roll attend and vote for themselves: `agora.proposals.meeting`).
"""

from __future__ import annotations

from agora.errors import Forbidden
from agora.i18n import _
from agora.rooms.access import HallAccess

PHOTO_AUTHOR_STATES = ("draft", "consultation")


# --- predicates -----------------------------------------------------------------------------------


def may_read(access: HallAccess) -> bool:
    """The proposals, their discussion, results and records: every member of the hall."""
    return access.has("member")


def may_draft(access: HallAccess) -> bool:
    return access.has("member")


def may_second(access: HallAccess) -> bool:
    return access.has("member")


def may_comment(access: HallAccess) -> bool:
    return access.has("member")


def may_report(access: HallAccess) -> bool:
    return access.has("member")


def may_moderate(access: HallAccess) -> bool:
    """Hide, restore, dismiss reports, read the queue; lock and unlock a discussion."""
    return access.is_moderator


def may_extend(access: HallAccess) -> bool:
    """The owners' committee itself: an administrator is not the committee."""
    return "committee" in access.roles


def may_set_charged_units(access: HallAccess) -> bool:
    """List the units a maintenance-fund spend charges (its electorate): the Party branch or the committee."""
    return access.is_moderator or access.is_committee


def may_enter_in_room(access: HallAccess) -> bool:
    """Record a resident present at a residents' meeting, or their vote, with a witness."""
    return access.is_moderator


def official_role(access: HallAccess) -> str | None:
    """Who an official answer speaks for: the Party branch (moderators) or the owners' committee."""
    if access.is_moderator:
        return "party"
    if access.is_committee:
        return "committee"
    return None


def may_answer_officially(access: HallAccess) -> bool:
    return official_role(access) is not None


def may_change_comment(author_id: int, actor_id: int) -> bool:
    """Edit or delete: the author only."""
    return author_id == actor_id


def may_add_photo(access: HallAccess, *, is_author: bool, state: str) -> bool:
    return may_moderate(access) or (is_author and state in PHOTO_AUTHOR_STATES)


# --- checks: the refusal of each, worded as residents read it -------------------------------------


def check_may_draft(access: HallAccess) -> None:
    if not may_draft(access):
        raise Forbidden(_("Only members of this hall can make proposals."))


def check_may_second(access: HallAccess) -> None:
    if not may_second(access):
        raise Forbidden(_("Only members of this hall can second proposals."))


def check_may_comment(access: HallAccess) -> None:
    if not may_comment(access):
        raise Forbidden(_("Only members of this hall can comment."))


def check_may_report(access: HallAccess) -> None:
    if not may_report(access):
        raise Forbidden(_("Only members of this hall can report comments."))


def check_may_moderate(access: HallAccess) -> None:
    if not may_moderate(access):
        raise Forbidden(_("Only the hall's moderators can do this."))


def check_may_lock(access: HallAccess) -> None:
    if not may_moderate(access):
        raise Forbidden(_("Only the hall's moderators can lock a discussion."))


def check_may_extend(access: HallAccess) -> None:
    if not may_extend(access):
        raise Forbidden(_("Only the owners' committee extends a vote."))


def check_may_set_charged_units(access: HallAccess) -> None:
    if not may_set_charged_units(access):
        raise Forbidden(
            _("Only the Party branch or the owners' committee lists the units charged by a spend."),
            code="not_committee",
        )


def not_on_meeting_roll() -> Forbidden:
    """The caller attends or votes for themselves, and is not on the meeting's frozen roll."""
    return Forbidden(
        _("You are not on this meeting's roll of residents (frozen when it opened)."), code="not_on_roll"
    )


def check_may_enter_in_room(access: HallAccess) -> None:
    if not may_enter_in_room(access):
        raise Forbidden(_("Only the Party branch (the moderators) enters residents present in the room."))


def check_official_role(access: HallAccess) -> str:
    """The heading an official answer goes under, or Forbidden."""
    role = official_role(access)
    if role is None:
        raise Forbidden(_("Only the Party branch or the owners' committee can answer officially."))
    return role


def check_may_pin_official(access: HallAccess, author_id: int, actor_id: int) -> None:
    if not may_answer_officially(access) or author_id != actor_id:
        raise Forbidden(
            _("Only the Party branch or the owners' committee can answer officially, with their own words.")
        )


def check_may_edit_comment(author_id: int, actor_id: int) -> None:
    if not may_change_comment(author_id, actor_id):
        raise Forbidden(_("Only the author can edit a comment."))


def check_may_delete_comment(author_id: int, actor_id: int) -> None:
    if not may_change_comment(author_id, actor_id):
        raise Forbidden(_("Only the author can delete a comment."))


def check_may_add_photo(access: HallAccess, *, is_author: bool, state: str) -> None:
    if not may_add_photo(access, is_author=is_author, state=state):
        raise Forbidden(
            _(
                "Only the author (while the proposal is a draft or in consultation)"
                " or a moderator can add photos."
            )
        )

"""Who may do what with a vote, its record and its consents: pure predicates over the caller's access
(`may_*`), the checks (`check_*`) that raise the one refusal each has, and `proposal_for`, the loader
that reads the proposal through the caller's access and checks in one step (Helios' `election_admin`).
The services call them; `agora.security.authz_table` maps the matrix's roles through the predicates.

- on a consultation every member account votes (owners and tenants too); on an owners' matter only
  an owner on the roll frozen when voting opened (`electorate` reads the roll, `no_vote` refuses);
- the compound's canvassers record paper ballots and deliveries, and only the canvasser who entered
  a paper ballot undoes it;
- the owners' committee (and the Party branch) see the turnout per building while voting;
- members of the owners' committee itself certify the record, post the final one and see who
  consented (a platform administrator is not the owners' committee: api.md "Procedure"); the
  committee, or an administrator standing in, corrects a record;
- owners of the vote's scope object to the preliminary record;
- an owner answers for themselves when their consent is asked; canvassers and the committee enter a
  consent with a witness.
"""

from __future__ import annotations

from collections.abc import Callable

from agora.accounts.models import User
from agora.errors import Forbidden
from agora.i18n import _
from agora.proposals.models import Proposal
from agora.proposals.timeline import access_proposal
from agora.rooms.access import HallAccess

ENTER_CONSENT = frozenset({"canvasser", "committee"})


# --- predicates -----------------------------------------------------------------------------------


def holds_units(access: HallAccess) -> bool:
    """An owner bound to the roll (not an administrator standing in): casts on an owners' matter,
    reads the named ballots and objects to a record. Which ballot, and whether the unit is within the
    vote's scope, the roll frozen when voting opened decides (`electorate`, `standing`)."""
    return "owner" in access.roles


def may_open_consents_page(access: HallAccess) -> bool:
    """An owner (whose consent the proposal may ask), or whoever enters a consent with a witness."""
    return holds_units(access) or may_enter_consent(access)


def may_vote_in_consultation(access: HallAccess) -> bool:
    return access.has("member", "owner", "tenant")


def may_enter_paper(access: HallAccess) -> bool:
    """Paper and proxy ballots, deliveries of the voting papers, undoing a paper entry."""
    return access.has("canvasser")


def may_undo_paper_entry(canvasser_id: int, user_id: int) -> bool:
    return canvasser_id == user_id


def may_see_turnout(access: HallAccess) -> bool:
    return access.is_committee or access.is_moderator


def may_certify(access: HallAccess) -> bool:
    return "committee" in access.roles


def may_finalize(access: HallAccess) -> bool:
    return "committee" in access.roles


def may_correct(access: HallAccess) -> bool:
    return access.is_committee


def may_see_consents(access: HallAccess) -> bool:
    return "committee" in access.roles


def may_enter_consent(access: HallAccess) -> bool:
    """For an owner, with a witness (not an administrator: the witness is the compound's own)."""
    return bool(access.roles & ENTER_CONSENT)


# --- checks: the refusal of each, worded as residents read it -------------------------------------


def no_vote() -> Forbidden:
    """An owners' matter, and the caller is not on the roll frozen when voting opened."""
    return Forbidden(
        _(
            "You have no vote on this matter: only the owners of its scope (the hall, the entrance or the "
            "units charged by the spend) on the roll frozen when voting opened vote."
        ),
        code="no_vote",
    )


def check_may_vote_in_consultation(access: HallAccess) -> None:
    if not may_vote_in_consultation(access):
        raise Forbidden(_("You have no vote on this matter."), code="no_vote")


def check_may_enter_paper(access: HallAccess) -> None:
    if not may_enter_paper(access):
        raise Forbidden(_("Only the compound's canvassers record paper ballots and deliveries."))


def check_may_undo_paper_entry(canvasser_id: int, user_id: int) -> None:
    if not may_undo_paper_entry(canvasser_id, user_id):
        raise Forbidden(_("Only the canvasser who entered a paper ballot can undo it."))


def check_may_see_turnout(access: HallAccess) -> None:
    if not may_see_turnout(access):
        raise Forbidden(_("Only the owners' committee sees turnout per building."))


def check_may_certify(access: HallAccess) -> None:
    if not may_certify(access):
        raise Forbidden(
            _(
                "Only members of the owners' committee certify resolution records "
                "(a platform administrator is not the owners' committee)."
            )
        )


def check_may_finalize(access: HallAccess) -> None:
    if not may_finalize(access):
        raise Forbidden(_("Only members of the owners' committee post the final record."))


def check_may_correct(access: HallAccess) -> None:
    if not may_correct(access):
        raise Forbidden(_("Only the owners' committee corrects resolution records."))


def not_an_owner() -> Forbidden:
    """Objecting to a record: the caller holds no unit within the vote's scope."""
    return Forbidden(
        _("Only owners within the scope of this vote may object to its record."), code="not_an_owner"
    )


def check_may_see_consents(access: HallAccess) -> None:
    if not may_see_consents(access):
        raise Forbidden(_("Only the owners' committee sees who consented."))


def check_may_enter_consent(access: HallAccess) -> None:
    if not may_enter_consent(access):
        raise Forbidden(_("Only canvassers and the owners' committee enter a consent with a witness."))


def not_listed() -> Forbidden:
    """The caller's consent is not asked on this proposal (and they may not enter one)."""
    return Forbidden(_("Your consent is not asked on this proposal."), code="not_listed")


# --- the loader -------------------------------------------------------------------------------------


async def proposal_for(
    user: User | None, proposal_id: int, check: Callable[[HallAccess], None]
) -> tuple[Proposal, HallAccess]:
    """The proposal and the caller's access to its hall (NotFound if absent or in a hall not theirs),
    once `check` let the caller through (Forbidden otherwise): who may act, before any state."""
    proposal, access = await access_proposal(user, proposal_id)
    check(access)
    return proposal, access

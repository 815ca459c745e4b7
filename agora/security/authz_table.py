"""Who may call what: every route and method of the router names the permission that decides it, and
the roles allowed to use it are derived from that permission's predicate (`agora.<feature>.permissions`).

`tests/security/test_authz_matrix.py` enumerates the router and fails on any route missing here (or
naming no permission), then calls every route as every role, on objects of the caller's own compound
and of another compound, and expects what the predicates allow. `test_authz_matrix_derived.py` spells
out who each permission allows, so changing a predicate shows up there as a change of the matrix.

Roles (as the tests create them): anonymous; resident (a hall "member" by invite); tenant; owner;
coowner (one of two owners of a unit); moderator; committee; canvasser; admin; staff (community staff,
社区/街道, appointed in the compound's community: no role in the compound itself). `CALLERS` says what
each holds in its own compound, as the access functions derive it (`agora.rooms.access`).

Rules for every row unless it says otherwise:
- objects of another compound are reported absent: 404 for everyone but an administrator;
- anonymous callers get 401 (API) or a redirect to /login (pages) unless the row's permission lets
  anyone in;
- a role the permission does not allow is refused (403, or 404 where the object is hidden from it)
  and changes nothing;
- `self_only`: the route acts on the caller's own account or objects (author-only edits, the caller's
  own ballot), so the matrix only checks the anonymous and other-compound rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from agora.accounts import permissions as accounts
from agora.accounts.models import User
from agora.ballots import permissions as ballots
from agora.concerns import permissions as concerns
from agora.concerns.access import Viewer
from agora.implementation import permissions as implementation
from agora.proposals import permissions as proposals
from agora.recovery import permissions as recovery
from agora.rooms import permissions as rooms
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall

ANONYMOUS = "anonymous"
ROLES = (
    "anonymous",
    "resident",
    "tenant",
    "owner",
    "coowner",
    "moderator",
    "committee",
    "canvasser",
    "admin",
    "staff",
)


@dataclass(frozen=True)
class Caller:
    """One role of the matrix as the permissions see it, in its own compound."""

    user: User | None
    access: HallAccess | None  # `access_hall`: members of the compound only
    reader: HallAccess | None  # `access_to_read`: members, and community staff of its community


def _caller(roles: set[str] | None, *, is_admin: bool = False, reads_as: set[str] | None = None) -> Caller:
    if roles is None and reads_as is None:
        return Caller(None, None, None)
    user = cast(User, SimpleNamespace(id=1, is_admin=is_admin))
    compound = cast(Hall, SimpleNamespace(id=1, kind="compound"))
    access = HallAccess(compound, frozenset(roles)) if roles is not None else None
    reader = HallAccess(compound, frozenset(reads_as if reads_as is not None else roles or ()))
    return Caller(user, access, reader)


# What each role holds in its own compound hall (`agora.rooms.access.roles_by_hall`): every signed-in
# role is a "member" there except community staff, who only read its figures and lists ("staff").
CALLERS: dict[str, Caller] = {
    "anonymous": _caller(None),
    "resident": _caller({"member"}),
    "tenant": _caller({"tenant", "member"}),
    "owner": _caller({"owner", "member"}),
    "coowner": _caller({"owner", "member"}),
    "moderator": _caller({"moderator", "member"}),
    "committee": _caller({"committee", "member"}),
    "canvasser": _caller({"canvasser", "member"}),
    "admin": _caller({"admin", "member"}, is_admin=True),
    "staff": _caller(None, reads_as={"staff"}),
}


@dataclass(frozen=True)
class Permission:
    """A predicate of a feature's `permissions` module, and how the matrix's caller reaches it."""

    predicate: Callable[..., bool]
    through: str  # "site" (the user), "hall"/"reading" (a HallAccess), "concern"/"concern_reading" (a Who)
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.predicate.__module__}.{self.predicate.__name__}"

    def holds(self, caller: Caller) -> bool:
        kw = dict(self.kwargs)
        if self.through == "site":
            return self.predicate(caller.user, *self.args, **kw)
        access = caller.reader if self.through in ("reading", "concern_reading") else caller.access
        if access is None:
            return False  # the hall is absent for this caller
        if self.through in ("concern", "concern_reading"):
            viewer = Viewer(cast(User, caller.user), access.hall, access.roles, (), ())
            return self.predicate(*self.args, viewer.who(), **kw)
        return self.predicate(access, *self.args, **kw)


def site(predicate: Callable[..., bool]) -> Permission:
    return Permission(predicate, "site")


def hall(predicate: Callable[..., bool], *args: Any, **kwargs: Any) -> Permission:
    """A predicate over the caller's access to the object's hall (the matrix's caller is not the
    author, the lead or the submitter: `args` and `kwargs` say so where the predicate asks)."""
    return Permission(predicate, "hall", args, tuple(kwargs.items()))


def reading(predicate: Callable[..., bool]) -> Permission:
    """As `hall`, through `access_to_read` (the figures and lists community staff read too)."""
    return Permission(predicate, "reading")


def concern(predicate: Callable[..., bool], *args: Any) -> Permission:
    """A concerns predicate over `Who` (`agora.concerns.access.Viewer.who`), of a concern the caller
    neither raised nor entered."""
    return Permission(predicate, "concern", args)


def concern_reading(predicate: Callable[..., bool], *args: Any) -> Permission:
    return Permission(predicate, "concern_reading", args)


@dataclass(frozen=True)
class Rule:
    permission: Permission
    scoped: bool = True  # the path names a hall, proposal or comment: another compound's is a 404
    self_only: bool = False
    note: str = ""
    allow: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        allowed = frozenset(role for role in ROLES if self.permission.holds(CALLERS[role]))
        object.__setattr__(self, "allow", allowed)


def rule(permission: Permission, **kw: Any) -> Rule:
    return Rule(permission, **kw)


# The permissions many rows name, spelled once.
ANYONE = site(accounts.anyone)
SIGNED_IN = site(accounts.signed_in)
# The matrix's caller is neither the author of the proposal nor the named lead of the work.
ADD_PROPOSAL_PHOTO = hall(proposals.may_add_photo, is_author=False, state="voting")
REPORT_ON_WORK = hall(implementation.can_report, 0, -1)
# A public concern (`agora.concerns.permissions.can_see`), raised by someone else, still received.
SEE_CONCERNS = concern(concerns.can_see, "public")
READ_CONCERNS = concern_reading(concerns.can_see, "public")
ADD_CONCERN_PHOTO = concern(concerns.can_add_photo, "received")

UNSCOPED = {"scoped": False}
OWN = {"scoped": False, "self_only": True}  # the caller's own account

LEAD = "and the work's named lead"
MEETING_NOTE = "no such page (404) on a proposal that is not a residents' meeting"
MEETING_ENTRY = (
    "a resident on the meeting's frozen roll, for themselves (403 otherwise); with a witness and a"
    " resident: the Party branch (moderators) only"
)
TABLE: dict[tuple[str, str], Rule] = {
    # --- site ---------------------------------------------------------------------------------
    ("GET", "/"): rule(ANYONE, **UNSCOPED),
    ("GET", "/healthz"): rule(ANYONE, **UNSCOPED),
    ("GET", "/api/openapi.json"): rule(ANYONE, **UNSCOPED),
    ("GET", "/static/{digest}/{path:path}"): rule(ANYONE, **UNSCOPED),
    ("GET", "/login"): rule(ANYONE, **UNSCOPED),
    ("POST", "/login"): rule(ANYONE, scoped=False, self_only=True, note="the credentials decide"),
    ("POST", "/logout"): rule(ANYONE, **UNSCOPED),
    ("POST", "/settings/language"): rule(ANYONE, **UNSCOPED),
    ("POST", "/settings/text-size"): rule(ANYONE, **UNSCOPED),
    ("GET", "/join"): rule(ANYONE, **UNSCOPED),
    ("POST", "/join"): rule(ANYONE, **UNSCOPED),
    ("POST", "/api/v1/auth/token"): rule(ANYONE, scoped=False, self_only=True, note="the credentials decide"),
    ("DELETE", "/api/v1/auth/token"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/api/v1/auth/register"): rule(ANYONE, **UNSCOPED),
    ("GET", "/inbox"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/inbox/read"): rule(SIGNED_IN, **UNSCOPED),
    ("GET", "/inbox/badge"): rule(SIGNED_IN, **UNSCOPED),
    # --- the caller's own account: password, contact details, reminders (agora.recovery, agora.notify)
    ("GET", "/settings/password"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/settings/password"): rule(SIGNED_IN, **OWN, note="the current password"),
    ("POST", "/api/v1/auth/password"): rule(SIGNED_IN, **OWN, note="the current password"),
    ("GET", "/reset"): rule(ANYONE, **UNSCOPED),
    ("POST", "/reset"): rule(ANYONE, scoped=False, self_only=True, note="the reset code decides"),
    ("POST", "/api/v1/auth/password-reset"): rule(ANYONE, **OWN, note="the reset code"),
    ("GET", "/api/v1/me/contact"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("PUT", "/api/v1/me/contact"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/settings/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/settings/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/notifications/read"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/api/v1/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/api/v1/notifications/read"): rule(SIGNED_IN, scoped=False, self_only=True),
    # --- halls and the roll ---------------------------------------------------------------------
    ("POST", "/api/v1/halls"): rule(site(rooms.can_create_halls), **UNSCOPED),
    ("GET", "/api/v1/halls"): rule(SIGNED_IN, **UNSCOPED),
    ("GET", "/halls"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/halls"): rule(site(rooms.can_create_halls), **UNSCOPED),
    ("GET", "/api/v1/halls/{slug}"): rule(hall(rooms.is_member)),
    ("GET", "/halls/{slug}"): rule(hall(rooms.is_member)),
    ("PUT", "/api/v1/halls/{slug}/roll"): rule(hall(rooms.can_manage_roll)),
    ("GET", "/api/v1/halls/{slug}/roll.csv"): rule(hall(rooms.can_manage_roll)),
    ("GET", "/halls/{slug}/roll"): rule(hall(rooms.can_manage_roll)),
    ("POST", "/halls/{slug}/roll"): rule(hall(rooms.can_manage_roll)),
    ("POST", "/halls/{slug}/roll/preview"): rule(hall(rooms.can_manage_roll)),
    ("GET", "/halls/{slug}/roll/template.csv"): rule(hall(rooms.can_manage_roll)),
    ("POST", "/api/v1/halls/{slug}/invites"): rule(hall(rooms.can_invite)),
    ("GET", "/halls/{slug}/invites"): rule(hall(rooms.can_invite)),
    ("POST", "/halls/{slug}/invites"): rule(hall(rooms.can_invite)),
    ("POST", "/halls/{slug}/invites/slips"): rule(hall(rooms.can_manage_roll)),
    ("PUT", "/api/v1/halls/{slug}/members/{login}/roles"): rule(hall(rooms.can_set_roles)),
    ("GET", "/halls/{slug}/members"): rule(hall(rooms.can_set_roles)),
    ("POST", "/halls/{slug}/members"): rule(hall(rooms.can_set_roles)),
    ("GET", "/api/v1/halls/{slug}/rules"): rule(hall(rooms.is_member)),
    ("PUT", "/api/v1/halls/{slug}/rules"): rule(hall(rooms.can_edit_rules)),
    ("GET", "/halls/{slug}/rules"): rule(hall(rooms.is_member)),
    # Reset codes: the committee and moderators for plain members; an account that acts for others
    # (committee, moderator, canvasser) only by an administrator (agora.recovery.rules).
    ("GET", "/halls/{slug}/password-resets"): rule(hall(recovery.may_issue_resets)),
    ("POST", "/halls/{slug}/password-resets"): rule(
        hall(recovery.may_issue_resets), note="the member's own roles decide who may"
    ),
    ("POST", "/api/v1/halls/{slug}/members/{login}/password-reset"): rule(
        hall(recovery.may_issue_resets), note="the member's own roles decide who may"
    ),
    ("POST", "/halls/{slug}/rules"): rule(hall(rooms.can_edit_rules)),
    # --- proposals and discussion ---------------------------------------------------------------
    ("GET", "/api/v1/halls/{slug}/proposals"): rule(hall(proposals.may_read)),
    ("POST", "/api/v1/halls/{slug}/proposals"): rule(hall(proposals.may_draft)),
    ("GET", "/halls/{slug}/proposals"): rule(hall(proposals.may_read)),
    ("POST", "/halls/{slug}/proposals"): rule(hall(proposals.may_draft)),
    ("GET", "/halls/{slug}/proposals/new"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/halls/{slug}/moderation-log"): rule(hall(proposals.may_read)),
    ("GET", "/halls/{slug}/moderation"): rule(hall(proposals.may_moderate)),
    ("GET", "/halls/{slug}/moderation/log"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/halls/{slug}/search"): rule(hall(proposals.may_read)),
    ("GET", "/halls/{slug}/search"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/proposals/{id}"): rule(hall(proposals.may_read)),
    ("GET", "/proposals/{id}"): rule(hall(proposals.may_read)),
    ("GET", "/proposals/{id}/share"): rule(hall(proposals.may_read)),
    ("POST", "/api/v1/proposals/{id}/transition"): rule(
        hall(proposals.may_read), note="the lifecycle decides (409)"
    ),
    ("POST", "/proposals/{id}/transition"): rule(
        hall(proposals.may_read), note="the lifecycle decides (409)"
    ),
    ("POST", "/api/v1/proposals/{id}/extend"): rule(hall(proposals.may_extend)),
    ("POST", "/proposals/{id}/extend"): rule(hall(proposals.may_extend)),
    # A maintenance-fund spend's charged units: the Party branch or the committee (409 from the notice on).
    ("PUT", "/api/v1/proposals/{id}/charged-units"): rule(hall(proposals.may_set_charged_units)),
    ("GET", "/proposals/{id}/charged-units"): rule(hall(proposals.may_set_charged_units)),
    ("POST", "/proposals/{id}/charged-units"): rule(hall(proposals.may_set_charged_units)),
    ("POST", "/api/v1/proposals/{id}/second"): rule(hall(proposals.may_second)),
    ("POST", "/proposals/{id}/second"): rule(hall(proposals.may_second)),
    ("POST", "/api/v1/proposals/{id}/lock"): rule(hall(proposals.may_moderate)),
    ("POST", "/api/v1/proposals/{id}/unlock"): rule(hall(proposals.may_moderate)),
    ("POST", "/proposals/{id}/lock"): rule(hall(proposals.may_moderate)),
    ("POST", "/proposals/{id}/unlock"): rule(hall(proposals.may_moderate)),
    ("GET", "/api/v1/proposals/{id}/comments"): rule(hall(proposals.may_read)),
    ("POST", "/api/v1/proposals/{id}/comments"): rule(hall(proposals.may_comment)),
    ("POST", "/proposals/{id}/comments"): rule(hall(proposals.may_comment)),
    # The author may also add photos while the proposal is a draft or in consultation.
    ("POST", "/api/v1/proposals/{id}/photos"): rule(
        ADD_PROPOSAL_PHOTO, note="and the author (draft, consultation)"
    ),
    ("POST", "/proposals/{id}/photos"): rule(ADD_PROPOSAL_PHOTO, note="and the author (draft, consultation)"),
    ("GET", "/proposals/{id}/photos/{photo_id:int}.jpg"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/comments/{id}"): rule(hall(proposals.may_read)),
    ("PATCH", "/api/v1/comments/{id}"): rule(hall(proposals.may_comment), self_only=True),
    ("DELETE", "/api/v1/comments/{id}"): rule(hall(proposals.may_comment), self_only=True),
    ("GET", "/api/v1/comments/{id}/revisions"): rule(hall(proposals.may_read)),
    ("GET", "/comments/{id}"): rule(hall(proposals.may_read)),
    ("POST", "/comments/{id}/edit"): rule(hall(proposals.may_comment), self_only=True),
    ("POST", "/comments/{id}/delete"): rule(hall(proposals.may_comment), self_only=True),
    ("POST", "/api/v1/comments/{id}/report"): rule(hall(proposals.may_report)),
    ("POST", "/comments/{id}/report"): rule(hall(proposals.may_report)),
    ("POST", "/api/v1/comments/{id}/hide"): rule(hall(proposals.may_moderate)),
    ("POST", "/api/v1/comments/{id}/restore"): rule(hall(proposals.may_moderate)),
    ("POST", "/comments/{id}/hide"): rule(hall(proposals.may_moderate)),
    ("POST", "/comments/{id}/restore"): rule(hall(proposals.may_moderate)),
    ("POST", "/comments/{id}/dismiss"): rule(hall(proposals.may_moderate)),
    ("POST", "/api/v1/comments/{id}/official"): rule(
        hall(proposals.may_answer_officially), self_only=True, note="their own comment"
    ),
    ("POST", "/comments/{id}/official"): rule(
        hall(proposals.may_answer_officially), self_only=True, note="their own comment"
    ),
    # --- ballots and results --------------------------------------------------------------------
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots"): rule(hall(ballots.holds_units)),
    # Step one shows the choice back for confirmation (records nothing) only to someone who can vote;
    # /vote/confirm casts. Both refuse non-voters.
    ("POST", "/proposals/{proposal_id:int}/vote"): rule(hall(ballots.holds_units)),
    ("POST", "/proposals/{proposal_id:int}/vote/confirm"): rule(hall(ballots.holds_units)),
    ("GET", "/proposals/{proposal_id:int}/vote"): rule(hall(proposals.may_read)),
    # The caller's own receipt, unsealed with the key in the cookie set by casting; without it, a
    # redirect to the vote page.
    ("GET", "/proposals/{proposal_id:int}/vote/receipt"): rule(hall(proposals.may_read), self_only=True),
    ("GET", "/api/v1/proposals/{proposal_id:int}/ballots/mine"): rule(
        hall(proposals.may_read), self_only=True
    ),
    # Named votes only, after close, owners of the scope only (404 for a secret vote, 409 before close).
    ("GET", "/api/v1/proposals/{proposal_id:int}/ballots/named"): rule(
        hall(ballots.holds_units), note="named, after close"
    ),
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots/paper"): rule(hall(ballots.may_enter_paper)),
    ("GET", "/proposals/{proposal_id:int}/paper"): rule(hall(ballots.may_enter_paper)),
    ("POST", "/proposals/{proposal_id:int}/paper"): rule(hall(ballots.may_enter_paper)),
    # Undo within the window: only the canvasser who entered the ballot (another canvasser's: 403).
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots/paper/{seq:int}/undo"): rule(
        hall(ballots.may_enter_paper)
    ),
    ("POST", "/proposals/{proposal_id:int}/paper/undo"): rule(hall(ballots.may_enter_paper)),
    ("POST", "/api/v1/proposals/{proposal_id:int}/deliveries"): rule(hall(ballots.may_enter_paper)),
    ("GET", "/api/v1/proposals/{proposal_id:int}/result"): rule(hall(proposals.may_read)),
    ("GET", "/proposals/{proposal_id:int}/result"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/proposals/{proposal_id:int}/turnout/buildings"): rule(hall(ballots.may_see_turnout)),
    ("GET", "/api/v1/proposals/{proposal_id:int}/ledger"): rule(hall(proposals.may_read)),
    ("GET", "/api/v1/proposals/{proposal_id:int}/resolution"): rule(hall(proposals.may_read)),
    ("GET", "/proposals/{proposal_id:int}/resolution"): rule(hall(proposals.may_read)),
    ("POST", "/proposals/{proposal_id:int}/resolution"): rule(hall(proposals.may_read)),
    ("GET", "/proposals/{proposal_id:int}/resolution.pdf"): rule(hall(proposals.may_read)),
    # Certifying and posting records: members of the owners' committee only (a platform administrator
    # is not the owners' committee, api.md "Procedure"). Objections: owners of the vote's scope.
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/certify"): rule(hall(ballots.may_certify)),
    ("POST", "/proposals/{proposal_id:int}/resolution/certify"): rule(hall(ballots.may_certify)),
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/corrections"): rule(hall(ballots.may_correct)),
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/finalize"): rule(hall(ballots.may_finalize)),
    ("POST", "/proposals/{proposal_id:int}/resolution/finalize"): rule(hall(ballots.may_finalize)),
    ("POST", "/api/v1/proposals/{proposal_id:int}/objections"): rule(hall(ballots.holds_units)),
    ("POST", "/proposals/{proposal_id:int}/resolution/objections"): rule(hall(ballots.holds_units)),
    ("GET", "/api/v1/proposals/{proposal_id:int}/consents"): rule(hall(ballots.may_see_consents)),
    ("POST", "/api/v1/proposals/{proposal_id:int}/consents"): rule(
        hall(ballots.holds_units),
        note="with a witness and an owner_ref: canvassers and the committee enter one",
    ),
    ("GET", "/proposals/{proposal_id:int}/consents"): rule(
        hall(ballots.may_open_consents_page),
        note="an owner whose consent is asked; canvassers and the committee enter one; no page (404)"
        " on a proposal that asks for no consent",
    ),
    ("POST", "/proposals/{proposal_id:int}/consents"): rule(
        hall(ballots.holds_units),
        note="with a witness and an owner_ref: canvassers and the committee enter one",
    ),
    # --- the residents' meeting (居民会议, agora.proposals.meeting) -------------------------------
    # Any member reads it; a resident on the roll frozen at opening (tenants too) attends and votes
    # for themselves; the Party branch (moderators) enters a resident present in the room, with a
    # witness. 404 on a proposal that is not a residents' meeting.
    ("GET", "/api/v1/proposals/{id}/meeting"): rule(hall(proposals.may_read), note=MEETING_NOTE),
    ("POST", "/api/v1/proposals/{id}/meeting/attendance"): rule(hall(proposals.may_read), note=MEETING_ENTRY),
    ("POST", "/api/v1/proposals/{id}/meeting/votes"): rule(hall(proposals.may_read), note=MEETING_ENTRY),
    ("POST", "/api/v1/proposals/{id}/meeting/undo"): rule(
        hall(proposals.may_enter_in_room), note="an entry made in the room, while the meeting is open"
    ),
    ("GET", "/proposals/{id}/meeting"): rule(hall(proposals.may_read), note=MEETING_NOTE),
    ("POST", "/proposals/{id}/meeting"): rule(hall(proposals.may_read), note=MEETING_ENTRY),
    ("GET", "/api/v1/halls/{slug}/resolutions"): rule(hall(proposals.may_read)),
    ("GET", "/halls/{slug}/resolutions"): rule(hall(proposals.may_read)),
    # --- implementation (落实) -------------------------------------------------------------------
    # Reading: every member. Opening, choosing a quote, a new budget: the committee. Reporting
    # (updates, milestones, quotes): the committee and the named lead (any member may be named).
    ("GET", "/api/v1/proposals/{id}/implementation"): rule(hall(implementation.can_read)),
    ("POST", "/api/v1/proposals/{id}/implementation"): rule(hall(implementation.can_open)),
    ("POST", "/api/v1/proposals/{id}/implementation/milestones"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/milestones/{mid:int}/done"): rule(
        REPORT_ON_WORK, note=LEAD
    ),
    ("POST", "/api/v1/proposals/{id}/implementation/updates"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/quotes"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/quotes/{qid:int}/choose"): rule(
        hall(implementation.can_choose_quote)
    ),
    ("POST", "/api/v1/proposals/{id}/implementation/budget"): rule(hall(implementation.can_amend_budget)),
    ("GET", "/proposals/{id}/implementation"): rule(hall(implementation.can_read)),
    ("POST", "/proposals/{id}/implementation"): rule(hall(implementation.can_open)),
    ("POST", "/proposals/{id}/implementation/updates"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/proposals/{id}/implementation/milestones"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/proposals/{id}/implementation/milestones/{mid:int}/done"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/proposals/{id}/implementation/quotes"): rule(REPORT_ON_WORK, note=LEAD),
    ("POST", "/proposals/{id}/implementation/quotes/{qid:int}/choose"): rule(
        hall(implementation.can_choose_quote)
    ),
    ("GET", "/proposals/{id}/implementation/photos/{photo_id:int}.jpg"): rule(hall(implementation.can_read)),
    # --- concerns and the governance list (agora.concerns.permissions) -----------------------------
    ("GET", "/api/v1/halls/{slug}/concerns"): rule(READ_CONCERNS),
    ("POST", "/api/v1/halls/{slug}/concerns"): rule(
        concern(concerns.can_raise), note="on_behalf: canvassers and moderators"
    ),
    ("GET", "/api/v1/halls/{slug}/concerns/search"): rule(SEE_CONCERNS),
    ("GET", "/api/v1/halls/{slug}/concern-categories"): rule(SEE_CONCERNS),
    ("POST", "/api/v1/halls/{slug}/concern-categories"): rule(concern(concerns.can_manage_categories)),
    ("GET", "/api/v1/halls/{slug}/governance"): rule(READ_CONCERNS),
    ("GET", "/api/v1/concerns/{id}"): rule(
        SEE_CONCERNS, note="a private one: moderators, submitter, enterer"
    ),
    ("POST", "/api/v1/concerns/{id}/triage"): rule(concern(concerns.can_triage)),
    ("POST", "/api/v1/concerns/{id}/status"): rule(concern(concerns.can_change_status)),
    ("POST", "/api/v1/concerns/{id}/merge"): rule(concern(concerns.can_merge)),
    ("POST", "/api/v1/concerns/{id}/feedback"): rule(
        concern(concerns.can_give_feedback), self_only=True, note="the submitter, resolved"
    ),
    ("POST", "/api/v1/concerns/{id}/replies"): rule(concern(concerns.can_reply)),
    ("POST", "/api/v1/concerns/{id}/photos"): rule(
        ADD_CONCERN_PHOTO, note="and the submitter while received"
    ),
    ("GET", "/halls/{slug}/concerns"): rule(SEE_CONCERNS),
    ("POST", "/halls/{slug}/concerns"): rule(
        concern(concerns.can_raise), note="on_behalf: canvassers and moderators"
    ),
    ("GET", "/halls/{slug}/concerns/new"): rule(SEE_CONCERNS),
    ("GET", "/halls/{slug}/concerns/similar"): rule(SEE_CONCERNS),
    ("GET", "/halls/{slug}/concerns/search"): rule(SEE_CONCERNS),
    ("POST", "/halls/{slug}/concern-categories"): rule(concern(concerns.can_manage_categories)),
    ("GET", "/halls/{slug}/governance"): rule(SEE_CONCERNS),
    # A resident entered on behalf follows their concern with its code, without an account.
    ("GET", "/concerns/follow"): rule(ANYONE, **UNSCOPED),
    ("POST", "/concerns/follow"): rule(ANYONE, scoped=False, self_only=True, note="the code decides"),
    ("POST", "/concerns/follow/feedback"): rule(ANYONE, scoped=False, self_only=True, note="the code"),
    ("GET", "/concerns/{id}"): rule(SEE_CONCERNS, note="a private one: moderators, submitter, enterer"),
    ("POST", "/concerns/{id}/triage"): rule(concern(concerns.can_triage)),
    ("POST", "/concerns/{id}/status"): rule(concern(concerns.can_change_status)),
    ("POST", "/concerns/{id}/merge"): rule(concern(concerns.can_merge)),
    ("POST", "/concerns/{id}/replies"): rule(concern(concerns.can_reply)),
    ("POST", "/concerns/{id}/feedback"): rule(
        concern(concerns.can_give_feedback), self_only=True, note="the submitter, resolved"
    ),
    ("POST", "/concerns/{id}/photos"): rule(ADD_CONCERN_PHOTO, note="and the submitter while received"),
    ("GET", "/concerns/{id}/photos/{photo_id:int}.jpg"): rule(SEE_CONCERNS),
    # --- figures -------------------------------------------------------------------------------
    # Any member of the hall (a member of a compound is a member of its community): figures only,
    # no ballot choices, no contact details, no hidden comments.
    ("GET", "/api/v1/halls/{slug}/stats"): rule(reading(rooms.may_read_figures)),
    ("GET", "/halls/{slug}/dashboard"): rule(reading(rooms.may_read_figures)),
    ("GET", "/halls/{slug}/dashboard.xlsx"): rule(reading(rooms.may_read_figures)),
    ("GET", "/halls/{slug}/report.pdf"): rule(reading(rooms.may_read_figures)),
    ("GET", "/halls/{slug}/concerns.csv"): rule(READ_CONCERNS),
    ("GET", "/halls/{slug}/concerns.xlsx"): rule(READ_CONCERNS),
    # --- live -----------------------------------------------------------------------------------
    ("WS", "/ws/halls/{slug}"): rule(hall(rooms.is_member)),
}

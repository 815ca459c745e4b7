"""Who may call what: every route and method of the router, with the roles allowed to use it.

`tests/security/test_authz_matrix.py` enumerates the router and fails on any route missing here, then
calls every route as every role, on objects of the caller's own compound and of another compound.

Roles (as the tests create them): anonymous; resident (a hall "member" by invite); tenant; owner;
coowner (one of two owners of a unit); moderator; committee; canvasser; admin; staff (community staff,
社区/街道, appointed in the compound's community: no role in the compound itself).

Rules for every row unless it says otherwise:
- objects of another compound are reported absent: 404 for everyone but an administrator;
- anonymous callers get 401 (API) or a redirect to /login (pages) unless the row is PUBLIC;
- a role outside `allow` is refused (403, or 404 where the object is hidden from it) and changes nothing;
- `self_only`: the route acts on the caller's own account or objects (author-only edits, the caller's
  own ballot), so the matrix only checks the anonymous and other-compound rules.
"""

from __future__ import annotations

from dataclasses import dataclass

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

PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {ANONYMOUS}
# Every signed-in role of the matrix is a member of its own compound, except community staff.
MEMBERS = SIGNED_IN - {"staff"}
# The figures and the lists: members, and community staff over every compound of their community
# (agora.rooms.access.access_to_read). Never a ballot, an owner's contacts or a hidden item.
READERS = SIGNED_IN
OWNERS = frozenset({"owner", "coowner"})
MODERATORS = frozenset({"moderator", "admin"})
COMMITTEE = frozenset({"committee", "admin"})
OWNERS_COMMITTEE = frozenset({"committee"})  # the owners' committee itself, never an administrator
STAFF = frozenset({"moderator", "committee", "admin"})
CANVASSERS = frozenset({"canvasser", "admin"})
ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    allow: frozenset[str]
    scoped: bool = True  # the path names a hall, proposal or comment: another compound's is a 404
    self_only: bool = False
    note: str = ""


def rule(allow: frozenset[str], **kw: object) -> Rule:
    return Rule(allow, **kw)  # type: ignore[arg-type]


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
    ("GET", "/"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/healthz"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/api/openapi.json"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/static/{digest}/{path:path}"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/login"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/login"): rule(PUBLIC, scoped=False, self_only=True, note="the credentials decide"),
    ("POST", "/logout"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/settings/language"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/settings/text-size"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/join"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/join"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/api/v1/auth/token"): rule(PUBLIC, scoped=False, self_only=True, note="the credentials decide"),
    ("DELETE", "/api/v1/auth/token"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/api/v1/auth/register"): rule(PUBLIC, **UNSCOPED),
    ("GET", "/inbox"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/inbox/read"): rule(SIGNED_IN, **UNSCOPED),
    ("GET", "/inbox/badge"): rule(SIGNED_IN, **UNSCOPED),
    # --- the caller's own account: password, contact details, reminders (agora.recovery, agora.notify)
    ("GET", "/settings/password"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/settings/password"): rule(SIGNED_IN, **OWN, note="the current password"),
    ("POST", "/api/v1/auth/password"): rule(SIGNED_IN, **OWN, note="the current password"),
    ("GET", "/reset"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/reset"): rule(PUBLIC, scoped=False, self_only=True, note="the reset code decides"),
    ("POST", "/api/v1/auth/password-reset"): rule(PUBLIC, **OWN, note="the reset code"),
    ("GET", "/api/v1/me/contact"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("PUT", "/api/v1/me/contact"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/settings/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/settings/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/notifications/read"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("GET", "/api/v1/notifications"): rule(SIGNED_IN, scoped=False, self_only=True),
    ("POST", "/api/v1/notifications/read"): rule(SIGNED_IN, scoped=False, self_only=True),
    # --- halls and the roll ---------------------------------------------------------------------
    ("POST", "/api/v1/halls"): rule(ADMIN, **UNSCOPED),
    ("GET", "/api/v1/halls"): rule(SIGNED_IN, **UNSCOPED),
    ("GET", "/halls"): rule(SIGNED_IN, **UNSCOPED),
    ("POST", "/halls"): rule(ADMIN, **UNSCOPED),
    ("GET", "/api/v1/halls/{slug}"): rule(MEMBERS),
    ("GET", "/halls/{slug}"): rule(MEMBERS),
    ("PUT", "/api/v1/halls/{slug}/roll"): rule(COMMITTEE),
    ("GET", "/api/v1/halls/{slug}/roll.csv"): rule(COMMITTEE),
    ("GET", "/halls/{slug}/roll"): rule(COMMITTEE),
    ("POST", "/halls/{slug}/roll"): rule(COMMITTEE),
    ("POST", "/halls/{slug}/roll/preview"): rule(COMMITTEE),
    ("GET", "/halls/{slug}/roll/template.csv"): rule(COMMITTEE),
    ("POST", "/api/v1/halls/{slug}/invites"): rule(STAFF),
    ("GET", "/halls/{slug}/invites"): rule(STAFF),
    ("POST", "/halls/{slug}/invites"): rule(STAFF),
    ("POST", "/halls/{slug}/invites/slips"): rule(COMMITTEE),
    ("PUT", "/api/v1/halls/{slug}/members/{login}/roles"): rule(COMMITTEE),
    ("GET", "/halls/{slug}/members"): rule(COMMITTEE),
    ("POST", "/halls/{slug}/members"): rule(COMMITTEE),
    ("GET", "/api/v1/halls/{slug}/rules"): rule(MEMBERS),
    ("PUT", "/api/v1/halls/{slug}/rules"): rule(COMMITTEE),
    ("GET", "/halls/{slug}/rules"): rule(MEMBERS),
    # Reset codes: the committee and moderators for plain members; an account that acts for others
    # (committee, moderator, canvasser) only by an administrator (agora.recovery.rules).
    ("GET", "/halls/{slug}/password-resets"): rule(STAFF),
    ("POST", "/halls/{slug}/password-resets"): rule(STAFF, note="the member's own roles decide who may"),
    ("POST", "/api/v1/halls/{slug}/members/{login}/password-reset"): rule(
        STAFF, note="the member's own roles decide who may"
    ),
    ("POST", "/halls/{slug}/rules"): rule(COMMITTEE),
    # --- proposals and discussion ---------------------------------------------------------------
    ("GET", "/api/v1/halls/{slug}/proposals"): rule(MEMBERS),
    ("POST", "/api/v1/halls/{slug}/proposals"): rule(MEMBERS),
    ("GET", "/halls/{slug}/proposals"): rule(MEMBERS),
    ("POST", "/halls/{slug}/proposals"): rule(MEMBERS),
    ("GET", "/halls/{slug}/proposals/new"): rule(MEMBERS),
    ("GET", "/api/v1/halls/{slug}/moderation-log"): rule(MEMBERS),
    ("GET", "/halls/{slug}/moderation"): rule(MODERATORS),
    ("GET", "/halls/{slug}/moderation/log"): rule(MEMBERS),
    ("GET", "/api/v1/halls/{slug}/search"): rule(MEMBERS),
    ("GET", "/halls/{slug}/search"): rule(MEMBERS),
    ("GET", "/api/v1/proposals/{id}"): rule(MEMBERS),
    ("GET", "/proposals/{id}"): rule(MEMBERS),
    ("GET", "/proposals/{id}/share"): rule(MEMBERS),
    ("POST", "/api/v1/proposals/{id}/transition"): rule(MEMBERS, note="the lifecycle decides (409)"),
    ("POST", "/proposals/{id}/transition"): rule(MEMBERS, note="the lifecycle decides (409)"),
    ("POST", "/api/v1/proposals/{id}/extend"): rule(OWNERS_COMMITTEE),
    ("POST", "/proposals/{id}/extend"): rule(OWNERS_COMMITTEE),
    # A maintenance-fund spend's charged units: the Party branch or the committee (409 from the notice on).
    ("PUT", "/api/v1/proposals/{id}/charged-units"): rule(STAFF),
    ("POST", "/api/v1/proposals/{id}/second"): rule(MEMBERS),
    ("POST", "/proposals/{id}/second"): rule(MEMBERS),
    ("POST", "/api/v1/proposals/{id}/lock"): rule(MODERATORS),
    ("POST", "/api/v1/proposals/{id}/unlock"): rule(MODERATORS),
    ("POST", "/proposals/{id}/lock"): rule(MODERATORS),
    ("POST", "/proposals/{id}/unlock"): rule(MODERATORS),
    ("GET", "/api/v1/proposals/{id}/comments"): rule(MEMBERS),
    ("POST", "/api/v1/proposals/{id}/comments"): rule(MEMBERS),
    ("POST", "/proposals/{id}/comments"): rule(MEMBERS),
    # The author may also add photos while the proposal is a draft or in consultation.
    ("POST", "/api/v1/proposals/{id}/photos"): rule(MODERATORS, note="and the author (draft, consultation)"),
    ("POST", "/proposals/{id}/photos"): rule(MODERATORS, note="and the author (draft, consultation)"),
    ("GET", "/proposals/{id}/photos/{photo_id:int}.jpg"): rule(MEMBERS),
    ("GET", "/api/v1/comments/{id}"): rule(MEMBERS),
    ("PATCH", "/api/v1/comments/{id}"): rule(MEMBERS, self_only=True),
    ("DELETE", "/api/v1/comments/{id}"): rule(MEMBERS, self_only=True),
    ("GET", "/api/v1/comments/{id}/revisions"): rule(MEMBERS),
    ("GET", "/comments/{id}"): rule(MEMBERS),
    ("POST", "/comments/{id}/edit"): rule(MEMBERS, self_only=True),
    ("POST", "/comments/{id}/delete"): rule(MEMBERS, self_only=True),
    ("POST", "/api/v1/comments/{id}/report"): rule(MEMBERS),
    ("POST", "/comments/{id}/report"): rule(MEMBERS),
    ("POST", "/api/v1/comments/{id}/hide"): rule(MODERATORS),
    ("POST", "/api/v1/comments/{id}/restore"): rule(MODERATORS),
    ("POST", "/comments/{id}/hide"): rule(MODERATORS),
    ("POST", "/comments/{id}/restore"): rule(MODERATORS),
    ("POST", "/comments/{id}/dismiss"): rule(MODERATORS),
    ("POST", "/api/v1/comments/{id}/official"): rule(STAFF, self_only=True, note="their own comment"),
    ("POST", "/comments/{id}/official"): rule(STAFF, self_only=True, note="their own comment"),
    # --- ballots and results --------------------------------------------------------------------
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots"): rule(OWNERS),
    # Step one shows the choice back for confirmation (records nothing) only to someone who can vote;
    # /vote/confirm casts. Both refuse non-voters.
    ("POST", "/proposals/{proposal_id:int}/vote"): rule(OWNERS),
    ("POST", "/proposals/{proposal_id:int}/vote/confirm"): rule(OWNERS),
    ("GET", "/proposals/{proposal_id:int}/vote"): rule(MEMBERS),
    # The caller's own receipt, unsealed with the key in the cookie set by casting; without it, a
    # redirect to the vote page.
    ("GET", "/proposals/{proposal_id:int}/vote/receipt"): rule(MEMBERS, self_only=True),
    ("GET", "/api/v1/proposals/{proposal_id:int}/ballots/mine"): rule(MEMBERS, self_only=True),
    # Named votes only, after close, owners of the scope only (404 for a secret vote, 409 before close).
    ("GET", "/api/v1/proposals/{proposal_id:int}/ballots/named"): rule(OWNERS, note="named, after close"),
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots/paper"): rule(CANVASSERS),
    ("GET", "/proposals/{proposal_id:int}/paper"): rule(CANVASSERS),
    ("POST", "/proposals/{proposal_id:int}/paper"): rule(CANVASSERS),
    # Undo within the window: only the canvasser who entered the ballot (another canvasser's: 403).
    ("POST", "/api/v1/proposals/{proposal_id:int}/ballots/paper/{seq:int}/undo"): rule(CANVASSERS),
    ("POST", "/proposals/{proposal_id:int}/paper/undo"): rule(CANVASSERS),
    ("POST", "/api/v1/proposals/{proposal_id:int}/deliveries"): rule(CANVASSERS),
    ("GET", "/api/v1/proposals/{proposal_id:int}/result"): rule(MEMBERS),
    ("GET", "/proposals/{proposal_id:int}/result"): rule(MEMBERS),
    ("GET", "/api/v1/proposals/{proposal_id:int}/turnout/buildings"): rule(STAFF),
    ("GET", "/api/v1/proposals/{proposal_id:int}/ledger"): rule(MEMBERS),
    ("GET", "/api/v1/proposals/{proposal_id:int}/resolution"): rule(MEMBERS),
    ("GET", "/proposals/{proposal_id:int}/resolution"): rule(MEMBERS),
    ("POST", "/proposals/{proposal_id:int}/resolution"): rule(MEMBERS),
    ("GET", "/proposals/{proposal_id:int}/resolution.pdf"): rule(MEMBERS),
    # Certifying and posting records: members of the owners' committee only (a platform administrator
    # is not the owners' committee, api.md "Procedure"). Objections: owners of the vote's scope.
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/certify"): rule(OWNERS_COMMITTEE),
    ("POST", "/proposals/{proposal_id:int}/resolution/certify"): rule(OWNERS_COMMITTEE),
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/corrections"): rule(COMMITTEE),
    ("POST", "/api/v1/proposals/{proposal_id:int}/resolution/finalize"): rule(OWNERS_COMMITTEE),
    ("POST", "/proposals/{proposal_id:int}/resolution/finalize"): rule(OWNERS_COMMITTEE),
    ("POST", "/api/v1/proposals/{proposal_id:int}/objections"): rule(OWNERS),
    ("POST", "/proposals/{proposal_id:int}/resolution/objections"): rule(OWNERS),
    ("GET", "/api/v1/proposals/{proposal_id:int}/consents"): rule(OWNERS_COMMITTEE),
    ("POST", "/api/v1/proposals/{proposal_id:int}/consents"): rule(
        OWNERS, note="with a witness and an owner_ref: canvassers and the committee enter one"
    ),
    ("GET", "/proposals/{proposal_id:int}/consents"): rule(
        OWNERS | {"committee", "canvasser"},
        note="an owner whose consent is asked; canvassers and the committee enter one; no page (404)"
        " on a proposal that asks for no consent",
    ),
    ("POST", "/proposals/{proposal_id:int}/consents"): rule(
        OWNERS, note="with a witness and an owner_ref: canvassers and the committee enter one"
    ),
    # --- the residents' meeting (居民会议, agora.proposals.meeting) -------------------------------
    # Any member reads it; a resident on the roll frozen at opening (tenants too) attends and votes
    # for themselves; the Party branch (moderators) enters a resident present in the room, with a
    # witness. 404 on a proposal that is not a residents' meeting.
    ("GET", "/api/v1/proposals/{id}/meeting"): rule(MEMBERS, note=MEETING_NOTE),
    ("POST", "/api/v1/proposals/{id}/meeting/attendance"): rule(MEMBERS, note=MEETING_ENTRY),
    ("POST", "/api/v1/proposals/{id}/meeting/votes"): rule(MEMBERS, note=MEETING_ENTRY),
    ("GET", "/proposals/{id}/meeting"): rule(MEMBERS, note=MEETING_NOTE),
    ("POST", "/proposals/{id}/meeting"): rule(MEMBERS, note=MEETING_ENTRY),
    ("GET", "/api/v1/halls/{slug}/resolutions"): rule(MEMBERS),
    ("GET", "/halls/{slug}/resolutions"): rule(MEMBERS),
    # --- implementation (落实) -------------------------------------------------------------------
    # Reading: every member. Opening, choosing a quote, a new budget: the committee. Reporting
    # (updates, milestones, quotes): the committee and the named lead (any member may be named).
    ("GET", "/api/v1/proposals/{id}/implementation"): rule(MEMBERS),
    ("POST", "/api/v1/proposals/{id}/implementation"): rule(COMMITTEE),
    ("POST", "/api/v1/proposals/{id}/implementation/milestones"): rule(COMMITTEE, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/milestones/{mid:int}/done"): rule(COMMITTEE, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/updates"): rule(COMMITTEE, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/quotes"): rule(COMMITTEE, note=LEAD),
    ("POST", "/api/v1/proposals/{id}/implementation/quotes/{qid:int}/choose"): rule(COMMITTEE),
    ("POST", "/api/v1/proposals/{id}/implementation/budget"): rule(COMMITTEE),
    ("GET", "/proposals/{id}/implementation"): rule(MEMBERS),
    ("POST", "/proposals/{id}/implementation"): rule(COMMITTEE),
    ("POST", "/proposals/{id}/implementation/updates"): rule(COMMITTEE, note=LEAD),
    ("POST", "/proposals/{id}/implementation/milestones"): rule(COMMITTEE, note=LEAD),
    ("POST", "/proposals/{id}/implementation/milestones/{mid:int}/done"): rule(COMMITTEE, note=LEAD),
    ("POST", "/proposals/{id}/implementation/quotes"): rule(COMMITTEE, note=LEAD),
    ("POST", "/proposals/{id}/implementation/quotes/{qid:int}/choose"): rule(COMMITTEE),
    ("GET", "/proposals/{id}/implementation/photos/{photo_id:int}.jpg"): rule(MEMBERS),
    # --- concerns and the governance list (agora.concerns.permissions) -----------------------------
    ("GET", "/api/v1/halls/{slug}/concerns"): rule(READERS),
    ("POST", "/api/v1/halls/{slug}/concerns"): rule(MEMBERS, note="on_behalf: canvassers and moderators"),
    ("GET", "/api/v1/halls/{slug}/concerns/search"): rule(MEMBERS),
    ("GET", "/api/v1/halls/{slug}/concern-categories"): rule(MEMBERS),
    ("POST", "/api/v1/halls/{slug}/concern-categories"): rule(MODERATORS),
    ("GET", "/api/v1/halls/{slug}/governance"): rule(READERS),
    ("GET", "/api/v1/concerns/{id}"): rule(MEMBERS, note="a private one: moderators, submitter, enterer"),
    ("POST", "/api/v1/concerns/{id}/triage"): rule(MODERATORS),
    ("POST", "/api/v1/concerns/{id}/status"): rule(MODERATORS),
    ("POST", "/api/v1/concerns/{id}/merge"): rule(MODERATORS),
    ("POST", "/api/v1/concerns/{id}/feedback"): rule(MEMBERS, self_only=True, note="the submitter, resolved"),
    ("POST", "/api/v1/concerns/{id}/replies"): rule(STAFF),
    ("POST", "/api/v1/concerns/{id}/photos"): rule(MODERATORS, note="and the submitter while received"),
    ("GET", "/halls/{slug}/concerns"): rule(MEMBERS),
    ("POST", "/halls/{slug}/concerns"): rule(MEMBERS, note="on_behalf: canvassers and moderators"),
    ("GET", "/halls/{slug}/concerns/new"): rule(MEMBERS),
    ("GET", "/halls/{slug}/concerns/similar"): rule(MEMBERS),
    ("GET", "/halls/{slug}/concerns/search"): rule(MEMBERS),
    ("POST", "/halls/{slug}/concern-categories"): rule(MODERATORS),
    ("GET", "/halls/{slug}/governance"): rule(MEMBERS),
    # A resident entered on behalf follows their concern with its code, without an account.
    ("GET", "/concerns/follow"): rule(PUBLIC, **UNSCOPED),
    ("POST", "/concerns/follow"): rule(PUBLIC, scoped=False, self_only=True, note="the code decides"),
    ("POST", "/concerns/follow/feedback"): rule(PUBLIC, scoped=False, self_only=True, note="the code"),
    ("GET", "/concerns/{id}"): rule(MEMBERS, note="a private one: moderators, submitter, enterer"),
    ("POST", "/concerns/{id}/triage"): rule(MODERATORS),
    ("POST", "/concerns/{id}/status"): rule(MODERATORS),
    ("POST", "/concerns/{id}/merge"): rule(MODERATORS),
    ("POST", "/concerns/{id}/replies"): rule(STAFF),
    ("POST", "/concerns/{id}/feedback"): rule(MEMBERS, self_only=True, note="the submitter, resolved"),
    ("POST", "/concerns/{id}/photos"): rule(MODERATORS, note="and the submitter while received"),
    ("GET", "/concerns/{id}/photos/{photo_id:int}.jpg"): rule(MEMBERS),
    # --- figures -------------------------------------------------------------------------------
    # Any member of the hall (a member of a compound is a member of its community): figures only,
    # no ballot choices, no contact details, no hidden comments.
    ("GET", "/api/v1/halls/{slug}/stats"): rule(READERS),
    ("GET", "/halls/{slug}/dashboard"): rule(READERS),
    ("GET", "/halls/{slug}/dashboard.xlsx"): rule(READERS),
    ("GET", "/halls/{slug}/report.pdf"): rule(READERS),
    ("GET", "/halls/{slug}/concerns.csv"): rule(READERS),
    ("GET", "/halls/{slug}/concerns.xlsx"): rule(READERS),
    # --- live -----------------------------------------------------------------------------------
    ("WS", "/ws/halls/{slug}"): rule(MEMBERS),
}

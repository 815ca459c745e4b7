"""The OpenAPI description of the JSON API (`GET /api/openapi.json`), written from `docs/api.md`.

Kept by hand, next to the contract it describes; `tests/test_openapi.py` checks that every API
route the app serves is described here and that nothing described is missing from the app.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

AREA = {"type": "string", "pattern": r"^\d+\.\d{2}$", "examples": ["89.50"]}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_AREA = {"anyOf": [AREA, {"type": "null"}]}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "field name -> what is wrong with it (required, too_long, ...)",
                },
                "lines": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"line": {"type": "integer"}, "message": {"type": "string"}},
                    },
                },
            },
        }
    },
}


def _obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}} for c in codes
    }


def _op(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    ok: int = 200,
    out: dict[str, Any] | None = None,
    errors: tuple[int, ...] | None = None,
    auth: bool = True,
    body_type: str = "application/json",
    out_type: str = "application/json",
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {}}
    if out is None and ok == 204:
        op["responses"][str(ok)] = {"description": "done"}
    else:
        op["responses"][str(ok)] = {
            "description": "ok",
            "content": {out_type: {"schema": out or {"type": "object"}}},
        }
    if errors is None:  # a write may conflict with the current state (docs/api.md: 409)
        errors = (400, 401, 403, 404, 409, 422) if body is not None else (400, 401, 403, 404, 422)
    op["responses"].update(_errors(*errors))
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
    if not auth:
        op["security"] = []
    if params:
        op["parameters"] = params
    return op


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
# Ids are 32-bit (Tortoise's IntField: PostgreSQL `integer`).
ID = {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2**31 - 1}
PID = {"name": "id", "in": "path", "required": True, "schema": ID}
LOGIN = {"name": "login", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}

TEXT = {"type": "string"}
NOTIFICATION = _obj(
    ["id", "kind", "proposal", "title", "closes_at", "needed", "created_at", "read"],
    id=ID,
    kind={"enum": ["vote_closing", "reply", "vote_notice", "vote_result"]},
    comment={"type": ["integer", "null"]},
    outcome={"enum": ["passed", "no_decision", "undetermined", None]},
    proposal=ID,
    title={"type": "string"},
    closes_at={"type": ["string", "null"], "format": "date-time"},
    needed={"type": "boolean"},
    created_at={"type": "string", "format": "date-time"},
    read={"type": "boolean"},
)
CONTACT = _obj(["email", "phone"], email={"type": ["string", "null"]}, phone={"type": ["string", "null"]})
OPTION = _obj(["key", "label"], key=TEXT, label=TEXT)
TRANSITION = _obj(
    ["state", "at", "by"],
    state=TEXT,
    at={"type": ["string", "null"]},
    by={"type": ["string", "null"]},
)
HALL_SUMMARY = _obj(
    ["slug", "kind", "name", "parent", "my_roles"],
    slug=TEXT,
    kind={"enum": ["community", "compound", "building"]},
    name=TEXT,
    parent={"type": ["string", "null"]},
    my_roles={"type": "array", "items": TEXT},
)
PUBLIC_UNIT = _obj(
    ["building", "unit", "area", "kind", "status", "person"],
    building=TEXT,
    entrance=TEXT,
    unit=TEXT,
    area=AREA,
    kind=TEXT,
    status=TEXT,
    person={"type": "string", "description": "an opaque person label (P0001, developer, ...)"},
)
OUTCOME = {"enum": ["passed", "no_decision", "undetermined"]}
THRESHOLD_TEST = {
    "type": "object",
    "required": ["name", "value", "required", "met"],
    "properties": {
        "name": TEXT,
        "value": {"type": ["string", "null"], "description": "the figure tested, as a fraction"},
        "required": {"type": ["string", "null"], "description": "the bound, as a fraction"},
        "met": {"type": ["boolean", "null"]},
    },
}
MILESTONE = _obj(
    ["id", "title", "due_at", "done_at"],
    id={"type": "integer"},
    title=TEXT,
    due_at={"type": ["string", "null"]},
    done_at={"type": ["string", "null"]},
)
UPDATE = _obj(
    ["id", "at", "by", "body_html", "progress", "spent", "photos"],
    id={"type": "integer"},
    kind=TEXT,
    at={"type": ["string", "null"]},
    by={"type": ["string", "null"]},
    body_html={"type": ["string", "null"]},
    progress={"type": ["integer", "null"]},
    spent={"type": ["string", "null"]},
    stage={"type": ["string", "null"]},
    photos={"type": "array", "items": {"type": "object", "properties": {"url": TEXT, "stage": TEXT}}},
)

RULES = _obj(
    notice_days={"type": "integer", "minimum": 0},
    min_voting_days={"type": "integer", "minimum": 1},
    max_voting_days={"type": "integer", "minimum": 1},
    parking_counts={"type": ["boolean", "null"]},
    revote={"type": "boolean"},
    proxy_cap={"type": "integer", "minimum": 1},
    deemed_participation={"type": ["string", "null"], "description": "the text of the clause, or null"},
    certify_signatures={"type": "integer", "minimum": 1},
    objection_days={"type": "integer", "minimum": 0},
    proxy_bar_property_staff={"type": "boolean"},
    budget_margin_percent={"type": "integer", "minimum": 0, "maximum": 100},
    ballot_secrecy={"enum": ["secret", "named"]},
)
REASON = _obj(reason={"type": "string", "maxLength": 2000})
NOTHING = {"type": "object", "properties": {}, "description": "no field is read: send {}"}

HALL_DETAIL = _obj(
    ["slug", "kind", "name", "parent", "children", "totals", "my_roles"],
    slug=TEXT,
    kind={"enum": ["community", "compound", "building"]},
    name=TEXT,
    parent={"type": ["string", "null"]},
    children={"type": "array", "items": TEXT},
    totals={"type": "object", "properties": {"units": {"type": "integer"}}},
    my_roles={"type": "array", "items": TEXT},
)
LOG_ENTRY = _obj(
    ["id", "action", "by", "reason", "at"],
    id={"type": "integer"},
    action=TEXT,
    by={"type": ["string", "null"]},
    proposal={"type": ["integer", "null"]},
    comment={"type": ["integer", "null"]},
    reason={"type": ["string", "null"]},
    at=TIME,
)
LOCKED = _obj(["locked"], locked={"type": "boolean"})
BUILDING_TURNOUT = _obj(["building", "units"], building=TEXT, units={"type": "integer"})
ROLL_TOTALS = _obj(
    ["units", "persons", "area"],
    units={"type": "integer"},
    persons={"type": ["integer", "null"], "description": "null while the rules leave parking undecided"},
    area=NULLABLE_AREA,
)
ROLL_IMPORTED = {
    **ROLL_TOTALS,
    "required": [*ROLL_TOTALS["required"], "buildings", "invites"],
    "properties": {
        **ROLL_TOTALS["properties"],
        "buildings": {"type": "object", "additionalProperties": ROLL_TOTALS},
        "invites": {"type": "array", "items": _obj(["owner_ref", "code"], owner_ref=TEXT, code=TEXT)},
    },
}
SEARCH_RESULTS = _obj(
    ["q", "proposals", "comments"],
    q=TEXT,
    proposals={
        "type": "array",
        "items": _obj(
            ["id", "title", "state", "snippet"], id={"type": "integer"}, title=TEXT, state=TEXT, snippet=TEXT
        ),
    },
    comments={
        "type": "array",
        "items": _obj(
            ["id", "proposal", "proposal_title", "author", "snippet"],
            id={"type": "integer"},
            proposal={"type": "integer"},
            proposal_title=TEXT,
            author=TEXT,
            snippet=TEXT,
        ),
    },
)
ARCHIVED = _obj(
    ["number", "title", "proposal", "outcome", "posted_at", "supersedes"],
    number=TEXT,
    title=TEXT,
    proposal={"type": "integer"},
    outcome=OUTCOME,
    posted_at={"type": ["string", "null"]},
    supersedes={"type": ["string", "null"]},
)

COMMENT: dict[str, Any] = _obj(
    id={"type": "integer"},
    parent={"type": ["integer", "null"]},
    author={"type": "string"},
    body_html={"type": ["string", "null"]},
    stance={"type": "string"},
    official={"type": "boolean"},
    created_at=TIME,
    hidden={
        "oneOf": [
            {"type": "null"},
            _obj(["reason", "at"], reason={"type": ["string", "null"]}, at={"type": ["string", "null"]}),
        ]
    },
    children={"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
)
FINGERPRINT = {
    "type": ["string", "null"],
    "pattern": "^[0-9a-f]{64}$",
    "description": "the frozen roll's public fingerprint, published when voting opened (owners' votes)",
}
CHARGED_UNITS = {
    "type": ["array", "null"],
    "items": {"type": "string"},
    "description": "a maintenance-fund spend (category maintenance_fund, item 5): the units it charges, "
    '"building/unit" as the roll names them (the unit alone in a building hall); they are the electorate. '
    "Set in the draft by the Party branch or the committee, fixed at notice; null: the whole hall",
}
PROPOSAL: dict[str, Any] = _obj(
    id={"type": "integer"},
    hall={"type": "string"},
    title={"type": "string"},
    body_html={"type": "string"},
    matter={"enum": ["ordinary", "major", "consultation", "unanimous", "resident_meeting"]},
    item={"type": ["integer", "null"]},
    state={"type": "string"},
    options={"type": "array", "items": OPTION},
    notice_at={"type": ["string", "null"]},
    opens_at={"type": ["string", "null"]},
    closes_at={"type": ["string", "null"]},
    roll_fingerprint=FINGERPRINT,
    charged_units=CHARGED_UNITS,
    timeline={"type": "array", "items": TRANSITION},
)
COUNT = _obj(persons={"type": "integer"}, area=AREA)
TURNOUT = _obj(
    ["persons", "area"],
    persons={"type": "integer"},
    area=AREA,
    persons_total={"type": ["integer", "null"]},
    area_total=NULLABLE_AREA,
    persons_needed={"type": ["integer", "null"]},
    area_needed=NULLABLE_AREA,
)
MEETING_TEST = {
    "type": "object",
    "required": ["name", "required", "met", "figures"],
    "properties": {
        "name": {"enum": ["attendance", "approval_present"]},
        "required": TEXT,
        "met": {"type": ["boolean", "null"]},
        "figures": {"type": "string", "pattern": r"^\d+/\d+$"},
    },
}
MEETING_RESULT = _obj(
    ["rule", "owners_vote", "residents", "present", "yes", "no", "abstain", "not_voted", "outcome", "tests",
     "verdict"],
    rule={"const": "居民委员会组织法 第九条"},
    owners_vote={"const": False},
    residents={"type": "integer"},
    present={"type": "integer"},
    yes={"type": "integer"},
    no={"type": "integer"},
    abstain={"type": "integer"},
    not_voted={"type": "integer"},
    outcome={"enum": ["passed", "no_decision", "undetermined"]},
    reason={"enum": [None, "quorum_not_met", "not_approved", "missing_figures"]},
    tests={"type": "array", "items": MEETING_TEST},
    verdict=_obj(["outcome", "text"], outcome=TEXT, text={"enum": ["通过", "未形成决定", "无法确定"]}),
)  # fmt: skip
NULLABLE_STR = {"type": ["string", "null"]}
MEETING = _obj(
    ["proposal", "kind", "owners_vote", "rule", "status", "residents", "present", "voted", "attendance",
     "counts", "result", "me"],
    proposal=ID,
    kind={"const": "residents_meeting"},
    owners_vote={"const": False},
    rule={"const": "居民委员会组织法 第九条"},
    note=TEXT,
    status={"enum": ["not_open", "open", "closed"]},
    residents={"type": ["integer", "null"]},
    present={"type": "integer"},
    voted={"type": "integer"},
    opened_at=NULLABLE_STR,
    opened_by=NULLABLE_STR,
    closed_at=NULLABLE_STR,
    closed_by=NULLABLE_STR,
    attendance={
        "type": "array",
        "items": _obj(["name", "channel", "present_at", "voted"], name=TEXT,
                      channel={"enum": ["online", "room"]}, present_at=TIME, voted={"type": "boolean"}),
    },
    counts={"anyOf": [{"type": "null"}, _obj(["present", "yes", "no", "abstain", "not_voted"])]},
    result={"anyOf": [{"type": "null"}, MEETING_RESULT]},
    me={"anyOf": [{"type": "null"}, _obj(["on_roll", "present", "voted"])]},
    roll={
        "type": "array",
        "description": "moderators, while the meeting is open: the frozen roll, to enter those in the room",
        "items": _obj(["resident", "name", "present", "voted", "present_in_room", "voted_in_room"],
                      resident=ID, name=TEXT, present={"type": "boolean"}, voted={"type": "boolean"},
                      present_in_room={"type": "boolean"}, voted_in_room={"type": "boolean"}),
    },
)  # fmt: skip
WITNESS = {"type": "string", "maxLength": 120}
MEETING_PATHS = {
    "/api/v1/proposals/{id}/meeting": {
        "get": _op(
            "A residents' meeting (居民会议): roll size, attendance, and after the close the counts and the"
            " decision under 居民委员会组织法 第九条 (members of the hall; 404 for another matter)",
            params=[PID],
            out=MEETING,
        )
    },
    "/api/v1/proposals/{id}/meeting/attendance": {
        "post": _op(
            "Present at the residents' meeting: yourself online, or a resident in the room entered by the"
            " Party branch with a witness",
            body=_obj(resident=ID, witness=WITNESS),
            ok=201,
            out=_obj(
                ["resident", "name", "channel", "present_at"],
                resident=ID,
                name=TEXT,
                channel={"enum": ["online", "room"]},
                present_at=TIME,
            ),
            params=[PID],
            errors=(400, 401, 403, 404, 409, 422),
        )  # fmt: skip
    },
    "/api/v1/proposals/{id}/meeting/votes": {
        "post": _op(
            "A vote at the residents' meeting (yes, no, abstain; once): yourself online, or a resident in"
            " the room entered by the Party branch with a witness",
            body=_obj(["choice"], choice={"enum": ["yes", "no", "abstain"]}, resident=ID, witness=WITNESS),
            ok=201,
            out=_obj(
                ["resident", "name", "channel", "voted_at"],
                resident=ID,
                name=TEXT,
                channel={"enum": ["online", "room"]},
                voted_at=TIME,
            ),
            params=[PID],
            errors=(400, 401, 403, 404, 409, 422),
        )  # fmt: skip
    },
    "/api/v1/proposals/{id}/meeting/undo": {
        "post": _op(
            "The Party branch takes back an entry it made in the room, while the meeting is open: the vote"
            " (the resident stays present) or the attendance; a resident's own entry stands",
            body=_obj(["resident", "what", "reason"], resident=ID, what={"enum": ["vote", "attendance"]},
                      reason={"type": "string", "maxLength": 500}),
            out=_obj(["resident", "what", "name"], resident=ID, what={"enum": ["vote", "attendance"]},
                     name=TEXT),
            params=[PID],
            errors=(400, 401, 403, 404, 409, 422),
        )  # fmt: skip
    },
}
RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["state"],
    "properties": {
        "state": {"type": "string"},
        "turnout": TURNOUT,
        "roll_fingerprint": FINGERPRINT,
        "outcome": {"enum": ["passed", "no_decision", "undetermined", None]},
        "meeting": {"anyOf": [{"type": "null"}, MEETING_RESULT], "description": "a residents' meeting"},
        "tests": {
            "type": "array",
            "items": _obj(["name", "met"], name={"type": "string"}, met={"type": ["boolean", "null"]}),
        },
    },
}
LEDGER_ENTRY = _obj(
    # A named vote's entry carries `choice`; a secret vote's carries `ciphertext` and `proof` instead.
    ["seq", "receipt_hash", "persons", "area", "channel", "at", "prev", "hash"],
    seq={"type": "integer", "minimum": 1},
    receipt_hash={"type": "string"},
    choice={"type": "string"},
    ciphertext={"type": "string", "pattern": "^[0-9a-f]+$"},
    proof={"type": "string", "pattern": "^[0-9a-f]+$"},
    persons={"type": "integer"},
    area=AREA,
    channel={"type": "string"},
    at={"type": "string"},
    replaces={"type": ["integer", "null"]},
    prev={"type": "string", "pattern": "^[0-9a-f]{64}$"},
    hash={"type": "string", "pattern": "^[0-9a-f]{64}$"},
)
LEDGER = _obj(
    ["entries", "head"],
    entries={"type": "array", "items": LEDGER_ENTRY},
    head={"type": "string", "pattern": "^[0-9a-f]{64}$"},
)
RECORD = _obj(
    ["format", "number", "proposal", "roll", "ledger", "head", "participation", "result"],
    format={"const": "agora-resolution/1"},
    number={"type": "string"},
    proposal=_obj(
        ["id", "matter"],
        id={"type": "integer"},
        matter={"enum": ["major", "ordinary", "unanimous"]},
        charged_units=CHARGED_UNITS,
    ),
    scope=_obj(
        ["kind", "hall"],
        kind={"enum": ["compound", "building", "entrance", "charged"]},
        hall=TEXT,
        entrance={"type": ["string", "null"]},
        charged_units={
            "type": "array",
            "items": TEXT,
            "description": "kind charged: the units the maintenance-fund spend charges, as frozen",
        },
    ),
    roll=_obj(
        ["parking_counts", "public_fingerprint", "units", "totals"],
        parking_counts={"type": ["boolean", "null"]},
        public_fingerprint={"type": "string", "pattern": "^[0-9a-f]{64}$"},
        published_fingerprint={"type": ["string", "null"]},
        units={"type": "array", "items": PUBLIC_UNIT},
        totals=_obj(["persons", "area"], persons={"type": ["integer", "null"]}, area=NULLABLE_AREA),
    ),
    roll_fingerprint={"type": "string"},
    ledger=LEDGER,
    head={"type": "string", "pattern": "^[0-9a-f]{64}$"},
    participation={
        "type": "array",
        "items": _obj(["building", "unit", "area"], building=TEXT, unit=TEXT, area=AREA),
    },
    result=_obj(
        ["outcome", "reason", "tests"],
        outcome=OUTCOME,
        reason={"type": ["string", "null"]},
        tests={"type": "array", "items": THRESHOLD_TEST},
    ),
)


PROXY = _obj(
    ["name", "id_last4", "authorization"],
    name={"type": "string"},
    id_last4={"type": "string", "description": "the last four characters of the ID card number"},
    authorization={
        "anyOf": [
            {"type": "string"},
            _obj(
                reference={"type": "string"},
                text={"type": "string"},
                proposal={"type": ["string", "integer"]},
            ),
        ],
        "description": "the written authorization (its reference and words)",
    },
    property_staff={"type": "boolean"},
)
CONSENT_TALLY = {
    "type": "object",
    "required": ["required", "consented", "refused", "pending", "unanimous"],
    "properties": {
        "required": {"type": "array", "items": TEXT},
        "consented": {"type": "array", "items": TEXT},
        "refused": {"type": "array", "items": TEXT},
        "pending": {"type": "array", "items": TEXT},
        "unanimous": {"type": "boolean"},
    },
}
# Figures (api.md "Figures"): counts are integers; rates have three places, medians one, both
# rounded down and null when nothing was counted.
RATE = {"type": ["string", "null"], "pattern": r"^\d+\.\d{3}$"}
TENTHS = {"type": ["string", "null"], "pattern": r"^\d+\.\d$"}
INT = {"type": "integer", "minimum": 0}
FIGURE_COUNTS = _obj(["received", "resolved", "open"], received=INT, resolved=INT, open=INT)
CONCERN_FIGURES = _obj(
    [
        "received",
        "resolved",
        "closed_unresolved",
        "open",
        "resolution_rate",
        "median_days_to_resolve",
        "satisfied",
        "feedback",
        "satisfaction_rate",
        "by_category",
        "by_building",
        "by_month",
        "open_by_urgency_and_age",
    ],  # fmt: skip
    received=INT,
    resolved=INT,
    closed_unresolved=INT,
    open=INT,
    resolution_rate=RATE,
    median_days_to_resolve=TENTHS,
    satisfied=INT,
    feedback=INT,
    satisfaction_rate=RATE,
    by_category={"type": "object", "additionalProperties": FIGURE_COUNTS},
    by_building={"type": "object", "additionalProperties": FIGURE_COUNTS},
    by_month={
        "type": "object",
        "propertyNames": {"pattern": r"^\d{4}-\d{2}$"},
        "additionalProperties": _obj(["received", "resolved"], received=INT, resolved=INT),
    },
    open_by_urgency_and_age={
        "type": "object",
        "propertyNames": {"enum": ["3", "2", "1", "untriaged"]},
        "additionalProperties": {"type": "object", "additionalProperties": INT},
    },
)
FIGURES = {
    "concerns": CONCERN_FIGURES,
    "wishes": _obj(["received", "fulfilled"], received=INT, fulfilled=INT),
    "proposals": _obj(["by_state"], by_state={"type": "object", "additionalProperties": INT}),
    "votes": _obj(
        ["held", "passed", "no_decision", "turnout_persons_median"],
        held=INT,
        passed=INT,
        no_decision=INT,
        turnout_persons_median=RATE,
    ),
    "implementation": _obj(
        ["active", "done", "accepted", "spent"],
        active=INT,
        done=INT,
        accepted=INT,
        spent={"type": "string", "pattern": r"^\d+\.\d{2}$", "description": "yuan"},
    ),
}
FIGURE_PARTS = ["concerns", "wishes", "proposals", "votes", "implementation"]
STATS_HALL = {"slug": TEXT, "name": TEXT, "kind": {"enum": ["community", "compound", "building"]}}
MONEY = {"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,2})?$", "description": "yuan, two places"}
FUNDING = {
    "type": "array",
    "items": _obj(
        ["source", "amount"],
        source={"enum": ["maintenance_fund", "self_raised", "public", "other"]},
        amount=MONEY,
    ),
}
IMPLEMENTATION = _obj(
    ["status", "progress", "budget", "spent", "funding", "milestones", "updates"],
    status={"enum": ["planned", "in_progress", "done", "accepted", "stalled"]},
    progress={"type": "integer", "minimum": 0, "maximum": 100},
    budget=MONEY,
    spent=MONEY,
    funding=FUNDING,
    milestones={"type": "array", "items": MILESTONE},
    updates={"type": "array", "items": UPDATE},
)


DATE = {"type": "string", "format": "date"}


def _implementation_paths() -> dict[str, Any]:
    """api.md, "Implementation after a decision" (docs/implementation.md)."""
    base = "/api/v1/proposals/{id}/implementation"
    mid = {"name": "mid", "in": "path", "required": True, "schema": ID}
    qid = {"name": "qid", "in": "path", "required": True, "schema": ID}
    dated = _obj(["title", "due_at"], title={"type": "string"}, due_at={"type": "string"})
    created = _obj(["id"], id={"type": "integer"})
    return {
        base: {
            "get": _op("The implementation of a decision", params=[PID], out=IMPLEMENTATION),
            "post": _op(
                "Open the implementation of a decision whose record is final and passed (committee)",
                body=_obj(
                    ["lead", "due_at", "budget", "funding"],
                    lead={"type": "string"},
                    due_at={"type": "string"},
                    budget=MONEY,
                    funding=FUNDING,
                ),
                ok=201,
                out=IMPLEMENTATION,
                params=[PID],
            ),
        },
        base + "/milestones": {"post": _op("Add a milestone", body=dated, ok=201, out=created, params=[PID])},
        base + "/milestones/{mid}/done": {
            "post": _op(
                "Mark a milestone done", out=IMPLEMENTATION, params=[PID, mid], errors=(401, 403, 404, 409)
            )
        },
        base + "/updates": {
            "post": _op(
                "Post an update: progress, cumulative spending, text and photos (committee or lead)",
                body=_obj(
                    ["body", "progress", "spent"],
                    body={"type": "string"},
                    progress={"type": "integer"},
                    spent=MONEY,
                    stage={"enum": ["before", "during", "after"]},
                    note={"type": "string"},
                    photos={"type": "array", "items": {"type": "string", "format": "binary"}},
                ),
                body_type="multipart/form-data",
                ok=201,
                out=created,
                params=[PID],
                errors=(400, 401, 403, 404, 409, 413, 422),
            )
        },
        base + "/quotes": {
            "post": _op(
                "Attach a supplier's quote",
                body=_obj(
                    ["supplier", "amount", "date"],
                    supplier={"type": "string"},
                    amount=MONEY,
                    date={"type": "string", "format": "date"},
                ),  # fmt: skip
                ok=201,
                out=created,
                params=[PID],
            )
        },
        base + "/quotes/{qid}/choose": {
            "post": _op(
                "Choose the quote: the contract (committee)",
                out=IMPLEMENTATION,
                params=[PID, qid],
                errors=(401, 403, 404, 409),
            )  # fmt: skip
        },
        base + "/budget": {
            "post": _op(
                "A new approved budget, citing the later vote that approved it (committee)",
                body=_obj(["proposal", "budget", "funding"], proposal=ID, budget=MONEY, funding=FUNDING),
                out=IMPLEMENTATION,
                params=[PID],
            )
        },
    }


# --- concerns (诉求, 微心愿) and the governance list (api.md "Additions (second wave)") -------------
CONCERN_STATUSES = ["received", "accepted", "in_progress", "resolved", "closed_unresolved", "merged"]
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
HISTORY_ITEM = _obj(
    ["action", "status", "at", "by", "note"],
    action={"type": "string"},
    status={"enum": CONCERN_STATUSES},
    at=TIME,
    by={"type": ["string", "null"]},
    note={"type": "string"},
)
CONCERN_REF = _obj(["id", "ref"], id={"type": "integer"}, ref={"type": "string"})
CONCERN_REPLY = _obj(
    ["id", "as", "by", "body_html", "at"],
    id={"type": "integer"},
    **{"as": {"enum": ["party", "committee"]}},
    by={"type": ["string", "null"]},
    body_html={"type": "string"},
    at=NULLABLE_TIME,
)
PHOTO = _obj(
    ["id", "url", "width", "height"],
    id={"type": "integer"},
    url={"type": "string"},
    thumb_url={"type": "string"},
    width={"type": "integer"},
    height={"type": "integer"},
)
PROPOSAL_REF = _obj(
    ["id", "title", "state"], id={"type": "integer"}, title={"type": "string"}, state={"type": "string"}
)
FEEDBACK = _obj(
    ["satisfied", "comment", "at"],
    satisfied={"type": ["boolean", "null"]},
    comment={"type": ["string", "null"]},
    at=NULLABLE_TIME,
)
CONCERN: dict[str, Any] = _obj(
    [
        "id",
        "ref",
        "title",
        "body_html",
        "kind",
        "category",
        "status",
        "urgency",
        "route",
        "created_at",
        "due_at",
        "resolved_at",
        "history",
        "feedback",
    ],
    id={"type": "integer"},
    ref={"type": "string"},
    hall={"type": "string"},
    building={"type": ["string", "null"]},
    building_name={"type": ["string", "null"]},
    title={"type": "string"},
    body_html={"type": "string"},
    kind={"enum": ["concern", "wish"]},
    category={"type": "string"},
    visibility={"enum": ["public", "moderators"]},
    status={"enum": CONCERN_STATUSES},
    effective_status={"enum": CONCERN_STATUSES},
    merged_into={"anyOf": [CONCERN_REF, {"type": "null"}]},
    urgency={"type": ["integer", "null"], "minimum": 1, "maximum": 3},
    route={"enum": ["self_help", "list", "proposal", "refer", None]},
    assignee={"type": "string"},
    created_at=TIME,
    accepted_at=NULLABLE_TIME,
    due_at=NULLABLE_TIME,
    resolved_at=NULLABLE_TIME,
    closed_at=NULLABLE_TIME,
    overdue={"type": "boolean"},
    submitter={"type": ["string", "null"]},
    on_behalf={"type": ["string", "null"]},
    history={"type": "array", "items": HISTORY_ITEM},
    replies={"type": "array", "items": CONCERN_REPLY},
    photos={"type": "array", "items": PHOTO},
    proposals={"type": "array", "items": PROPOSAL_REF},
    feedback={"anyOf": [FEEDBACK, {"type": "null"}]},
)
SEARCH_HIT = {"score": {"type": "integer"}, "snippet": {"type": "string"}}
CONCERN_HIT = _obj(
    ["id", "ref", "title", "kind", "status", "score", "snippet"],
    id={"type": "integer"},
    ref={"type": "string"},
    title={"type": "string"},
    kind={"enum": ["concern", "wish"]},
    status={"enum": CONCERN_STATUSES},
    **SEARCH_HIT,
)
PROPOSAL_HIT = _obj(
    ["id", "title", "state", "score", "snippet"],
    id={"type": "integer"},
    title={"type": "string"},
    state={"type": "string"},
    **SEARCH_HIT,
)
GOVERNANCE_ITEM = _obj(
    [
        "id",
        "concern",
        "ref",
        "title",
        "kind",
        "category",
        "status",
        "urgency",
        "route",
        "created_at",
        "due_at",
        "overdue",
    ],  # fmt: skip
    id={"type": "integer"},
    concern={"type": "integer"},
    ref={"type": "string"},
    title={"type": "string"},
    kind={"enum": ["concern", "wish"]},
    category={"type": "string"},
    status={"enum": CONCERN_STATUSES},
    urgency={"type": ["integer", "null"], "minimum": 1, "maximum": 3},
    route={"enum": ["self_help", "list", "proposal", "refer", None]},
    assignee={"type": "string"},
    building={"type": ["string", "null"], "description": "the building's name"},
    created_at=TIME,
    due_at=NULLABLE_TIME,
    overdue={"type": "boolean"},
)
CONCERN_ERRORS = (400, 401, 403, 404, 409, 422)
Q = {"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


CONCERN_PATHS: dict[str, Any] = {
    "/api/v1/halls/{slug}/concerns": {
        "get": _op(
            "The compound's concerns the caller may see (a building's hall: that building's)",
            params=[SLUG, _query("status"), _query("category"), _query("kind"), Q],
            out=_obj(["concerns"], concerns={"type": "array", "items": CONCERN}),
            errors=CONCERN_ERRORS,
        ),
        "post": _op(
            "Raise a concern or a wish (canvassers: on behalf of a named resident, who gets a follow code)",
            body=_obj(
                ["title", "body", "category"],
                title={"type": "string"},
                body={"type": "string"},
                category={"type": "string"},
                kind={"enum": ["concern", "wish"]},
                building={"type": ["string", "null"]},
                visibility={"enum": ["public", "moderators"]},
                on_behalf={
                    "anyOf": [{"type": ["string", "null"]}, _obj(["name"], name={"type": "string"})],
                    "description": "the resident's name, as text or as {name}",
                },
            ),
            ok=201,
            out=_obj(
                ["id", "ref"], id={"type": "integer"}, ref={"type": "string"}, follow_code={"type": "string"}
            ),
            params=[SLUG],
            errors=(*CONCERN_ERRORS, 413),
        ),
    },
    "/api/v1/halls/{slug}/concerns/search": {
        "get": _op(
            "Search the compound's concerns and proposals by words (Chinese word segmentation)",
            params=[SLUG, Q],
            out=_obj(
                ["q", "concerns", "proposals"],
                q={"type": "string"},
                words={"type": "array", "items": {"type": "string"}},
                concerns={"type": "array", "items": CONCERN_HIT},
                proposals={"type": "array", "items": PROPOSAL_HIT},
            ),
            errors=CONCERN_ERRORS,
        )
    },
    "/api/v1/halls/{slug}/concern-categories": {
        "get": _op(
            "The compound's concern categories",
            params=[SLUG],
            errors=CONCERN_ERRORS,
            out=_obj(["categories"], categories={"type": "array", "items": OPTION}),
        ),
        "post": _op(
            "Add a category of the compound's own (moderators)",
            body=_obj(["label"], label={"type": "string"}),
            ok=201,
            out=_obj(["key", "label"], key={"type": "string"}, label={"type": "string"}),
            params=[SLUG],
            errors=CONCERN_ERRORS,
        ),
    },
    "/api/v1/halls/{slug}/governance": {
        "get": _op(
            "The governance list: triaged open items, most urgent and oldest first",
            params=[SLUG],
            out=_obj(
                ["items", "awaiting_triage"],
                items={"type": "array", "items": GOVERNANCE_ITEM},
                awaiting_triage={"type": "integer"},
            ),
            errors=CONCERN_ERRORS,
        )
    },
    "/api/v1/concerns/{id}": {"get": _op("A concern with its history", params=[PID], out=CONCERN)},
    "/api/v1/concerns/{id}/triage": {
        "post": _op(
            "Triage (moderators): route, urgency, category, due date; received → accepted",
            body=_obj(
                ["route", "urgency", "category"],
                route={"enum": ["self_help", "list", "proposal", "refer"]},
                urgency={"type": "integer", "minimum": 1, "maximum": 3},
                category={"type": "string"},
                due_at={"type": ["string", "null"]},
                assignee={"type": "string"},
                note={"type": "string"},
            ),
            params=[PID],
            out=CONCERN,
        )
    },
    "/api/v1/concerns/{id}/status": {
        "post": _op(
            "Change the status (moderators)",
            body=_obj(["to"], to={"type": "string"}, note={"type": "string"}),
            params=[PID],
            out=CONCERN,
        )
    },
    "/api/v1/concerns/{id}/merge": {
        "post": _op(
            "Merge a duplicate into another concern (moderators)",
            body=_obj(["into"], into={"type": "integer"}),
            params=[PID],
            out=CONCERN,
        )
    },
    "/api/v1/concerns/{id}/feedback": {
        "post": _op(
            "The submitter's follow-up once resolved",
            body=_obj(["satisfied"], satisfied={"type": "boolean"}, comment={"type": "string"}),
            params=[PID],
            out=CONCERN,
        )
    },
    "/api/v1/concerns/{id}/replies": {
        "post": _op(
            "An official reply (Party branch, owners' committee)",
            body=_obj(["body"], body={"type": "string"}),
            ok=201,
            out=_obj(["id"], id={"type": "integer"}),
            params=[PID],
        )
    },
    "/api/v1/concerns/{id}/photos": {
        "post": _op(
            "Add a photo (the submitter while received, moderators)",
            body=_obj(["photo"], photo={"type": "string", "format": "binary"}),
            body_type="multipart/form-data",
            ok=201,
            out=_obj(
                ["id", "url", "width", "height"],
                id={"type": "integer"},
                url={"type": "string"},
                width={"type": "integer"},
                height={"type": "integer"},
            ),
            params=[PID],
            errors=(400, 401, 403, 404, 409, 413, 422),
        )
    },
}


def build_schema() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/healthz": {
            "get": _op(
                "Health: 200 once the database answers",
                out=_obj(["ok"], ok={"type": "boolean"}),
                auth=False,
                errors=(503,),
            )
        },
        "/api/v1/auth/token": {
            "post": _op(
                "Sign in and get a bearer token",
                body=_obj(["login", "password"], login={"type": "string"}, password={"type": "string"}),
                out=_obj(["token", "expires_at"], token={"type": "string"}, expires_at=TIME),
                errors=(400, 401, 413, 422, 429),
                auth=False,
            ),
            "delete": _op(
                "Revoke the token used for this request (a session cookie is refused: token_required)",
                ok=204,
                errors=(401, 403),
            ),
        },
        "/api/v1/auth/register": {
            "post": _op(
                "Register with an invitation code",
                body=_obj(
                    ["invite", "login", "password", "display_name"],
                    invite={"type": "string"},
                    login={"type": "string"},
                    password={"type": "string"},
                    display_name={"type": "string"},
                ),
                ok=201,
                out=_obj(["login"], login={"type": "string"}),
                errors=(400, 404, 409, 410, 422, 429),
                auth=False,
            )
        },
        "/api/v1/auth/password-reset": {
            "post": _op(
                "Set a new password with a one-time reset code (ends every session and token)",
                body=_obj(["code", "password"], code={"type": "string"}, password={"type": "string"}),
                ok=204,
                errors=(400, 410, 422, 429),
                auth=False,
            )
        },
        "/api/v1/auth/password": {
            "post": _op(
                "Change one's own password (the current one first; other sessions and tokens end)",
                body=_obj(
                    ["current_password", "password"],
                    current_password={"type": "string"},
                    password={"type": "string"},
                ),
                ok=204,
                errors=(400, 401, 403, 422, 429),
            )
        },
        "/api/v1/halls/{slug}/members/{login}/password-reset": {
            "post": _op(
                "Issue a one-time password reset code for a member (owners' committee, moderators)",
                ok=201,
                out=_obj(
                    ["code", "url", "expires_at"],
                    code={"type": "string"},
                    url={"type": "string"},
                    expires_at={"type": "string", "format": "date-time"},
                ),
                errors=(401, 403, 404, 429),
                params=[SLUG, LOGIN],
            )
        },
        "/api/v1/notifications": {
            "get": _op(
                "The caller's notifications, newest first (what needs them now: `needed`)",
                out=_obj(
                    ["notifications", "unread"],
                    notifications={"type": "array", "items": NOTIFICATION},
                    unread={"type": "integer", "minimum": 0},
                ),
                errors=(401,),
            )
        },
        "/api/v1/notifications/read": {
            "post": _op("Mark every notification of the caller read", ok=204, errors=(401, 403))
        },
        "/api/v1/me/contact": {
            "get": _op("Where the caller gets reminders besides the inbox", out=CONTACT, errors=(401,)),
            "put": _op(
                "Set the caller's e-mail address and mobile number for reminders (empty: none)",
                body=_obj(None, email={"type": ["string", "null"]}, phone={"type": ["string", "null"]}),
                out=CONTACT,
                errors=(400, 401, 403, 422),
            ),
        },
        "/api/v1/halls": {
            "get": _op(
                "Halls the caller belongs to",
                out=_obj(["halls"], halls={"type": "array", "items": HALL_SUMMARY}),
                errors=(401,),
            ),
            "post": _op(
                "Create a hall (administrators)",
                body=_obj(
                    ["kind", "slug", "name"],
                    kind={"enum": ["community", "compound", "building"]},
                    slug={"type": "string", "maxLength": 64},
                    name={"type": "string"},
                    parent={"type": ["string", "null"], "maxLength": 64},
                ),
                ok=201,
                out=_obj(["slug"], slug={"type": "string"}),
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/halls/{slug}": {
            "get": _op("A hall with its totals and my roles", out=HALL_DETAIL, params=[SLUG])
        },
        "/api/v1/halls/{slug}/roll": {
            "put": _op(
                "Import the owners' roll (CSV); all or nothing",
                body={"type": "string"},
                body_type="text/csv",
                out=ROLL_IMPORTED,
                params=[SLUG],
                errors=(400, 401, 403, 404, 413, 422, 503),
            )
        },
        "/api/v1/halls/{slug}/roll.csv": {
            "get": _op(
                "Export the owners' roll (CSV, the import format)",
                out={"type": "string"},
                out_type="text/csv",
                params=[SLUG],
                errors=(401, 403, 404, 422),
            )
        },
        "/api/v1/halls/{slug}/invites": {
            "post": _op(
                "Create a hall invitation",
                body=_obj(
                    ["role"],
                    role={"type": "string"},
                    max_uses={"type": "integer"},
                    expires_at={"type": "string"},
                ),
                ok=201,
                out=_obj(["code", "url"], code={"type": "string"}, url={"type": "string"}),
                params=[SLUG],
            )
        },
        "/api/v1/halls/{slug}/members/{login}/roles": {
            "put": _op(
                "Set a member's roles in a hall",
                body=_obj(["roles"], roles={"type": "array", "items": {"type": "string"}}),
                out=_obj(["login", "roles"], login=TEXT, roles={"type": "array", "items": TEXT}),
                params=[SLUG, LOGIN],
            )
        },
        "/api/v1/halls/{slug}/rules": {
            "get": _op("The compound's rules of procedure", out=RULES, params=[SLUG]),
            "put": _op("Change the rules of procedure", body=RULES, out=RULES, params=[SLUG]),
        },
        "/api/v1/halls/{slug}/proposals": {
            "get": _op(
                "Proposals of a hall",
                params=[
                    SLUG,
                    {"name": "state", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                out=_obj(proposals={"type": "array", "items": PROPOSAL}),
            ),
            "post": _op(
                "Draft a proposal",
                body=_obj(
                    ["title", "body", "matter"],
                    title={"type": "string"},
                    body={"type": "string"},
                    category={"type": "string"},
                    matter={"enum": ["ordinary", "major", "consultation", "unanimous", "resident_meeting"]},
                    item={"type": ["integer", "null"]},
                    options={"type": "array", "items": OPTION, "description": "consultations only"},
                    entrance={"type": ["string", "null"]},
                    charged_units=CHARGED_UNITS,
                ),
                ok=201,
                out=_obj(["id"], id={"type": "integer"}),
                params=[SLUG],
            ),
        },
        "/api/v1/proposals/{id}": {"get": _op("A proposal with its timeline", params=[PID], out=PROPOSAL)},
        "/api/v1/proposals/{id}/transition": {
            "post": _op(
                "Move a proposal to another state",
                body=_obj(
                    ["to"], to={"type": "string"}, closes_at={"type": "string"}, reason={"type": "string"}
                ),
                out=PROPOSAL,
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/charged-units": {
            "put": _op(
                "Change the units a maintenance-fund spend charges, while a draft or in consultation "
                "(Party branch or owners' committee; 409 plan_fixed from the notice on)",
                body=_obj(["charged_units"], charged_units=CHARGED_UNITS),
                out=PROPOSAL,
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/extend": {
            "post": _op(
                "Extend an open owners' vote once, before its close, with a reason (owners' committee)",
                body=_obj(["closes_at", "reason"], closes_at={"type": "string"}, reason={"type": "string"}),
                out=PROPOSAL,
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/comments": {
            "get": _op(
                "The threaded discussion",
                params=[PID],
                out=_obj(comments={"type": "array", "items": COMMENT}),
            ),
            "post": _op(
                "Comment or reply",
                body=_obj(
                    ["body"],
                    body={"type": "string"},
                    parent={"anyOf": [ID, {"type": "null"}]},
                    stance={"enum": ["support", "oppose", "question", "neutral"]},
                ),
                ok=201,
                out=_obj(["id"], id={"type": "integer"}),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422, 429),
            ),
        },
        "/api/v1/comments/{id}/hide": {
            "post": _op(
                "Hide a comment with a public reason",
                body=_obj(["reason"], reason={"type": "string"}),
                out=COMMENT,
                params=[PID],
            )
        },
        "/api/v1/comments/{id}/restore": {
            "post": _op("Restore a hidden comment", body=REASON, out=COMMENT, params=[PID])
        },
        "/api/v1/comments/{id}/report": {
            "post": _op(
                "Report a comment",
                body=_obj(["reason"], reason={"type": "string"}),
                ok=201,
                out=_obj(["reported"], reported={"type": "boolean"}),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422, 429),
            )
        },
        # Proposals feature additions (see docs/proposals.md).
        "/api/v1/proposals/{id}/second": {
            "post": _op(
                "Second a draft",
                body=NOTHING,
                out=_obj(["seconds"], seconds={"type": "integer"}),
                params=[PID],
                errors=(401, 403, 404, 409),
            )
        },
        "/api/v1/proposals/{id}/photos": {
            "post": _op(
                "Attach a photo (JPEG, PNG or WebP, at most 8 MB and 40 megapixels, at most 6 per proposal);"
                " stored downscaled to 1600 px and re-encoded as a JPEG without any metadata",
                body=_obj(["photo"], photo={"type": "string", "format": "binary"}),
                body_type="multipart/form-data",
                ok=201,
                out=_obj(
                    ["id", "url", "width", "height"],
                    id={"type": "integer"},
                    url={"type": "string"},
                    width={"type": "integer"},
                    height={"type": "integer"},
                ),
                params=[PID],
                errors=(401, 403, 404, 409, 413, 422),
            )
        },
        "/api/v1/proposals/{id}/lock": {
            "post": _op("Lock the discussion (moderators)", body=REASON, out=LOCKED, params=[PID])
        },
        "/api/v1/proposals/{id}/unlock": {
            "post": _op("Unlock the discussion (moderators)", body=REASON, out=LOCKED, params=[PID])
        },
        "/api/v1/comments/{id}": {
            "get": _op("One comment", params=[PID], out=COMMENT),
            "patch": _op(
                "Edit one's comment", body=_obj(["body"], body={"type": "string"}), params=[PID], out=COMMENT
            ),
            "delete": _op(
                "Delete one's own comment (a tombstone stays)",
                ok=204,
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/comments/{id}/revisions": {
            "get": _op(
                "Earlier versions of a comment",
                out=_obj(
                    ["revisions"],
                    revisions={
                        "type": "array",
                        "items": _obj(["body_html", "replaced_at"], body_html=TEXT, replaced_at=TIME),
                    },
                    hidden={"type": "boolean"},
                ),
                params=[PID],
            )
        },
        "/api/v1/comments/{id}/official": {
            "post": _op("Mark one's own comment official", body=NOTHING, out=COMMENT, params=[PID])
        },
        "/api/v1/halls/{slug}/moderation-log": {
            "get": _op(
                "The public moderation log",
                out=_obj(["entries"], entries={"type": "array", "items": LOG_ENTRY}),
                params=[SLUG],
            )
        },
        "/api/v1/halls/{slug}/search": {
            "get": _op(
                "Search proposals and comments of the hall",
                params=[SLUG, {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                out=SEARCH_RESULTS,
            )
        },
        "/api/v1/proposals/{id}/ballots": {
            "post": _op(
                "Cast a ballot",
                body=_obj(["choice"], choice={"type": "string"}),
                ok=201,
                out=_obj(
                    ["receipt", "entry_hash"],
                    receipt={"type": "string"},
                    entry_hash={"type": "string"},
                    persons={"type": "integer"},
                    area=AREA,
                ),
                params=[
                    PID,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/ballots/paper": {
            "post": _op(
                "Enter a paper ballot (canvassers)",
                body=_obj(
                    ["owner_ref", "choice", "witness"],
                    owner_ref={"type": "string"},
                    choice={"type": "string"},
                    witness={"type": "string"},
                    proxy={"anyOf": [PROXY, {"type": "null"}]},
                ),
                ok=201,
                out=_obj(["receipt", "seq"], receipt={"type": "string"}, seq={"type": "integer"}),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/ballots/paper/{seq}/undo": {
            "post": _op(
                "Undo a paper ballot entered by mistake (its canvasser, within 5 minutes)",
                out=_obj(
                    ["owner_ref", "channel", "withdrawn", "entry"],
                    owner_ref={"type": "string"},
                    channel={"type": "string"},
                    withdrawn={"type": "integer"},
                    entry={"type": "integer"},
                ),
                params=[PID, {"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}}],
                errors=(401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/ballots/mine": {
            "get": _op(
                "My ballot (the receipt code itself is never stored: null, with the hash of it)",
                params=[PID],
                out=_obj(
                    ["receipt", "receipt_hash", "choice", "channel", "at"],
                    receipt={"type": ["string", "null"]},
                    receipt_hash={"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    choice={"type": ["string", "null"]},  # null: a secret vote keeps no choice
                    sealed={"type": "boolean"},
                    channel={"type": "string"},
                    at={"type": "string"},
                ),
            )
        },
        "/api/v1/proposals/{id}/ballots/named": {
            "get": _op(
                "Each unit's choice of a named vote, for the owners of the scope, after close",
                params=[PID],
                out=_obj(
                    ["proposal", "units"],
                    proposal={"type": "integer"},
                    units={
                        "type": "array",
                        "items": _obj(
                            ["building", "unit", "area", "choice", "channel"],
                            building={"type": "string"},
                            unit={"type": "string"},
                            area=AREA,
                            choice={"type": "string"},
                            channel={"type": "string"},
                        ),
                    },
                ),
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/result": {
            "get": _op("Turnout while voting; the tally after close", params=[PID], out=RESULT)
        },
        "/api/v1/proposals/{id}/ledger": {
            "get": _op(
                "The hash-chained ledger (after close)",
                params=[PID],
                out=LEDGER,
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/resolution": {
            "get": _op(
                "The resolution record (409 while the vote is open or for a consultation)",
                params=[PID],
                out=RECORD,
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/resolution/certify": {
            "post": _op("Certify the resolution (owners' committee)", body=NOTHING, params=[PID], out=RECORD)
        },
        "/api/v1/proposals/{id}/resolution/corrections": {
            "post": _op(
                "Correct a posted record: a new record that supersedes it (owners' committee)",
                body=_obj(["reason"], reason={"type": "string"}),
                ok=201,
                out=RECORD,
                params=[PID],
            )
        },
        "/api/v1/proposals/{id}/resolution/finalize": {
            "post": _op(
                "Answer every objection and post the final record (owners' committee)",
                body=_obj(
                    ["answers"], answers={"type": "object", "additionalProperties": {"type": "string"}}
                ),
                params=[PID],
                out=RECORD,
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/objections": {
            "post": _op(
                "Object to a preliminary record, within the objection period (owners of the scope)",
                body=_obj(["body"], body={"type": "string"}),
                ok=201,
                out=_obj(["id", "at"], id=ID, at=TIME),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        **MEETING_PATHS,
        "/api/v1/proposals/{id}/consents": {
            "get": _op(
                "Who consented, refused, or has not answered (owners' committee); null when none is asked",
                params=[PID],
                out=_obj(["consents"], consents={"anyOf": [CONSENT_TALLY, {"type": "null"}]}),
            ),
            "post": _op(
                "An owner's individual consent (art. 279; an elevator's occupied unit)",
                body=_obj(
                    ["consent"],
                    consent={"type": "boolean"},
                    owner_ref={"type": "string"},
                    witness={"type": "string"},
                ),
                ok=201,
                out=_obj(
                    ["owner_ref", "consent", "channel", "at"],
                    owner_ref=TEXT,
                    consent={"type": "boolean"},
                    channel={"enum": ["online", "witnessed"]},
                    at=TIME,
                ),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            ),
        },
        "/api/v1/proposals/{id}/deliveries": {
            "post": _op(
                "Record delivery of a ballot, for deemed participation (canvassers)",
                body=_obj(["owner_ref", "witness"], owner_ref={"type": "string"}, witness={"type": "string"}),
                ok=201,
                out=_obj(
                    ["owner_ref", "delivered_at", "witness"], owner_ref=TEXT, delivered_at=TIME, witness=TEXT
                ),
                params=[PID],
                errors=(400, 401, 403, 404, 409, 422),
            )
        },
        "/api/v1/proposals/{id}/turnout/buildings": {
            "get": _op(
                "Turnout per building while voting, no choices (committee)",
                out=_obj(["buildings"], buildings={"type": "array", "items": BUILDING_TURNOUT}),
                params=[PID],
            )
        },
        **_implementation_paths(),
        "/api/v1/halls/{slug}/stats": {
            "get": _op(
                "Figures for a hall and every hall under it (api.md, Figures); from/to are local dates,"
                " both included",
                params=[
                    SLUG,
                    {"name": "from", "in": "query", "required": False, "schema": DATE},
                    {"name": "to", "in": "query", "required": False, "schema": DATE},
                ],
                out=_obj(
                    [*FIGURE_PARTS, "hall", "range", "children"],
                    **FIGURES,
                    hall=_obj(["slug", "name", "kind"], **STATS_HALL),
                    range=_obj(
                        ["from", "to"],
                        **{"from": {"anyOf": [DATE, {"type": "null"}]}},
                        to={"anyOf": [DATE, {"type": "null"}]},
                    ),  # fmt: skip
                    children={
                        "type": "array",
                        "items": _obj(["slug", "name", "kind", *FIGURE_PARTS], **STATS_HALL, **FIGURES),
                    },
                ),
                errors=(401, 404, 422),
            )
        },
        "/api/v1/halls/{slug}/resolutions": {
            "get": _op(
                "The compound's resolution records",
                params=[SLUG, {"name": "q", "in": "query", "required": False, "schema": {"type": "string"}}],
                out=_obj(
                    ["hall", "resolutions"], hall=TEXT, resolutions={"type": "array", "items": ARCHIVED}
                ),
            )
        },
    }
    paths.update(CONCERN_PATHS)
    # The API refuses the session cookie on every unsafe method (403 token_required, agora.web.middleware).
    for item in paths.values():
        for method, operation in item.items():
            if method in ("post", "put", "patch", "delete"):
                operation["responses"].setdefault("403", _errors(403)["403"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "agora", "version": "1", "description": "See docs/api.md for the full contract."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Count": COUNT, "Comment": COMMENT},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(build_schema())

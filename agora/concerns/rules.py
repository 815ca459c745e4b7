"""The concern's status machine, triage and merge rules, as pure functions (no ORM, no web).

    received → accepted → in_progress → resolved
                                      → closed_unresolved      (a note says why)
    received → resolved                                        (skipping triage: only with a note)
    received | accepted → closed_unresolved                    (with a note)
    accepted → resolved
    any open status → merged                                   (only by merging into another concern)

`resolved`, `closed_unresolved` and `merged` are final: nothing leaves them (`resolved → received` is a
409). Triage (route, urgency, category, due date) is the moderators' and moves `received` to
`accepted`; a triaged concern may be triaged again while it is open. A merged concern follows its
survivor: what it shows as its effective status is the survivor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from agora import clock
from agora.errors import Conflict, Invalid
from agora.i18n import _

STATUSES = ("received", "accepted", "in_progress", "resolved", "closed_unresolved", "merged")
OPEN = frozenset({"received", "accepted", "in_progress"})
FINAL = frozenset({"resolved", "closed_unresolved", "merged"})
KINDS = ("concern", "wish")
VISIBILITIES = ("public", "moderators")
ROUTES = ("self_help", "list", "proposal", "refer")
URGENCIES = (1, 2, 3)
# The four kinds every compound has (the grassroots reports' own headings): 政策落实, 生产生活,
# 医疗卫生, 教育就业. A compound may add its own (ConcernCategory), named by their label.
SEED_CATEGORIES = ("policy", "livelihood", "health", "education")

MAX_TITLE = 120
MAX_BODY = 4000
MAX_NOTE = 2000
MAX_ASSIGNEE = 80
MAX_NAME = 60
MAX_CATEGORY = 20
MAX_PHOTOS = 3

# (from, to) -> a note is required. Only these edges exist for `POST …/status`.
EDGES: dict[tuple[str, str], bool] = {
    ("received", "accepted"): False,
    ("received", "resolved"): True,  # skipping triage: say what was done
    ("received", "closed_unresolved"): True,
    ("accepted", "in_progress"): False,
    ("accepted", "resolved"): False,
    ("accepted", "closed_unresolved"): True,
    ("in_progress", "resolved"): False,
    ("in_progress", "closed_unresolved"): True,
}


def is_open(status: str) -> bool:
    return status in OPEN


def allowed_targets(status: str) -> list[str]:
    """Where `POST …/status` may move a concern from `status`, in lifecycle order."""
    return [to for to in STATUSES if (status, to) in EDGES]


def note_required(current: str, to: str) -> bool:
    return EDGES.get((current, to), False)


def clean_note(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid(_("The note must be text."), fields={"note": "type"})
    note = raw.strip()
    if len(note) > MAX_NOTE:
        raise Invalid(_("The note is too long."), fields={"note": "too_long"})
    return note


def check_status_change(current: str, to: Any, note: str) -> None:
    """Refuse an unknown status (422), an edge that does not exist (409) or a missing note (422)."""
    if not isinstance(to, str) or to not in STATUSES:
        raise Invalid(_("Unknown status."), fields={"to": "invalid"})
    if to == "merged":
        raise Invalid(_("To merge a concern, merge it into another one."), fields={"to": "use_merge"})
    if current == to:
        raise Conflict(_("The concern already has this status."), code="no_change")
    if (current, to) not in EDGES:
        raise Conflict(
            _(
                "A concern that is {current} cannot become {to}.",
                current=status_label(current),
                to=status_label(to),
            ),
            code="transition_not_allowed",
        )
    if EDGES[(current, to)] and not note:
        if current == "received" and to == "resolved":
            message = _("Resolving a concern without triage needs a note saying what was done.")
        else:
            message = _("Closing a concern unresolved needs a note saying why.")
        raise Invalid(message, fields={"note": "required"})


def status_label(status: str) -> str:
    return {
        "received": _("Received"),
        # Not "Accepted" / "In progress": those ids are the implementation feature's 已验收 / 落实中.
        "accepted": _("Accepted for handling"),
        "in_progress": _("Being handled"),
        "resolved": _("Resolved"),
        "closed_unresolved": _("Closed unresolved"),
        "merged": _("Merged"),
    }.get(status, status)


# --- triage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Triage:
    route: str
    urgency: int
    category: str
    due_at: datetime | None
    assignee: str


def parse_due(raw: Any, now: datetime) -> datetime | None:
    """A due date: `YYYY-MM-DD` (the end of that local day) or an ISO date-time with an offset
    (a local time without one). Not before today (local). Returned in UTC."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str):
        raise Invalid(_("The due date must be a date."), fields={"due_at": "invalid"})
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            value = datetime.combine(day, time(23, 59), tzinfo=clock.LOCAL_TZ)
        else:
            value = datetime.fromisoformat(text)
            if value.tzinfo is None:
                value = value.replace(tzinfo=clock.LOCAL_TZ)
    except ValueError:
        raise Invalid(_("The due date must be a date."), fields={"due_at": "invalid"}) from None
    today = now.astimezone(clock.LOCAL_TZ).date()
    if value.astimezone(clock.LOCAL_TZ).date() < today:
        raise Invalid(_("The due date cannot be in the past."), fields={"due_at": "past"})
    return value.astimezone(UTC)


def parse_urgency(raw: Any) -> int | None:
    """1, 2 or 3 (an int, or its digit as text from a form); None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip() in ("1", "2", "3"):
        return int(raw.strip())
    if isinstance(raw, int) and raw in URGENCIES:
        return raw
    return None


def check_triage(status: str, data: dict[str, Any], categories: frozenset[str], now: datetime) -> Triage:
    """Validate a triage: every problem of the input at once (422), then the status (409)."""
    problems: dict[str, str] = {}
    route = data.get("route")
    if route not in ROUTES:
        problems["route"] = "invalid" if route not in (None, "") else "required"
    urgency = parse_urgency(data.get("urgency"))
    if urgency is None:
        problems["urgency"] = "invalid" if data.get("urgency") not in (None, "") else "required"
    category = data.get("category")
    if not isinstance(category, str) or category not in categories:
        problems["category"] = "invalid" if category not in (None, "") else "required"
    assignee = data.get("assignee") or ""
    if not isinstance(assignee, str):
        problems["assignee"] = "type"
        assignee = ""
    elif len(assignee.strip()) > MAX_ASSIGNEE:
        problems["assignee"] = "too_long"
    due_at = None
    try:
        due_at = parse_due(data.get("due_at"), now)
    except Invalid as error:
        problems.update(error.fields or {})
    if problems:
        raise Invalid(_("Please correct the triage."), fields=problems)
    if status not in OPEN:
        raise Conflict(
            _("Only an open concern can be triaged (this one is {status}).", status=status_label(status)),
            code="not_open",
        )
    return Triage(
        route=str(route),
        urgency=int(urgency or 1),
        category=str(category),
        due_at=due_at,
        assignee=assignee.strip(),
    )


# --- merging -------------------------------------------------------------------------------------


def check_merge(
    source_id: int, source_status: str, target_id: int, target_status: str, same_compound: bool
) -> None:
    """A duplicate (open) merges into another concern of the same compound that is not itself merged."""
    if source_id == target_id:
        raise Invalid(_("A concern cannot be merged into itself."), fields={"into": "self"})
    if not same_compound:
        raise Invalid(
            _("A concern can only be merged into one of the same compound."),
            fields={"into": "other_compound"},
        )
    if source_status not in OPEN:
        raise Conflict(
            _(
                "Only an open concern can be merged (this one is {status}).",
                status=status_label(source_status),
            ),
            code="not_open",
        )
    if target_status == "merged":
        raise Conflict(
            _("That concern was itself merged into another: merge into that one instead."),
            code="target_merged",
        )


# --- feedback ------------------------------------------------------------------------------------


def check_feedback(effective_status: str, already_given: bool, satisfied: Any, comment: Any) -> str:
    """The submitter's follow-up (回访), once the concern (or its survivor) is resolved, once."""
    if not isinstance(satisfied, bool):
        raise Invalid(_("Say whether you are satisfied."), fields={"satisfied": "required"})
    if comment is not None and not isinstance(comment, str):
        raise Invalid(_("The comment must be text."), fields={"comment": "type"})
    text = (comment or "").strip()
    if len(text) > MAX_NOTE:
        raise Invalid(_("The comment is too long."), fields={"comment": "too_long"})
    if effective_status != "resolved":
        raise Conflict(_("Feedback can be given once the concern is resolved."), code="not_resolved")
    if already_given:
        raise Conflict(_("Feedback has already been given for this concern."), code="feedback_given")
    return text


# --- raising -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    title: str
    body: str
    category: str
    kind: str
    visibility: str
    on_behalf: str | None  # the resident's name, when a canvasser enters it for them


def _text(data: dict[str, Any], name: str, limit: int, problems: dict[str, str]) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        problems[name] = "required" if value in (None, "") or isinstance(value, str) else "type"
        return ""
    value = value.strip()
    if len(value) > limit:
        problems[name] = "too_long"
    return value


def on_behalf_name(raw: Any, problems: dict[str, str]) -> str | None:
    """`on_behalf`: the resident's name, as text or as `{name}`; None when absent."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        raw = raw.get("name")
    if not isinstance(raw, str) or not raw.strip():
        problems["on_behalf"] = "invalid"
        return None
    name = raw.strip()
    if len(name) > MAX_NAME:
        problems["on_behalf"] = "too_long"
    return name


def check_raise(data: dict[str, Any], categories: frozenset[str]) -> Raised:
    """Validate a new concern's fields, every problem at once (422). The building is the caller's to check."""
    problems: dict[str, str] = {}
    title = _text(data, "title", MAX_TITLE, problems)
    body = _text(data, "body", MAX_BODY, problems)
    category = data.get("category")
    if not isinstance(category, str) or category not in categories:
        problems["category"] = "invalid" if category not in (None, "") else "required"
    kind = data.get("kind") or "concern"
    if kind not in KINDS:
        problems["kind"] = "invalid"
    visibility = data.get("visibility") or "public"
    if visibility not in VISIBILITIES:
        problems["visibility"] = "invalid"
    behalf = on_behalf_name(data.get("on_behalf"), problems)
    if problems:
        raise Invalid(_("Please correct the concern."), fields=problems)
    return Raised(
        title=title,
        body=body,
        category=str(category),
        kind=str(kind),
        visibility=str(visibility),
        on_behalf=behalf,
    )


def check_category_label(raw: Any, existing: frozenset[str]) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(_("Name the category."), fields={"label": "required"})
    label = " ".join(raw.split())
    if len(label) > MAX_CATEGORY:
        raise Invalid(_("The category name is too long."), fields={"label": "too_long"})
    if label in existing:
        raise Conflict(_("The compound already has this category."), code="category_exists")
    return label


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    return status in OPEN and due_at is not None and now > due_at


def format_ref(seq: int, year: int) -> str:
    return f"{year}-{seq:04d}"

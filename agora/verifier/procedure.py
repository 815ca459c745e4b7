"""The procedure's facts on a record, checked (issue 14; ``docs/verify.md``, "The procedure").

Independent of the server like the rest of this package: the calendar rules are written again here
from ``docs/domain.md`` ("The calendar") and ``docs/api.md`` ("Procedure"), in Asia/Shanghai local
days. What a record states about its procedure must hold together with its own count and with the
calendar:

- ``rules`` (frozen at notice) are well formed, recompute to ``rules_fingerprint`` (and to the one
  published with the notice, ``--rules``), and are the rules the record was counted and posted with:
  the parking setting of the roll, the deemed-participation clause, the ballot secrecy, no replaced
  ballot without ``revote`` (a withdrawal of a mistaken paper ballot is no revote), the number of
  certifying signatures and the objection period;
- ``residents_committee``, when stated, was told at the notice, before voting opened;
- ``consents`` add up, and the verdict follows from the count and the consents (an elevator's vote is
  held back by a missing or refused consent of an occupied unit; art. 279 needs every consent);
- the publication dates: on display to the end of the 15th local day after posting, objections until
  the end of local day P + ``objection_days``, "published within 3 days" and its late flag;
- ``objections`` were filed within the objection period, and each one is answered on a final record.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agora.i18n import _

LOCAL = ZoneInfo("Asia/Shanghai")
DISPLAY_DAYS = 15
PUBLISH_DAYS = 3
_HEX64 = re.compile(r"[0-9a-f]{64}")
VERDICT_TEXT = {"passed": "通过", "no_decision": "未形成决定", "undetermined": "无法确定"}

# Each rule of procedure and what a valid value is (agora's rules of procedure, docs/api.md).
_INT_RULES = {
    "notice_days": (15, 365),
    "min_voting_days": (1, 365),
    "max_voting_days": (1, 365),
    "proxy_cap": (0, 365),
    "certify_signatures": (1, 15),
    "objection_days": (0, 60),
    "budget_margin_percent": (0, 100),
}
_BOOL_RULES = ("revote", "proxy_bar_property_staff")
RULE_KEYS = frozenset((*_INT_RULES, *_BOOL_RULES, "parking_counts", "deemed_participation", "ballot_secrecy"))


def rules_fingerprint(rules: dict) -> str:
    """SHA-256 of the rules' canonical JSON: sorted keys, no whitespace, UTF-8 as itself."""
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL)


class Checker:
    """Collects the procedure's problems into the report's list."""

    def __init__(self, record: dict, problems: list[str]) -> None:
        self.record = record
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def when(self, item: object, key: str, where: str) -> datetime | None:
        """A moment the record states (ISO 8601 with its offset), or a problem and None."""
        value = item.get(key) if isinstance(item, dict) else None
        moment = _moment(value)
        if moment is None:
            self.problem(
                _(
                    "{where}: {key} must be a time with its offset, not {value}.",
                    where=where,
                    key=key,
                    value=json.dumps(value, ensure_ascii=False),
                )
            )
        return moment

    def same_moment(self, item: dict, key: str, where: str, expected: datetime) -> None:
        stated = self.when(item, key, where)
        if stated is not None and stated != expected:
            self.problem(
                _(
                    "{where}: {key} is {stated}, the rules give {expected}.",
                    where=where,
                    key=key,
                    stated=item.get(key),
                    expected=expected.isoformat(),
                )
            )


# -- the rules frozen at notice ----------------------------------------------------------------------


def check_rules(c: Checker, expected: str | None) -> dict | None:
    """The rules, when the record states them (a record written before they were frozen has none)."""
    record = c.record
    rules = record.get("rules")
    if rules is None and "rules_fingerprint" not in record:
        if expected is not None:
            c.problem(_("The record states no rules of procedure to compare with --rules."))
        return None
    if not isinstance(rules, dict):
        c.problem(_("rules must be the rules of procedure frozen at notice."))
        return None
    bad = sorted(set(rules) ^ RULE_KEYS)
    for key, (low, high) in _INT_RULES.items():
        value = rules.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad.append(key)
    bad += [key for key in _BOOL_RULES if not isinstance(rules.get(key), bool)]
    parking = rules.get("parking_counts")
    if parking is not None and not isinstance(parking, bool):
        bad.append("parking_counts")
    if rules.get("ballot_secrecy") not in ("secret", "named"):
        bad.append("ballot_secrecy")
    clause = rules.get("deemed_participation")
    if clause is not None and (not isinstance(clause, str) or not clause.strip()):
        bad.append("deemed_participation")
    shortest, longest = rules.get("min_voting_days"), rules.get("max_voting_days")
    if isinstance(shortest, int) and isinstance(longest, int) and shortest > longest:
        bad.append("min_voting_days")
    if bad:
        c.problem(_("rules: not valid rules of procedure ({keys}).", keys=", ".join(sorted(set(bad)))))
    fingerprint = rules_fingerprint(rules)
    if record.get("rules_fingerprint") != fingerprint:
        c.problem(_("The rules of procedure do not match their fingerprint."))
    if expected is not None and expected.strip().lower() != fingerprint:
        c.problem(
            _(
                "The rules' fingerprint {fingerprint} is not the one published with the notice, {expected}.",
                fingerprint=fingerprint,
                expected=expected,
            )
        )
    return rules


def check_rules_applied(c: Checker, rules: dict, replaced_any: bool, matter: str = "") -> None:
    """The record was counted with the rules it states (an art. 279 record has no ballot to count:
    only its roll's parking setting applies)."""
    record = c.record
    roll = record.get("roll")
    if isinstance(roll, dict) and roll.get("parking_counts") != rules.get("parking_counts"):
        c.problem(_("The roll was counted with another parking setting than the rules frozen at notice."))
    if matter == "unanimous":
        return
    deemed = record.get("deemed_participation")
    clause = deemed.get("clause") if isinstance(deemed, dict) else None
    if (deemed is None) != (rules.get("deemed_participation") is None) or (
        deemed is not None and clause != rules.get("deemed_participation")
    ):
        c.problem(_("Deemed participation does not follow the clause in the rules frozen at notice."))
    if record.get("secrecy", "named") != rules.get("ballot_secrecy"):
        c.problem(_("The ballots' secrecy is not the one the rules frozen at notice chose."))
    if replaced_any and rules.get("revote") is not True:
        c.problem(_("A ballot was replaced, but the rules frozen at notice allow no revote."))


# -- the verdict and the consents --------------------------------------------------------------------


def check_consents(c: Checker, matter: str, counted_outcome: str | None) -> None:
    """The consents add up, and the verdict follows from the count and the consents."""
    consents = c.record.get("consents")
    held: bool | None = None  # None: no individual consent asked
    if consents is not None:
        keys = ("required", "consented", "refused", "pending")
        numbers = [consents.get(k) if isinstance(consents, dict) else None for k in keys]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            c.problem(_("consents must count the owners asked, who consented, refused, did not answer."))
            return
        required, consented, refused, pending = numbers
        if consented + refused + pending != required:  # type: ignore[operator]
            c.problem(
                _(
                    "consents: {consented} consented, {refused} refused and {pending} did not answer, "
                    "but {required} were asked.",
                    consented=consented,
                    refused=refused,
                    pending=pending,
                    required=required,
                )
            )
        held = bool(required) and consented == required
        if consents.get("unanimous") is not held:  # type: ignore[union-attr]
            c.problem(_("consents: unanimous must say whether every owner asked consented."))
        check_consent_owners(c, consents, matter)  # type: ignore[arg-type]
    if matter == "unanimous":
        if consents is None:
            c.problem(_("An art. 279 matter needs the consents of the owners concerned."))
        outcome: str | None = "passed" if held else "no_decision"
    elif counted_outcome == "passed" and held is False:
        outcome = "no_decision"  # an elevator passed by the entrance, held back by a consent
    else:
        outcome = counted_outcome
    if outcome is None or "verdict" not in c.record:
        return  # a record without a verdict claims none (the result's outcome is checked by the count)
    verdict = c.record["verdict"]
    if (
        not isinstance(verdict, dict)
        or verdict.get("outcome") != outcome
        or verdict.get("text") != VERDICT_TEXT[outcome]
    ):
        c.problem(
            _(
                "The verdict {verdict} does not follow from the count and the consents ({outcome}).",
                verdict=json.dumps(verdict, ensure_ascii=False),
                outcome=outcome,
            )
        )


ANSWERS = ("consented", "refused", "not_answered")
CONSENT_CHANNELS = ("online", "witnessed")


def check_consent_owners(c: Checker, consents: dict, matter: str) -> None:
    """Each owner's answer, when the record lists them (an art. 279 record must): the owners the
    proposal asks, once each; an answer given online or entered with its witness, within the voting
    window (nothing after the close); the counts are these answers'."""
    owners = consents.get("owners")
    if owners is None:
        if matter == "unanimous":
            c.problem(_("An art. 279 record lists each interested owner's answer."))
        return
    if not isinstance(owners, list):
        c.problem(_("consents.owners must list each owner's answer."))
        return
    timeline = c.record.get("timeline")
    timeline = timeline if isinstance(timeline, dict) else {}
    opens, closed = _moment(timeline.get("opens_at")), _moment(timeline.get("closed_at"))
    tally = dict.fromkeys(ANSWERS, 0)
    refs: list[str] = []
    for index, item in enumerate(owners):
        where = _("consent {index}", index=index)
        ref = item.get("owner_ref") if isinstance(item, dict) else None
        answer = item.get("answer") if isinstance(item, dict) else None
        if not isinstance(ref, str) or not ref or answer not in ANSWERS:
            c.problem(_("{where}: not an owner's answer (consented, refused, not_answered).", where=where))
            continue
        refs.append(ref)
        tally[answer] += 1
        channel, witness = item.get("channel"), item.get("witness")
        if answer == "not_answered":
            if channel is not None or witness is not None or item.get("at") is not None:
                c.problem(
                    _("{where}: an owner who did not answer has no channel, witness or time.", where=where)
                )
            continue
        if channel not in CONSENT_CHANNELS:
            c.problem(_("{where}: an answer is given online or entered with a witness.", where=where))
        elif (channel == "witnessed") != (isinstance(witness, str) and bool(witness.strip())):
            c.problem(
                _(
                    "{where}: an answer entered for an owner names its witness, one given online none.",
                    where=where,
                )
            )
        at = c.when(item, "at", where)
        if at is not None and ((opens is not None and at < opens) or (closed is not None and at >= closed)):
            c.problem(_("{where}: given outside the voting window.", where=where))
    if len(set(refs)) != len(refs):
        c.problem(_("consents: an owner is listed twice."))
    plan = c.record.get("proposal")
    listed = plan.get("affected" if matter == "unanimous" else "occupied") if isinstance(plan, dict) else None
    if isinstance(listed, list) and sorted(set(refs)) != sorted({str(r) for r in listed}):
        c.problem(_("consents: the owners answering are not the owners the proposal asks."))
    counted = (tally["consented"], tally["refused"], tally["not_answered"])
    if counted != (consents.get("consented"), consents.get("refused"), consents.get("pending")) or len(
        owners
    ) != consents.get("required"):
        c.problem(_("consents: the counts are not the owners' answers listed."))


# -- the residents' committee, publication and objections -------------------------------------------


def check_residents_committee(c: Checker) -> None:
    """Told at the notice, before voting opened (a record that says nothing claims nothing)."""
    told = c.record.get("residents_committee")
    if told is None:
        return
    where = "residents_committee"
    if not isinstance(told, dict) or not all(
        isinstance(told.get(k), str) and told[k] for k in ("hall", "name")
    ):
        c.problem(_("residents_committee must name the community and when it was told."))
        return
    staff = told.get("staff")
    if staff is not None and (isinstance(staff, bool) or not isinstance(staff, int) or staff < 0):
        c.problem(_("residents_committee: staff must count the staff members told."))
    timeline = c.record.get("timeline")
    timeline = timeline if isinstance(timeline, dict) else {}
    notified = c.when(told, "notified_at", where)
    notice = _moment(timeline.get("notice_at"))
    if notified is None:
        return
    if notice is None or notified != notice:
        c.problem(
            _(
                "The residents' committee was not told at the notice ({notice}).",
                notice=timeline.get("notice_at"),
            )
        )
    opens = _moment(timeline.get("opens_at"))
    if opens is not None and notified > opens:
        c.problem(_("The residents' committee was told after voting opened."))


def check_publication(c: Checker, rules: dict | None) -> None:
    record = c.record
    posted = record.get("posted_at")
    stage = record.get("stage")
    if "status" in record and record["status"] != (stage if posted is not None else "draft"):
        c.problem(_("The record's status {status} is not its stage.", status=json.dumps(record["status"])))
    if posted is None:
        if stage is not None or record.get("objections"):
            c.problem(_("A record that is not posted has no stage and no objections."))
        return
    posted_at = c.when(record, "posted_at", "record")
    if posted_at is None:
        return
    if stage not in ("preliminary", "final"):
        c.problem(_("A posted record is preliminary or final, not {stage}.", stage=json.dumps(stage)))
        return
    c.same_moment(
        record, "display_until", "record", _end_of_day(_day(posted_at) + timedelta(days=DISPLAY_DAYS))
    )
    certified = record.get("certified")
    signatures = len(certified) if isinstance(certified, list) else 0
    if rules is not None:
        required = rules.get("certify_signatures")
        if (
            record.get("signatures_required") != required
            or not isinstance(required, int)
            or signatures < required
        ):
            c.problem(
                _(
                    "The record was posted with {n} signatures; the rules frozen at notice need {required}.",
                    n=signatures,
                    required=required,
                )
            )
        if record.get("objection_days") != rules.get("objection_days"):
            c.problem(_("The objection period is not the one in the rules frozen at notice."))
    elif signatures < 1:
        c.problem(_("The record was posted without a signature."))
    days = record.get("objection_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        c.problem(_("objection_days must be a whole number of days."))
        return
    if stage == "preliminary":
        first_posting = posted_at
    else:
        preliminary = record.get("preliminary")
        if not isinstance(preliminary, dict):
            c.problem(_("A final record names its preliminary record."))
            return
        first = c.when(preliminary, "posted_at", "preliminary")
        if first is None:
            return
        shown_until = _end_of_day(_day(first) + timedelta(days=DISPLAY_DAYS))
        c.same_moment(preliminary, "display_until", "preliminary", shown_until)
        if not isinstance(preliminary.get("hash"), str) or not _HEX64.fullmatch(preliminary["hash"]):
            c.problem(_("A final record names its preliminary record by its hash."))
        if not isinstance(record.get("objections"), list):
            c.problem(_("A final record lists the objections and their answers."))
        first_posting = first
    until = _end_of_day(_day(first_posting) + timedelta(days=days))
    c.same_moment(record, "objections_until", "record", until)
    if stage == "preliminary":
        timeline = record.get("timeline")
        event = c.when(timeline, "closed_at", "timeline") if isinstance(timeline, dict) else None
        if event is None:
            return
    else:
        event = until
        if posted_at < _day_start(_day(until) + timedelta(days=1)):
            c.problem(_("The final record was posted before the objection period ended."))
    if first_posting < event and stage == "preliminary":
        c.problem(_("The record was posted before the vote closed."))
    c.same_moment(record, "publish_by", "record", _end_of_day(_day(event) + timedelta(days=PUBLISH_DAYS)))
    late = posted_at >= _day_start(_day(event) + timedelta(days=PUBLISH_DAYS + 1))
    if record.get("published_late") is not late:
        c.problem(_("published_late must say {late}: posted {posted}.", late=json.dumps(late), posted=posted))
    check_objections(c, stage, first_posting, until)


def check_objections(c: Checker, stage: str, posted_at: datetime, until: datetime) -> None:
    objections = c.record.get("objections", [])
    if not isinstance(objections, list):
        c.problem(_("objections must be a list."))
        return
    seen: set[int] = set()
    for index, item in enumerate(objections):
        where = _("objection {index}", index=index)
        ident = item.get("id") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or isinstance(ident, bool)
            or not isinstance(ident, int)
            or ident in seen
        ):
            c.problem(_("{where}: not an objection with its own id.", where=where))
            continue
        seen.add(ident)
        if not isinstance(item.get("body"), str) or not item["body"].strip():
            c.problem(_("{where}: the objection has no text.", where=where))
        at = c.when(item, "at", where)
        if at is not None and not posted_at <= at < _day_start(_day(until) + timedelta(days=1)):
            c.problem(_("{where}: filed outside the objection period.", where=where))
        answer = item.get("answer")
        if stage == "final":
            if not isinstance(answer, str) or not answer.strip():
                c.problem(_("{where}: a final record answers every objection.", where=where))
            answered = c.when(item, "answered_at", where)
            if answered is not None and at is not None and answered < at:
                c.problem(_("{where}: answered before it was filed.", where=where))
        elif answer is not None or item.get("answered_at") is not None:
            c.problem(_("{where}: only the final record answers objections.", where=where))


def check_procedure(
    record: dict,
    problems: list[str],
    *,
    matter: str,
    counted_outcome: str | None,
    replaced_any: bool,
    expected_rules: str | None = None,
) -> None:
    """Every procedural fact the record states, checked; problems are appended, nothing raised."""
    c = Checker(record, problems)
    rules = check_rules(c, expected_rules)
    if rules is not None:
        check_rules_applied(c, rules, replaced_any, matter)
    check_consents(c, matter, counted_outcome)
    check_residents_committee(c)
    check_publication(c, rules)

"""The verifier vouches for the procedure a record states: the rules frozen at notice, the residents'
committee, the consents and the verdict, the publication dates, the objections (docs/verify.md).

Records are written with the SERVER's code (rules, calendar, consents); the verifier re-derives each fact
on its own, so the two agree on a sound record, and each forged fact fails.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from agora.ballots.consenting import public_consents
from agora.ballots.consents import tally_consents
from agora.ballots.resolution import VERDICTS
from agora.i18n import use_locale
from agora.proposals import calendar
from agora.rooms.rules import Rules, rules_fingerprint
from agora.verifier import verify_record
from tests.verifier.records import make_record

UNITS = [
    ("3", "1", "1-101", 8_950, "home", "owned", "P01"),
    ("3", "1", "1-102", 10_000, "home", "owned", "P02"),
    ("3", "1", "1-201", 12_025, "home", "owned", "P03"),
    ("3", "1", "1-202", 8_950, "home", "owned", "P04"),
]
VOTES = [("P01", "yes", "online", None), ("P02", "yes", "online", None), ("P03", "yes", "paper", None)]
LOCAL = calendar.LOCAL_TZ
NOTICE = datetime(2026, 11, 1, 9, 0, tzinfo=LOCAL)
OPENS = datetime(2026, 11, 17, 9, 0, tzinfo=LOCAL)
CLOSED = datetime(2026, 11, 24, 9, 0, tzinfo=LOCAL)


def iso(moment: datetime) -> str:
    return moment.astimezone(LOCAL).isoformat()


def procedure_record(
    *,
    posted: datetime | None = CLOSED + timedelta(days=1),
    final: datetime | None = None,
    objections: tuple[datetime, ...] = (),
    rules: Rules | None = None,
    consents: dict[str, bool] | None = None,
    required: tuple[str, ...] = (),
    votes=VOTES,
) -> dict:
    """A named vote's record with the whole procedure, as agora writes it."""
    rules = rules or Rules(parking_counts=True, ballot_secrecy="named")
    record = make_record(UNITS, votes, item=7)
    outcome = record["result"]["outcome"]
    tally = tally_consents(required, consents) if consents is not None else None
    if tally is not None and outcome == "passed" and not tally.unanimous:
        outcome = "no_decision"
    record.update(
        {
            "timeline": {"notice_at": iso(NOTICE), "opens_at": iso(OPENS), "closed_at": iso(CLOSED)},
            "rules": rules.to_json(),
            "rules_fingerprint": rules_fingerprint(rules),
            "residents_committee": {"hall": "sunshine", "name": "阳光社区", "notified_at": iso(NOTICE)},
            "consents": public_consents(tally),
            "verdict": {"outcome": outcome, "text": VERDICTS[outcome]},
            "certified": [],
            "posted_at": None,
            "display_until": None,
        }
    )
    if posted is None:
        record["status"] = "draft"
        return record
    record.update(
        {
            "certified": [{"by": f"委员{i}", "at": iso(posted)} for i in range(rules.certify_signatures)],
            "signatures_required": rules.certify_signatures,
            "stage": "preliminary",
            "status": "preliminary",
            "posted_at": iso(posted),
            "display_until": iso(calendar.display_until(posted)),
            "objection_days": rules.objection_days,
            "objections_until": iso(calendar.objections_until(posted, rules.objection_days)),
            "publish_by": iso(calendar.publish_deadline(CLOSED)),
            "published_late": calendar.published_late(CLOSED, posted),
            "objections": [
                {"id": 10 + i, "body": "计票有误", "at": iso(at), "answer": None, "answered_at": None}
                for i, at in enumerate(objections)
            ],
        }
    )
    if final is not None:
        until = calendar.objections_until(posted, rules.objection_days)
        record.update(
            {
                "stage": "final",
                "status": "final",
                "preliminary": {
                    "posted_at": record["posted_at"],
                    "display_until": record["display_until"],
                    "hash": "a" * 64,
                },
                "finalized_by": "委员0",
                "posted_at": iso(final),
                "display_until": iso(calendar.display_until(final)),
                "publish_by": iso(calendar.publish_deadline(until)),
                "published_late": calendar.published_late(until, final),
            }
        )
        for item in record["objections"]:
            item.update(answer="已核对，计票无误", answered_at=iso(final), answered_by="委员0")
    return record


@pytest.fixture(autouse=True)
def english():
    with use_locale("en"):
        yield


def problems(record: dict, **expected: str) -> list[str]:
    report = verify_record(record, **expected)
    assert report.ok is (not report.problems)
    return report.problems


def test_a_sound_record_holds_at_every_stage() -> None:
    assert problems(procedure_record(posted=None)) == []
    assert problems(procedure_record()) == []
    posted = CLOSED + timedelta(days=1)
    sound = procedure_record(objections=(posted + timedelta(hours=2),), final=posted + timedelta(days=8))
    assert problems(sound) == []
    assert problems(sound, expected_rules=sound["rules_fingerprint"]) == []


# --- the rules frozen at notice ----------------------------------------------------------------------


def test_a_rule_changed_on_the_record_fails_its_fingerprint_and_the_published_one() -> None:
    record = procedure_record()
    published = record["rules_fingerprint"]
    record["rules"]["proxy_cap"] = 5  # a valid value, just not the one announced
    assert any("fingerprint" in p for p in problems(record))
    record["rules_fingerprint"] = rules_fingerprint(Rules(**record["rules"]))  # a consistent forger
    assert problems(record) == []
    assert any("published with the notice" in p for p in problems(record, expected_rules=published))


@pytest.mark.parametrize(
    ("key", "value"),
    [("notice_days", 14), ("min_voting_days", 0), ("certify_signatures", 0), ("revote", "no"),
     ("ballot_secrecy", "open"), ("parking_counts", 1), ("objection_days", -1)],
)  # fmt: skip
def test_rules_out_of_range_are_not_rules(key: str, value: object) -> None:
    record = procedure_record()
    record["rules"][key] = value
    record["rules_fingerprint"] = rules_fingerprint_of(record["rules"])
    assert any(key in p and "not valid" in p for p in problems(record))


def rules_fingerprint_of(rules: dict) -> str:
    import hashlib
    import json

    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_record_must_be_counted_with_its_rules() -> None:
    # parking counted while the rules say it does not
    rules = Rules(parking_counts=False, ballot_secrecy="named")
    assert any("parking setting" in p for p in problems(procedure_record(rules=rules)))
    # a secret vote under rules that say named, and the reverse
    secret = Rules(parking_counts=True, ballot_secrecy="secret")
    assert any("secrecy" in p for p in problems(procedure_record(rules=secret)))
    # deemed participation without the clause in the rules
    clause = Rules(parking_counts=True, ballot_secrecy="named", deemed_participation="第十二条")
    assert any("Deemed participation" in p for p in problems(procedure_record(rules=clause)))
    # a replaced ballot without revote; with revote it holds
    revoted = [*VOTES, ("P01", "no", "online", 1)]
    assert any("revote" in p for p in problems(procedure_record(votes=revoted)))
    allowed = Rules(parking_counts=True, ballot_secrecy="named", revote=True)
    assert problems(procedure_record(votes=revoted, rules=allowed)) == []


def test_posted_with_fewer_signatures_than_the_rules_need() -> None:
    rules = Rules(parking_counts=True, ballot_secrecy="named", certify_signatures=2)
    record = procedure_record(rules=rules)
    assert problems(record) == []
    record["certified"].pop()
    assert any("signatures" in p for p in problems(record))


# --- the residents' committee -----------------------------------------------------------------------


def test_the_residents_committee_is_told_at_the_notice_before_the_vote_opens() -> None:
    record = procedure_record()
    record["residents_committee"]["notified_at"] = iso(OPENS + timedelta(minutes=1))
    found = problems(record)
    assert any("not told at the notice" in p for p in found) and any(
        "after voting opened" in p for p in found
    )
    record["residents_committee"] = None  # says nothing: claims nothing
    assert problems(record) == []
    record["residents_committee"] = {"hall": "sunshine", "name": "", "notified_at": iso(NOTICE)}
    assert problems(record)


# --- consents and the verdict -----------------------------------------------------------------------


def test_an_elevator_vote_is_held_back_by_a_missing_consent() -> None:
    held = procedure_record(consents={"A": True}, required=("A", "B"))
    assert held["verdict"]["outcome"] == "no_decision" and problems(held) == []
    forged = copy.deepcopy(held)
    forged["verdict"] = {"outcome": "passed", "text": "通过"}
    assert any("verdict" in p for p in problems(forged))
    forged = copy.deepcopy(held)
    forged["consents"]["pending"] = 0  # the counts no longer add up
    assert any("were asked" in p for p in problems(forged))
    forged = copy.deepcopy(held)
    forged["consents"].update(consented=2, pending=0)  # the counts add up, the flag does not follow
    assert any("unanimous" in p for p in problems(forged))
    every = procedure_record(consents={"A": True, "B": True}, required=("A", "B"))
    assert every["verdict"]["outcome"] == "passed" and problems(every) == []


def test_a_verdict_that_is_not_the_count_fails() -> None:
    record = procedure_record(votes=[("P01", "no", "online", None)])
    assert record["verdict"]["outcome"] == "no_decision" and problems(record) == []
    record["verdict"] = {"outcome": "passed", "text": "通过"}
    assert any("verdict" in p for p in problems(record))


# --- publication dates, Asia/Shanghai local days ---------------------------------------------------


def test_published_within_three_days_at_the_last_second_and_late_at_midnight() -> None:
    last = datetime(2026, 11, 27, 23, 59, 59, tzinfo=LOCAL)  # closed on the 24th: day C + 3
    on_time = procedure_record(posted=last)
    assert on_time["published_late"] is False and problems(on_time) == []
    late = procedure_record(posted=last + timedelta(seconds=1))
    assert late["published_late"] is True and problems(late) == []
    late["published_late"] = False
    assert any("published_late" in p for p in problems(late))


def test_display_and_objection_dates_are_counted_in_local_days() -> None:
    posted = datetime(2026, 11, 25, 0, 30, tzinfo=LOCAL)  # 16:30 UTC the day before
    record = procedure_record(posted=posted)
    assert record["display_until"] == "2026-12-10T23:59:59+08:00"
    for key, wrong in (
        ("display_until", iso(posted + timedelta(days=15))),  # posting time + 15 × 24 h
        ("objections_until", "2026-12-01T23:59:59+08:00"),  # one day short of 7
        ("publish_by", "2026-11-28T23:59:59+08:00"),
    ):
        forged = copy.deepcopy(record)
        forged[key] = wrong
        assert any(key in p for p in problems(forged)), key
    forged = copy.deepcopy(record)
    forged["objection_days"] = 3  # not the rules' 7
    assert problems(forged)


def test_objections_are_filed_in_the_period_and_answered_on_the_final_record() -> None:
    posted = datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL)
    last_second = datetime(2026, 12, 2, 23, 59, 59, tzinfo=LOCAL)  # end of day P + 7
    final_at = datetime(2026, 12, 3, 0, 0, tzinfo=LOCAL)
    record = procedure_record(posted=posted, objections=(last_second,), final=final_at)
    assert problems(record) == []
    late = copy.deepcopy(record)
    late["objections"][0]["at"] = iso(final_at)
    assert any("outside the objection period" in p for p in problems(late))
    unanswered = copy.deepcopy(record)
    unanswered["objections"][0]["answer"] = ""
    assert any("answers every objection" in p for p in problems(unanswered))
    early = procedure_record(posted=posted, objections=(last_second,), final=last_second)
    assert any("before the objection period ended" in p for p in problems(early))
    preliminary = procedure_record(posted=posted, objections=(last_second,))
    preliminary["objections"][0]["answer"] = "已答复"  # answered before the final record
    assert any("only the final record" in p for p in problems(preliminary))


def test_stage_and_status_must_agree_with_the_posting() -> None:
    record = procedure_record()
    record["stage"] = "final"  # final without a preliminary record
    assert any("preliminary record" in p for p in problems(record))
    record = procedure_record()
    record["status"] = "final"
    assert any("status" in p for p in problems(record))
    del record["status"]  # the stored document has none (the API adds it): the stage is what is checked
    assert not problems(record)
    draft = procedure_record(posted=None)
    draft["stage"] = "preliminary"
    assert problems(draft)


def test_forged_procedure_values_are_reported_never_raised() -> None:
    record = procedure_record(objections=(CLOSED + timedelta(days=2),), final=CLOSED + timedelta(days=9))
    for key in ("rules", "residents_committee", "consents", "objections", "preliminary", "posted_at",
                "objection_days", "verdict", "stage", "timeline"):  # fmt: skip
        for value in (None, "", 0, [], {}, "x", True, [1], {"a": 1}):
            forged = copy.deepcopy(record)
            forged[key] = value
            verify_record(forged)  # must not raise


# --- art. 279: the interested owners' consents, no ballots ------------------------------------------


def consent_record(answers: dict[str, bool | None], **kwargs) -> dict:
    """An art. 279 record as agora writes it (`resolution.build_consent_document`), from the same roll:
    each owner's answer (None: not answered), online for P-owners A and B, entered with a witness for C."""
    record = procedure_record(votes=[], **kwargs)
    refs = list(answers)
    tally = tally_consents(refs, {ref: v for ref, v in answers.items() if v is not None})
    outcome = "passed" if tally.unanimous else "no_decision"
    owners = []
    for ref, answer in answers.items():
        channel = None if answer is None else ("witnessed" if ref == "C" else "online")
        owners.append(
            {
                "owner_ref": ref,
                "units": ["3/1-101"],
                "answer": {True: "consented", False: "refused", None: "not_answered"}[answer],
                "channel": channel,
                "witness": "网格员 李" if channel == "witnessed" else None,
                "at": None if answer is None else iso(OPENS + timedelta(days=1)),
            }
        )
    record["proposal"].update(matter="unanimous", item=None, affected=refs)
    record.update(
        participation=[],
        result={"outcome": outcome, "reason": None if outcome == "passed" else "not_unanimous", "tests": []},
        verdict={"outcome": outcome, "text": VERDICTS[outcome]},
        consents=public_consents(tally, owners),
        deemed_participation=None,
    )
    for key in ("channels", "secrecy"):
        record.pop(key, None)
    return record


def test_an_art_279_record_holds_and_every_forged_answer_fails() -> None:
    assert problems(consent_record({"A": True, "B": True, "C": True})) == []
    refused = consent_record({"A": True, "B": False, "C": None}, final=CLOSED + timedelta(days=9))
    assert problems(refused) == []

    def forged(change) -> list[str]:
        record = copy.deepcopy(refused)
        change(record)
        return problems(record)

    def refusal_as_consent(r: dict) -> None:
        r["consents"]["owners"][1]["answer"] = "consented"

    def counts_to_passed(r: dict) -> None:
        r["consents"].update(consented=3, refused=0, pending=0, unanimous=True)
        r["verdict"] = {"outcome": "passed", "text": "通过"}
        r["result"]["outcome"] = "passed"

    def after_the_close(r: dict) -> None:
        r["consents"]["owners"][0]["at"] = iso(CLOSED)

    def entered_without_witness(r: dict) -> None:
        r["consents"]["owners"][0].update(channel="witnessed", witness=None)

    def silent_with_a_time(r: dict) -> None:
        r["consents"]["owners"][2]["at"] = iso(OPENS)

    def an_owner_not_asked(r: dict) -> None:
        r["consents"]["owners"][2]["owner_ref"] = "Z"

    def a_ballot(r: dict) -> None:
        r["participation"] = [{"building": "3", "unit": "1-101", "area": "89.50"}]

    def no_owner_list(r: dict) -> None:
        del r["consents"]["owners"]

    for change in (
        refusal_as_consent,
        counts_to_passed,
        after_the_close,
        entered_without_witness,
        silent_with_a_time,
        an_owner_not_asked,
        a_ballot,
        no_owner_list,
    ):
        assert forged(change), change.__name__
    assert any("art. 279" in p for p in forged(no_owner_list))

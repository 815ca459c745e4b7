"""`agora verify` checks that the frozen roll is the scope the record states: a maintenance-fund spend's
roll is exactly the units it charges, an entrance's roll only that entrance (docs/domain.md, Scope).

Records are written with the server's code (tests/verifier/records.py); the check is the verifier's own.
"""

from __future__ import annotations

import copy

from agora.i18n import use_locale
from agora.verifier import verify_record
from tests.verifier.records import make_record

UNITS = [
    ("1", "1", "101", 10_000, "home", "owned", "P01"),
    ("1", "1", "102", 10_000, "home", "owned", "P02"),
    ("1", "2", "201", 5_000, "home", "owned", "P03"),
    ("1", "2", "202", 5_000, "home", "owned", "P03"),  # one owner, two charged units: one person
]
VOTES = [("P01", "yes", "online", None), ("P02", "yes", "online", None), ("P03", "no", "paper", None)]
CHARGED = ["1/101", "1/102", "1/201", "1/202"]


def spend_record(units=UNITS, listed=CHARGED, frozen=CHARGED) -> dict:
    record = make_record(units, VOTES, matter="ordinary", item=5)
    record["proposal"]["charged_units"] = listed
    record["scope"] = {"kind": "charged", "hall": "sunny", "entrance": None, "charged_units": frozen}
    return record


def problems_of(record: dict) -> list[str]:
    with use_locale("en"):
        return verify_record(record).problems


def test_a_spend_whose_roll_is_exactly_its_charged_units_holds() -> None:
    report = verify_record(spend_record())
    assert report.ok, report.problems
    assert report.recount["tests"]  # counted over the charged units: N 3, A 300 m²


def test_a_roll_with_a_unit_the_spend_does_not_charge_fails_naming_it() -> None:
    # Re-written consistently (fingerprint, totals, result): only the scope check can see it.
    extra = (*UNITS, ("2", "1", "101", 10_000, "home", "owned", "P09"))
    problems = problems_of(spend_record(units=extra))
    assert problems == ["The roll holds units the spend does not charge: 2/101."]


def test_a_charged_unit_missing_from_the_roll_fails_naming_it() -> None:
    problems = problems_of(spend_record(units=UNITS[:3]))
    assert problems == ["Units charged by the spend are missing from the roll: 1/202."]


def test_the_proposal_and_the_frozen_scope_must_list_the_same_units() -> None:
    problems = problems_of(spend_record(frozen=CHARGED[:3]))
    assert problems == ["The units charged by the spend differ between the proposal and the frozen scope."]
    twice = problems_of(spend_record(listed=[*CHARGED, "1/101"]))
    assert twice == ["A unit is listed twice among the units charged by the spend."]
    record = spend_record()
    del record["scope"]["charged_units"]
    assert problems_of(record) == [
        "The record does not say the same maintenance-fund scope in its proposal and its scope."
    ]
    record = spend_record()
    record["proposal"]["charged_units"] = "1/101"
    assert not verify_record(record).ok


def test_an_entrance_vote_holds_only_that_entrance() -> None:
    record = make_record(UNITS[:2], VOTES[:2], item=7)
    record["scope"] = {"kind": "entrance", "hall": "sunny-b1", "entrance": "1"}
    assert verify_record(record).ok
    wider = make_record(UNITS, VOTES, item=7)
    wider["scope"] = copy.deepcopy(record["scope"])
    assert problems_of(wider) == [
        "The vote was of entrance 1, but the roll holds units of other entrances: 1/201, 1/202."
    ]


def test_a_whole_hall_vote_has_no_scope_to_check() -> None:
    record = make_record(UNITS, VOTES, item=7)
    record["scope"] = {"kind": "compound", "hall": "sunny", "entrance": None}
    assert verify_record(record).ok
    assert verify_record(make_record(UNITS, VOTES, item=7)).ok  # older records carry no scope

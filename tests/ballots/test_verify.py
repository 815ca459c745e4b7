"""Re-counting a resolution record: a sound record holds, every tampering is caught."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from agora.ballots.chain import GENESIS, append, effective, entry_hash, hash_receipt
from agora.ballots.tally import CountedBallot, DeemedParticipation, result_to_json, tally_owners
from agora.ballots.verify import public_roll_fingerprint, verify_record
from agora.i18n import use_locale

PROPOSAL = 7


@pytest.fixture(autouse=True)
def english():
    """Some assertions look for English words in the problems: pin the locale they are written in."""
    with use_locale("en"):
        yield


BODY = "在3幢1单元加装电梯，费用按楼层分摊。"
CLAUSE = "议事规则第十二条"

# building, entrance, unit, area in cents, kind, status, person
UNITS = [
    ("3", "1", "1-101", 8_950, "home", "owned", "P01"),
    ("3", "1", "1-102", 10_000, "home", "owned", "P02"),
    ("3", "", "P-01", 1_250, "parking", "owned", "P02"),
    ("3", "1", "1-201", 12_025, "home", "owned", "P03"),
    ("3", "2", "2-201", 7_500, "home", "owned", "P03"),  # one owner, two units: one person
    ("3", "1", "1-202", 8_950, "home", "owned", "P04"),
    ("3", "2", "2-101", 11_000, "home", "owned", "P05"),
    ("3", "2", "2-102", 6_000, "shop", "owned", "P06"),
    ("3", "2", "2-301", 9_500, "home", "unsold", "DEV"),  # the developer: one person
    ("3", "2", "2-302", 9_500, "home", "undelivered", "DEV"),
    ("3", "2", "2-202", 8_888, "home", "owned", "P07"),
]
# person, choice, channel, replaces
VOTES = [
    ("P01", "yes", "online", None),
    ("P02", "no", "online", None),
    ("P03", "yes", "online", None),
    ("P04", "yes", "online", None),
    ("P02", "yes", "online", 2),  # P02 changes their mind
    ("DEV", "yes", "paper", None),
    ("P05", "abstain", "proxy", None),
]


def area(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def unit_json(row) -> dict:
    keys = ("building", "entrance", "unit", "area", "kind", "status", "person")
    return dict(zip(keys, (*row[:3], area(row[3]), *row[4:]), strict=True))


def rechain(record: dict, renumber: bool = False) -> None:
    """What a forger with write access does: recompute every link and hash, and the head."""
    prev = GENESIS
    for seq, item in enumerate(record["ledger"]["entries"], start=1):
        if renumber:
            item["seq"] = seq
        item["prev"] = prev
        cents = int(item["area"].replace(".", ""))
        item["hash"] = prev = entry_hash(PROPOSAL, item["seq"], item["receipt_hash"], item["choice"],
                                         item["persons"], cents, item["channel"], item["at"],
                                         item["replaces"], prev)
    record["ledger"]["head"] = prev


def refingerprint(record: dict) -> None:
    roll = record["roll"]
    roll["public_fingerprint"] = public_roll_fingerprint(roll["units"], roll["parking_counts"])


def recount_result(record: dict) -> None:
    """A forger who also rewrites the claimed result to agree with a rewritten ledger."""
    entries = record["ledger"]["entries"]
    live = {e["seq"] for e in entries} - {e["replaces"] for e in entries}
    ballots = [CountedBallot(e["choice"], e["persons"], int(e["area"].replace(".", ""))) for e in entries
               if e["seq"] in live]
    totals = record["roll"]["totals"]
    record["result"] = result_to_json(tally_owners("major", totals["persons"],
                                                   int(totals["area"].replace(".", "")), ballots))


def make_record(parking_counts=True, votes=VOTES, deemed_persons=(), units=UNITS) -> dict:
    counted = [u for u in units if u[4] != "parking" or parking_counts]
    weights: dict[str, int] = {}
    for u in counted:
        weights[u[6]] = weights.get(u[6], 0) + u[3]
    entries, prev = [], GENESIS
    for seq, (person, choice, channel, replaces) in enumerate(votes, start=1):
        entry = append(prev, PROPOSAL, seq, receipt_hash=hash_receipt(f"R{seq:09d}"), choice=choice,
                       persons=1, area_cents=weights[person], channel=channel,
                       at=f"2025-03-{seq:02d}T09:30:00+08:00", replaces=replaces)
        entries.append(entry)
        prev = entry.hash
    ballots = [CountedBallot(e.choice, e.persons, e.area_cents) for e in effective(entries)]
    deemed = None
    if deemed_persons:
        silent = [CountedBallot("abstain", 1, weights[p]) for p in deemed_persons]
        deemed = DeemedParticipation(CLAUSE, silent)
    result = tally_owners("major", len(weights), sum(weights.values()), ballots, deemed=deemed)
    voters = {person for person, *_ in votes}
    roll_units = units
    units = [unit_json(u) for u in roll_units]
    record = {
        "format": "agora-resolution/1",
        "number": "2025-003",
        "proposal": {"id": PROPOSAL, "matter": "major", "item": 7, "body": BODY,
                     "body_sha256": hashlib.sha256(BODY.encode()).hexdigest()},
        "roll": {"parking_counts": parking_counts, "fingerprint": "f" * 64, "units": units,
                 "public_fingerprint": public_roll_fingerprint(units, parking_counts),
                 "totals": {"persons": len(weights), "area": area(sum(weights.values()))}},
        "ledger": {
            "entries": [{"seq": e.seq, "receipt_hash": e.receipt_hash, "choice": e.choice,
                         "persons": e.persons, "area": area(e.area_cents), "channel": e.channel, "at": e.at,
                         "replaces": e.replaces, "prev": e.prev, "hash": e.hash} for e in entries],
            "head": prev,
        },
        "result": result_to_json(result),
        "participation": [{"building": u[0], "unit": u[2], "area": area(u[3])} for u in counted
                          if u[6] in voters],
    }
    if deemed_persons:
        record["deemed_participation"] = {
            "clause": CLAUSE,
            "units": [{"building": u[0], "unit": u[2]} for u in roll_units if u[6] in deemed_persons],
        }
    return record


RECORD = make_record()
HEAD = RECORD["ledger"]["head"]


def test_a_sound_record_holds_and_its_figures_are_right():
    """N = 8 (P03 and the developer count once each), A = 935.63 m² with the parking space.

    6 take part: 3·6 = 18 >= 16; 786.75 m²: 3·78675 = 236025 >= 187126. Yes 5 persons (P02's revote
    counts, not their first ballot), 676.75 m²: 4·5 = 20 >= 18 and 4·67675 = 270700 >= 236025.
    """
    report = verify_record(copy.deepcopy(RECORD), expected_head=HEAD)
    assert report.problems == []
    assert report.ok
    recount = report.recount
    assert recount["outcome"] == "passed"
    assert recount["totals"] == {"persons": 8, "area": "935.63"}
    assert recount["participating"] == {"persons": 6, "area": "786.75"}
    assert recount["choices"]["yes"] == {"persons": 5, "area": "676.75"}
    assert recount["choices"]["no"] == {"persons": 0, "area": "0.00"}
    assert recount["choices"]["abstain"] == {"persons": 1, "area": "110.00"}


def test_parking_that_does_not_count_is_left_out():
    record = make_record(parking_counts=False)
    report = verify_record(record)
    assert report.ok, report.problems
    assert report.recount["totals"] == {"persons": 8, "area": "923.13"}
    assert report.recount["participating"] == {"persons": 6, "area": "774.25"}


def test_public_fingerprint_canonical_form():
    units = [unit_json(("三", "", "1-101", 8950, "home", "owned", "P01"))]
    text = '{"parking_counts":null,"units":[["三","","1-101",8950,"home","owned","P01"]]}'
    assert public_roll_fingerprint(units, None) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    units = [unit_json(u) for u in UNITS]
    assert public_roll_fingerprint(units[::-1], True) == public_roll_fingerprint(units, True)
    assert public_roll_fingerprint(units, True) != public_roll_fingerprint(units, False)
    with pytest.raises(ValueError):
        public_roll_fingerprint([{**units[0], "area": 89.5}], True)


def tamper(path: str, value):
    def change(record):
        *parents, last = path.split(".")
        target = record
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[int(last) if isinstance(target, list) else last] = value
    return change


def _remove_entry(record):
    del record["ledger"]["entries"][3]


def _insert_entry(record):
    entries = record["ledger"]["entries"]
    extra = dict(entries[0], seq=4, receipt_hash=hash_receipt("EXTRA"), area="88.88")
    entries.insert(3, extra)


def _reorder(record):
    entries = record["ledger"]["entries"]
    entries[2], entries[3] = entries[3], entries[2]


def _reorder_revote(record):
    entries = record["ledger"]["entries"]
    entries[1], entries[4] = entries[4], entries[1]


def _split_developer(record):
    record["roll"]["units"][9]["person"] = "DEV2"
    refingerprint(record)


TAMPERINGS = {
    "changed choice": tamper("ledger.entries.0.choice", "no"),
    "changed entry area": tamper("ledger.entries.0.area", "89.51"),
    "removed entry": _remove_entry,
    "inserted entry": _insert_entry,
    "reordered entries": _reorder,
    "revote moved before its ballot": _reorder_revote,
    "changed roll area": tamper("roll.units.0.area", "99.50"),
    "changed roll person": tamper("roll.units.7.person", "P05"),
    "changed roll totals": tamper("roll.totals.area", "935.64"),
    "changed verdict": tamper("result.outcome", "no_decision"),
    "changed reason": tamper("result.reason", "not_approved"),
    "changed test verdict": tamper("result.tests.2.met", False),
    "test verdict as a number": tamper("result.tests.0.met", 1),
    "changed test figure": tamper("result.tests.0.value", "7/8"),
    "changed total": tamper("result.totals.persons", 9),
    "changed participating area": tamper("result.participating.area", "786.70"),
    "changed choice count": tamper("result.choices.no.persons", 1),
    "deemed added": tamper("result.deemed", {"clause": CLAUSE}),
    "changed head": tamper("ledger.head", "a" * 64),
    "participation row changed": tamper("participation.0.area", "89.60"),
    "participation row removed": lambda record: record["participation"].pop(),
    "participation of a stranger": tamper("participation.0.unit", "9-999"),
    "developer split in two": _split_developer,
    "body changed": tamper("proposal.body", BODY + " "),
    "item of another matter": tamper("proposal.item", 5),
    "another proposal": tamper("proposal.id", 8),
    "unknown format": tamper("format", "agora-resolution/0"),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_tampering_is_caught(name):
    record = copy.deepcopy(RECORD)
    TAMPERINGS[name](record)
    report = verify_record(record)
    assert not report.ok
    assert report.problems


REWRITES = ["changed choice", "changed entry area", "removed entry", "inserted entry",
            "revote moved before its ballot"]


@pytest.mark.parametrize("name", REWRITES)
def test_a_rewritten_chain_is_caught_by_the_recount(name):
    """Rewriting hashes and head hides the edit from the chain check, not from the figures."""
    record = copy.deepcopy(RECORD)
    TAMPERINGS[name](record)
    rechain(record, renumber=True)
    assert not verify_record(record).ok
    assert any(HEAD in problem for problem in verify_record(record, expected_head=HEAD).problems)


def test_a_harmless_reorder_rewritten_is_caught_by_the_expected_head():
    """Two independent ballots swapped and re-chained change no figure; the posted head still differs."""
    record = copy.deepcopy(RECORD)
    _reorder(record)
    rechain(record, renumber=True)
    assert verify_record(record).ok
    assert not verify_record(record, expected_head=HEAD).ok


def test_a_consistent_forgery_is_caught_only_by_the_expected_head():
    """Choice changed, chain, head and result all rewritten to agree: only the posted head tells."""
    record = copy.deepcopy(RECORD)
    record["ledger"]["entries"][0]["choice"] = "no"
    rechain(record)
    recount_result(record)
    assert verify_record(record).ok
    report = verify_record(record, expected_head=HEAD)
    assert not report.ok
    assert any(HEAD in problem for problem in report.problems)


def test_shifted_weights_are_caught_even_when_sums_agree():
    """89.50 -> 90.00 and 110.00 -> 109.50: totals unchanged, but no owner weighs 90.00 m²."""
    record = copy.deepcopy(RECORD)
    entries = record["ledger"]["entries"]
    entries[0]["area"], entries[6]["area"] = "90.00", "109.50"
    rechain(record)
    recount_result(record)
    report = verify_record(record)
    assert report.problems == [_("The ballots' weights do not match the participating owners' weights.")]


def _(message: str, **params) -> str:
    return verify_record.__globals__["_"](message, **params)


def test_developer_counted_as_two_persons_is_caught():
    """A roll consistent in every figure, but the developer's two unsold units carry two person keys."""
    units = [u if u[2] != "2-302" else (*u[:6], "DEV2") for u in UNITS]
    record = make_record(units=units, votes=[*VOTES, ("DEV2", "yes", "paper", None)])
    assert verify_record(record).problems == [
        _("Unsold and undelivered units must count as one person, the roll has {n}.", n=2)
    ]


def test_participation_rows_must_carry_the_roll_areas():
    """89.50 -> 89.60 and 100.00 -> 99.90: the sum agrees, each row does not."""
    record = copy.deepcopy(RECORD)
    record["participation"][0]["area"], record["participation"][1]["area"] = "89.60", "99.90"
    assert verify_record(record).problems == [
        _("{where}: area differs from the roll.", where=_("participation row {index}", index=index))
        for index in (0, 1)
    ]


def test_every_unit_of_a_participating_owner_is_listed():
    record = copy.deepcopy(RECORD)
    record["participation"] = [row for row in record["participation"] if row["unit"] != "2-201"]
    problems = verify_record(record).problems
    assert _("Units of participating owners missing from the participation list: {units}.",
             units="3/2-201") in problems


def test_changed_roll_area_with_fresh_fingerprint_is_caught():
    record = copy.deepcopy(RECORD)
    record["roll"]["units"][0]["area"] = "99.50"
    refingerprint(record)
    record["roll"]["totals"]["area"] = "945.63"
    report = verify_record(record)
    assert not report.ok
    assert any("area" in problem for problem in report.problems)


def test_parking_undecided_makes_the_recount_undetermined():
    record = copy.deepcopy(RECORD)
    record["roll"]["parking_counts"] = None
    refingerprint(record)
    report = verify_record(record)
    assert not report.ok
    assert (report.recount["outcome"], report.recount["reason"]) == ("undetermined", "missing_figure")


def test_deemed_participation_is_recounted():
    record = make_record(votes=VOTES[:4], deemed_persons=("P06", "P07"))
    report = verify_record(record)
    assert report.ok, report.problems
    assert report.recount["outcome"] == "no_decision"
    assert report.recount["deemed"]["clause"] == CLAUSE
    assert report.recount["deemed"]["participating"]["persons"] == 6
    without = copy.deepcopy(record)
    del without["deemed_participation"]
    assert not verify_record(without).ok
    voted = copy.deepcopy(record)
    voted["deemed_participation"]["units"].append({"building": "3", "unit": "1-101"})
    assert _("Deemed unit {index} belongs to an owner who voted.", index=2) in verify_record(voted).problems


def test_duplicate_receipts_are_caught():
    record = copy.deepcopy(RECORD)
    record["ledger"]["entries"][2]["receipt_hash"] = record["ledger"]["entries"][0]["receipt_hash"]
    rechain(record)
    assert any("receipt" in problem for problem in verify_record(record).problems)


@pytest.mark.parametrize(
    "record",
    [[], {}, {"format": "agora-resolution/1"}, json.loads(json.dumps(RECORD).replace('"89.50"', "89.5")),
     {**RECORD, "ledger": {"entries": "none"}}, {**RECORD, "roll": {**RECORD["roll"], "units": [1]}},
     {**RECORD, "participation": None}, {**RECORD, "result": None}],
)
def test_malformed_records_are_reported_not_raised(record):
    report = verify_record(record)
    assert not report.ok and report.problems

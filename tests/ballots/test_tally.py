"""Art. 278 counting: boundaries, the published cases, and the odd corners."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.ballots.tally import (
    CountedBallot,
    DeemedParticipation,
    result_to_json,
    tally_consultation,
    tally_owners,
    turnout,
    turnout_to_json,
)

# A scope where two thirds, three quarters and one half fall on whole numbers: 30 persons, 3,000.00 m².
N, A = 30, 300_000


def vote(yes=(0, 0), no=(0, 0), abstain=(0, 0), invalid=(0, 0)) -> list[CountedBallot]:
    """Aggregate ballots, one per choice, each ``(persons, area_cents)``."""
    picked = {"yes": yes, "no": no, "abstain": abstain, "invalid": invalid}
    return [CountedBallot(choice, p, a) for choice, (p, a) in picked.items() if p or a]


def find(result, name):
    return next(t for t in result.tests if t.name == name)


# --- quorum: 3·n_p >= 2·N and 3·a_p >= 2·A, inclusive -----------------------------------------------


@pytest.mark.parametrize(("n_p", "met"), [(19, False), (20, True), (21, True)])
def test_quorum_persons_boundary(n_p, met):
    """N = 30: 3·19 = 57 < 60 fails; 3·20 = 60 >= 60 meets (exactly 2/3, "以上"); 3·21 = 63 meets.

    Area participation is ample (2,900.00 of 3,000.00 m²) and every ballot is yes, so only the persons
    quorum decides.
    """
    result = tally_owners("major", N, A, vote(yes=(n_p, 290_000)))
    assert find(result, "quorum_persons").met is met
    assert find(result, "quorum_area").met is True
    assert find(result, "quorum_persons").value == f"{n_p}/30"
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "quorum_not_met"))


@pytest.mark.parametrize(("a_p", "met"), [(199_999, False), (200_000, True), (200_001, True)])
def test_quorum_area_boundary(a_p, met):
    """A = 300000 cents: 3·199999 = 599997 < 600000 fails; 3·200000 = 600000 meets; 3·200001 meets.

    29 of 30 persons take part and all vote yes, so only the area quorum decides.
    """
    result = tally_owners("major", N, A, vote(yes=(29, a_p)))
    assert find(result, "quorum_area").met is met
    assert find(result, "quorum_persons").met is True
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "quorum_not_met"))


# --- major: 4·n_y >= 3·n_p and 4·a_y >= 3·a_p, inclusive -----------------------------------------------


@pytest.mark.parametrize(("n_y", "met"), [(17, False), (18, True), (19, True)])
def test_major_approval_persons_boundary(n_y, met):
    """24 persons take part (quorum 72 >= 60): 4·17 = 68 < 72 fails; 4·18 = 72 >= 72 meets (exactly 3/4).

    Yes holds 2,200.00 of the 2,400.00 m² taking part, so only the persons test decides.
    """
    result = tally_owners("major", N, A, vote(yes=(n_y, 220_000), no=(24 - n_y, 20_000)))
    assert find(result, "approval_persons").met is met
    assert find(result, "approval_persons").required == ">= 3/4"
    assert find(result, "approval_persons").value == f"{n_y}/24"
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "not_approved"))


@pytest.mark.parametrize(("a_y", "met"), [(179_999, False), (180_000, True), (180_001, True)])
def test_major_approval_area_boundary(a_y, met):
    """240000 cents take part: 4·179999 = 719996 < 720000 fails; 4·180000 = 720000 meets (exactly 3/4).

    Yes holds 22 of the 24 persons taking part, so only the area test decides.
    """
    result = tally_owners("major", N, A, vote(yes=(22, a_y), no=(2, 240_000 - a_y)))
    assert find(result, "approval_area").met is met
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "not_approved"))


# --- ordinary: 2·n_y > n_p and 2·a_y > a_p, strict ("过半数") --------------------------------------------


@pytest.mark.parametrize(("n_y", "met"), [(11, False), (12, False), (13, True)])
def test_ordinary_approval_persons_boundary(n_y, met):
    """24 persons take part: 2·12 = 24 is not > 24 (exactly half is not 过半数); 2·13 = 26 > 24 meets."""
    result = tally_owners("ordinary", N, A, vote(yes=(n_y, 200_000), no=(24 - n_y, 40_000)))
    assert find(result, "approval_persons").met is met
    assert find(result, "approval_persons").required == "> 1/2"
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "not_approved"))


@pytest.mark.parametrize(("a_y", "met"), [(119_999, False), (120_000, False), (120_001, True)])
def test_ordinary_approval_area_boundary(a_y, met):
    """240000 cents take part: 2·120000 = 240000 is not > 240000; 2·120001 = 240002 > 240000 meets."""
    result = tally_owners("ordinary", N, A, vote(yes=(20, a_y), no=(4, 240_000 - a_y)))
    assert find(result, "approval_area").met is met
    assert (result.outcome, result.reason) == (("passed", None) if met else ("no_decision", "not_approved"))


# --- the published cases -----------------------------------------------------------------------------


def test_developer_units_count_as_one_person():
    """Shanghai No. 1 Intermediate Court (2019): 15 unsold units counted as 15 persons made 421 yes.

    Wrongly: N = 1014, yes 421 (406 owners + 15 developer units), no 414: 2·421 = 842 > 835 passes.
    Rightly the developer is one person: N = 1000, yes 407, no 414: 2·407 = 814 is not > 821, although
    the area (unchanged) is a yes majority: 2·4150000 = 8300000 > 8250000. No decision was made.
    """
    area_total = 10_000_000  # 100,000.00 m²
    developer = [CountedBallot("yes", 1, 10_000) for _ in range(15)]
    owners = vote(yes=(406, 4_000_000), no=(414, 4_100_000))
    wrong = tally_owners("ordinary", 1014, area_total, owners + developer)
    assert wrong.choices["yes"] == (421, 4_150_000)
    assert wrong.outcome == "passed"
    right = tally_owners("ordinary", 1000, area_total, owners + [CountedBallot("yes", 1, 150_000)])
    assert right.choices["yes"] == (407, 4_150_000)
    assert find(right, "approval_area").met is True
    assert find(right, "approval_persons").met is False
    assert (right.outcome, right.reason) == ("no_decision", "not_approved")


@pytest.mark.parametrize("area_voted", [0, 8_491_867, 12_737_800])
def test_616_of_950_owners_fails_whatever_the_area(area_voted):
    """950 owners, 127,378 m²: 616 voted (64.8%); 3·616 = 1848 < 1900 = 2·950. 634 are needed."""
    result = tally_owners("ordinary", 950, 12_737_800, vote(yes=(616, area_voted)))
    assert (result.outcome, result.reason) == ("no_decision", "quorum_not_met")
    assert find(result, "quorum_persons").met is False
    assert turnout(950, 12_737_800, 616, area_voted)["persons_needed"] == 634
    assert tally_owners("ordinary", 950, 12_737_800, vote(yes=(634, 8_491_867))).outcome == "passed"


# persons, area in cents, and the exact minimum for quorum: ceil(2N/3), ceil(2A/3) -- worked by hand,
# e.g. 2·308656 = 617312 = 3·205770 + 2, so 205771 cents (2,057.71 m²).
SCOPES = [(16, 308_656, 11, 205_771), (53, 536_963, 36, 357_976), (144, 1_276_976, 96, 851_318),
          (164, 2_870_801, 110, 1_913_868), (280, 2_483_857, 187, 1_655_905),
          (355, 3_660_905, 237, 2_440_604), (403, 6_678_397, 269, 4_452_265),
          (950, 12_737_800, 634, 8_491_867)]


@pytest.mark.parametrize(("persons", "area", "p_min", "a_min"), SCOPES)
def test_real_scope_quorum_minimums(persons, area, p_min, a_min):
    """At the minimum the quorum is met; one person or one cent (0.01 m²) less and it is not."""
    assert 3 * p_min >= 2 * persons > 3 * (p_min - 1)
    assert 3 * a_min >= 2 * area > 3 * (a_min - 1)
    meter = turnout(persons, area, p_min, a_min)
    assert (meter["persons_needed"], meter["area_needed_cents"], meter["quorum_met"]) == (p_min, a_min, True)
    assert turnout(persons, area, p_min - 1, a_min)["quorum_met"] is False
    assert turnout(persons, area, p_min, a_min - 1)["quorum_met"] is False
    assert tally_owners("major", persons, area, vote(yes=(p_min, a_min))).outcome == "passed"
    short_p = tally_owners("major", persons, area, vote(yes=(p_min - 1, a_min)))
    assert [t.met for t in short_p.tests[:2]] == [False, True]
    assert short_p.reason == "quorum_not_met"
    short_a = tally_owners("major", persons, area, vote(yes=(p_min, a_min - 1)))
    assert [t.met for t in short_a.tests[:2]] == [True, False]
    assert short_a.reason == "quorum_not_met"


# --- abstentions, invalid ballots, matters --------------------------------------------------------------


def test_abstain_and_invalid_count_toward_quorum():
    """10 yes + 6 abstain + 4 invalid = 20 persons: 3·20 = 60 >= 60, so the quorum holds only with them."""
    ballots = vote(yes=(10, 100_000), abstain=(6, 60_000), invalid=(4, 40_000))
    result = tally_owners("ordinary", N, A, ballots)
    assert (result.participating_persons, result.participating_area_cents) == (20, 200_000)
    assert find(result, "quorum_persons").met is True
    assert find(result, "quorum_area").met is True
    # ... and they weigh against approval: 2·10 = 20 is not > 20.
    assert (result.outcome, result.reason) == ("no_decision", "not_approved")
    assert tally_owners("ordinary", N, A, vote(yes=(10, 100_000))).reason == "quorum_not_met"


def test_same_ballots_pass_ordinary_but_not_major():
    """21 of 30 yes (70%): 2·21 > 30 passes an ordinary matter, 4·21 = 84 < 90 fails a major one.
    A unanimous no is "no decision made", never a decision for the opposite."""
    ballots = vote(yes=(21, 210_000), no=(9, 90_000))
    assert tally_owners("ordinary", N, A, ballots).outcome == "passed"
    assert (tally_owners("major", N, A, ballots).reason) == "not_approved"
    result = tally_owners("ordinary", N, A, vote(no=(30, 300_000)))
    assert (result.outcome, result.reason) == ("no_decision", "not_approved")


def test_choices_always_list_every_owner_choice():
    result = tally_owners("major", N, A, [])
    assert result.choices == {"yes": (0, 0), "no": (0, 0), "abstain": (0, 0), "invalid": (0, 0)}
    assert result.reason == "quorum_not_met"
    assert [t.met for t in result.tests] == [False, False, False, False]


@pytest.mark.parametrize(("persons", "area"), [(None, A), (N, None), (None, None), (0, A), (N, 0)])
def test_missing_figure_is_undetermined_never_a_pass(persons, area):
    ballots = [] if 0 in (persons, area) else vote(yes=(30, 300_000))
    result = tally_owners("ordinary", persons, area, ballots)
    assert (result.outcome, result.reason) == ("undetermined", "missing_figure")
    assert all(t.met is None for t in result.tests)


def test_unknown_total_is_written_as_a_question_mark():
    result = tally_owners("ordinary", None, A, vote(yes=(3, 8_950)))
    assert [t.value for t in result.tests] == ["3/?", "89.50/3000.00", "3/3", "89.50/89.50"]


@pytest.mark.parametrize(
    ("matter", "persons", "area", "ballots"),
    [
        ("consultation", N, A, []),
        ("", N, A, []),
        ("major", -1, A, []),
        ("major", N, -1, []),
        ("major", N, A, [CountedBallot("yes", -1, 100)]),
        ("major", N, A, [CountedBallot("yes", 1, -100)]),
        ("major", N, A, [CountedBallot("maybe", 1, 100)]),
        ("major", N, A, vote(yes=(31, 100))),
        ("major", N, A, vote(yes=(1, 300_001))),
        ("ordinary", 0, A, vote(yes=(1, 100))),
    ],
)
def test_nonsense_is_refused(matter, persons, area, ballots):
    with pytest.raises(ValueError):
        tally_owners(matter, persons, area, ballots)


# --- deemed participation ----------------------------------------------------------------------------

CLAUSE = "议事规则第十二条：送达后未投票的业主视为同意多数意见。"


def test_deemed_tally_sits_beside_the_strict_one():
    """Strict: 16 of 30 persons (3·16 = 48 < 60), quorum not met. Six served owners who stayed silent
    join the yes majority (12 yes vs 4 no, by persons and by area): 22 persons, 4·18 = 72 >= 66."""
    silent = [CountedBallot("abstain", 1, 10_000) for _ in range(6)]
    ballots = vote(yes=(12, 150_000), no=(4, 40_000))
    result = tally_owners("major", N, A, ballots, deemed=DeemedParticipation(CLAUSE, silent))
    assert (result.outcome, result.reason) == ("no_decision", "quorum_not_met")
    assert result.participating_persons == 16
    deemed = result.deemed
    assert (deemed.outcome, deemed.reason, deemed.deemed_choice) == ("passed", None, "yes")
    assert (deemed.participating_persons, deemed.participating_area_cents) == (22, 250_000)
    assert deemed.choices["yes"] == (18, 210_000)
    assert deemed.deemed_added == (6, 60_000)
    body = result_to_json(result)
    assert body["outcome"] == "no_decision"
    assert body["deemed"]["clause"] == CLAUSE
    assert body["deemed"]["outcome"] == "passed"
    assert body["deemed"]["added"] == {"persons": 6, "area": "600.00"}
    assert body["deemed"]["choices"]["yes"] == {"persons": 18, "area": "2100.00"}


def test_deemed_with_a_no_majority_is_still_no_decision():
    silent = [CountedBallot("abstain", 1, 10_000) for _ in range(10)]
    result = tally_owners("ordinary", N, A, vote(yes=(4, 40_000), no=(16, 160_000)),
                          deemed=DeemedParticipation(CLAUSE, silent))
    assert result.deemed.deemed_choice == "no"
    assert (result.deemed.outcome, result.deemed.reason) == ("no_decision", "not_approved")


@pytest.mark.parametrize(
    ("yes", "no"),
    [((10, 100_000), (10, 100_000)), ((12, 80_000), (8, 120_000)), ((8, 120_000), (12, 80_000)),
     ((12, 100_000), (8, 100_000)), ((0, 0), (0, 0))],
)
def test_deemed_majority_unclear(yes, no):
    """A tie, or persons and area pointing opposite ways, leaves nobody to count the silent with."""
    silent = [CountedBallot("abstain", 1, 10_000)]
    result = tally_owners("ordinary", N, A, vote(yes=yes, no=no, abstain=(2, 20_000)),
                          deemed=DeemedParticipation(CLAUSE, silent))
    assert (result.deemed.outcome, result.deemed.reason) == ("undetermined", "deemed_majority_unclear")
    assert all(t.met is None for t in result.deemed.tests)
    assert result.deemed.deemed_choice is None
    assert result.outcome != "undetermined"  # the strict tally is unaffected


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        ((10, 120_000), (10, 80_000)),  # persons tie, area says yes
        ((10, 80_000), (10, 120_000)),  # persons tie, area says no
        ((12, 100_000), (8, 100_000)),  # area tie, persons say yes
        ((8, 100_000), (12, 100_000)),  # area tie, persons say no
    ],
)
def test_a_tie_on_one_measure_is_no_majority_whatever_the_other_says(yes, no):
    """The boundary of "a clear majority": strictly more by persons AND strictly more by area.

    A tie on persons with a majority by area (or the reverse) leaves nobody to count the silent with:
    counting them with the area's side would turn a tie into a decision (`yes_p >= no_p` in place of
    `yes_p > no_p` passes this vote; the test fails on it)."""
    silent = [CountedBallot("abstain", 1, 10_000) for _ in range(5)]
    result = tally_owners("ordinary", N, A, vote(yes=yes, no=no), deemed=DeemedParticipation(CLAUSE, silent))
    assert result.deemed.deemed_choice is None
    assert (result.deemed.outcome, result.deemed.reason) == ("undetermined", "deemed_majority_unclear")


def test_deemed_with_a_missing_figure_is_undetermined():
    result = tally_owners("major", None, A, vote(yes=(20, 200_000)), deemed=DeemedParticipation(CLAUSE, []))
    assert (result.deemed.outcome, result.deemed.reason) == ("undetermined", "missing_figure")


def test_negative_weights_are_refused_everywhere():
    with pytest.raises(ValueError):
        tally_owners("major", N, A, vote(yes=(20, 200_000)),
                     deemed=DeemedParticipation(CLAUSE, [CountedBallot("abstain", -1, 10_000)]))
    with pytest.raises(ValueError):
        tally_consultation(["a", "b"], [CountedBallot("a", -1, 0)])


def test_deemed_needs_a_clause_and_room_in_scope():
    with pytest.raises(ValueError):
        tally_owners("major", N, A, vote(yes=(20, 200_000)), deemed=DeemedParticipation(" ", []))
    too_many = [CountedBallot("abstain", 1, 1) for _ in range(11)]
    with pytest.raises(ValueError):
        tally_owners("major", N, A, vote(yes=(20, 200_000)), deemed=DeemedParticipation(CLAUSE, too_many))
    too_large = [CountedBallot("abstain", 1, 100_001)]
    with pytest.raises(ValueError):
        tally_owners("major", N, A, vote(yes=(20, 200_000)), deemed=DeemedParticipation(CLAUSE, too_large))


# --- JSON, consultation, turnout -----------------------------------------------------------------------


def test_result_to_json_shape():
    result = tally_owners("major", 16, 308_656, vote(yes=(11, 205_771), no=(1, 8_950), invalid=(1, 5)))
    assert result_to_json(result) == {
        "outcome": "passed",
        "reason": None,
        "totals": {"persons": 16, "area": "3086.56"},
        "participating": {"persons": 13, "area": "2147.26"},
        "choices": {
            "yes": {"persons": 11, "area": "2057.71"},
            "no": {"persons": 1, "area": "89.50"},
            "abstain": {"persons": 0, "area": "0.00"},
            "invalid": {"persons": 1, "area": "0.05"},
        },
        "tests": [
            {"name": "quorum_persons", "value": "13/16", "required": ">= 2/3", "met": True},
            {"name": "quorum_area", "value": "2147.26/3086.56", "required": ">= 2/3", "met": True},
            {"name": "approval_persons", "value": "11/13", "required": ">= 3/4", "met": True},
            {"name": "approval_area", "value": "2057.71/2147.26", "required": ">= 3/4", "met": True},
        ],
        "deemed": None,
    }


def test_consultation_counts_persons_per_option():
    ballots = [CountedBallot("a", 1, 0), CountedBallot("b", 1, 0), CountedBallot("a", 1, 0)]
    assert tally_consultation(["a", "b", "c"], ballots) == {"a": 2, "b": 1, "c": 0}
    with pytest.raises(ValueError):
        tally_consultation(["a"], [CountedBallot("z", 1, 0)])
    with pytest.raises(ValueError):
        tally_consultation(["a", "a"], [])


def test_turnout_meter():
    meter = turnout(16, 308_656, 5, 100_000)
    assert meter == {
        "persons": 5, "area_cents": 100_000, "persons_total": 16, "area_cents_total": 308_656,
        "persons_needed": 11, "area_needed_cents": 205_771, "quorum_met": False,
    }
    assert turnout_to_json(meter) == {
        "persons": 5, "area": "1000.00", "persons_total": 16, "area_total": "3086.56",
        "persons_needed": 11, "area_needed": "2057.71",
    }
    assert turnout(None, None, 0, 0)["quorum_met"] is None
    assert turnout(None, None, 0, 0)["persons_needed"] is None
    with pytest.raises(ValueError):
        turnout(16, 308_656, -1, 0)


# --- properties against a reference written with Fractions instead of cross-multiplication -------------


def reference(matter: str, persons_total, area_total, counts: dict) -> tuple[str, str | None]:
    """Art. 278 read literally, as ratios of exact rationals."""
    if not persons_total or not area_total:
        return "undetermined", "missing_figure"
    n_p = sum(p for p, _ in counts.values())
    a_p = sum(a for _, a in counts.values())
    n_y, a_y = counts["yes"]
    if Fraction(n_p, persons_total) < Fraction(2, 3) or Fraction(a_p, area_total) < Fraction(2, 3):
        return "no_decision", "quorum_not_met"
    if n_p == 0 or a_p == 0:
        return "no_decision", "not_approved"
    share_p, share_a = Fraction(n_y, n_p), Fraction(a_y, a_p)
    if matter == "major":
        approved = share_p >= Fraction(3, 4) and share_a >= Fraction(3, 4)
    else:
        approved = share_p > Fraction(1, 2) and share_a > Fraction(1, 2)
    return ("passed", None) if approved else ("no_decision", "not_approved")


def _split(draw, total: int, near: list[int]) -> list[int]:
    """Four non-negative parts of a participating figure that is often right at a threshold."""
    part = draw(st.one_of(st.sampled_from([x for x in near if 0 <= x <= total] or [0]),
                          st.integers(0, total)))
    cuts = sorted(draw(st.lists(st.integers(0, part), min_size=3, max_size=3)))
    return [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], part - cuts[2]]


@st.composite
def elections(draw):
    persons_total = draw(st.integers(1, 1200))
    area_total = draw(st.integers(1, 10**9))

    def near(total):
        return [(2 * total + k) // 3 + d for k in (0, 2) for d in (-1, 0, 1)] + [total]

    persons = _split(draw, persons_total, near(persons_total))
    areas = _split(draw, area_total, near(area_total))
    # Bias yes towards the approval bounds by sometimes moving votes into it exactly at 1/2 or 3/4.
    counts = dict(zip(("yes", "no", "abstain", "invalid"), zip(persons, areas, strict=True), strict=True))
    if draw(st.booleans()):
        n_p, a_p = sum(persons), sum(areas)
        ratio = draw(st.sampled_from([(1, 2), (3, 4)]))
        n_y = min(n_p, -(-n_p * ratio[0] // ratio[1]) + draw(st.integers(-1, 1)))
        a_y = min(a_p, -(-a_p * ratio[0] // ratio[1]) + draw(st.integers(-1, 1)))
        n_y, a_y = max(n_y, 0), max(a_y, 0)
        counts = {"yes": (n_y, a_y), "no": (n_p - n_y, a_p - a_y), "abstain": (0, 0), "invalid": (0, 0)}
    return persons_total, area_total, counts


@settings(max_examples=600, deadline=None)
@given(elections(), st.sampled_from(["major", "ordinary"]))
def test_tally_agrees_with_reference(election, matter):
    persons_total, area_total, counts = election
    ballots = [CountedBallot(choice, p, a) for choice, (p, a) in counts.items()]
    result = tally_owners(matter, persons_total, area_total, ballots)
    assert (result.outcome, result.reason) == reference(matter, persons_total, area_total, counts)
    assert result.participating_persons == sum(p for p, _ in counts.values())
    meter = turnout(persons_total, area_total, result.participating_persons, result.participating_area_cents)
    assert meter["quorum_met"] == (result.tests[0].met and result.tests[1].met)
    if matter == "major" and result.passed:
        assert tally_owners("ordinary", persons_total, area_total, ballots).passed


@settings(max_examples=200, deadline=None)
@given(elections(), st.sampled_from(["major", "ordinary"]))
def test_one_ballot_at_a_time_sums_like_aggregates(election, matter):
    persons_total, area_total, counts = election
    ballots = []
    for choice, (p, a) in counts.items():
        if p:
            ballots += [CountedBallot(choice, 1, 0) for _ in range(p - 1)] + [CountedBallot(choice, 1, a)]
        elif a:
            ballots.append(CountedBallot(choice, 0, a))
    one_by_one = tally_owners(matter, persons_total, area_total, ballots)
    aggregate = [CountedBallot(choice, *weight) for choice, weight in counts.items()]
    aggregate = tally_owners(matter, persons_total, area_total, aggregate)
    assert result_to_json(one_by_one) == result_to_json(aggregate)

"""The live turnout of a secret vote moves only in steps: no published change is one ballot's weight."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.ballots.secrecy import PERSON_STEP, area_step, coarse_turnout
from agora.ballots.tally import turnout


def test_steps_of_five_persons_and_one_percent_of_the_area():
    meter = turnout(16, 308_656, 9, 171_234)
    coarse = coarse_turnout(meter, 308_656)
    assert coarse["persons"] == 5
    assert area_step(308_656) == 10_000  # 1% is 30.87 m²: at least 100 m²
    assert coarse["area_cents"] == 170_000
    assert coarse["persons_needed"] == meter["persons_needed"] == 11
    assert area_step(12_737_800) == 127_300  # 1% of 127,378 m², in whole m²
    assert area_step(None) == 10_000


@given(
    st.integers(1, 2_000),
    st.integers(1, 50_000_000),
    st.lists(st.tuples(st.integers(1, 2), st.integers(1, 60_000)), min_size=1, max_size=40),
)
def test_no_single_ballot_is_visible_in_the_published_steps(persons_total, area_total, ballots):
    """Published figures are whole steps (five persons, the area step), never above the truth, and
    move only when a step is crossed, whatever the ballots' weights."""
    persons = area = 0
    step = area_step(area_total)
    for n, a in ballots:
        before = coarse_turnout(turnout(persons_total, area_total, persons, area), area_total)
        persons, area = persons + n, area + a
        after = coarse_turnout(turnout(persons_total, area_total, persons, area), area_total)
        assert after["persons"] % PERSON_STEP == 0 and after["area_cents"] % step == 0
        assert 0 <= after["persons"] - before["persons"] <= n + PERSON_STEP
        assert after["persons"] <= persons and after["area_cents"] <= area


def test_quorum_is_judged_on_the_published_figures():
    meter = turnout(6, 60_000, 6, 60_000)
    assert coarse_turnout(meter, 60_000)["quorum_met"] is True
    meter = turnout(6, 60_000, 4, 40_000)  # exactly 2/3, but 4 persons publish as 0
    assert meter["quorum_met"] is True
    assert coarse_turnout(meter, 60_000)["quorum_met"] is False

"""Naming the units a maintenance-fund spend charges (agora.rooms.charged): pure, checked against a
brute-force reading of the rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.rooms.charged import match_units, unit_name

ROLL = [("1", "101"), ("1", "102"), ("2", "101"), ("2", "1-302")]


def test_full_names_match_in_any_hall_and_keep_the_order_given() -> None:
    matched = match_units(["2/101", "1/101"], ROLL, building_hall=False)
    assert matched.ok and matched.names == ["2/101", "1/101"]


def test_a_bare_label_names_a_unit_only_in_a_building_hall() -> None:
    building = [("1", "101"), ("1", "1-302")]
    assert match_units(["1-302", "1/101"], building, building_hall=True).names == ["1/1-302", "1/101"]
    compound = match_units(["101"], ROLL, building_hall=False)
    assert compound.unknown == ["101"] and not compound.ok


def test_unknown_names_are_all_reported() -> None:
    matched = match_units(["1/101", "9/9", "1/999"], ROLL, building_hall=False)
    assert matched.unknown == ["9/9", "1/999"] and matched.names == ["1/101"]


def test_a_name_of_two_units_or_a_unit_named_twice_is_ambiguous() -> None:
    # "1/1-302" is unit "1-302" of building "1" and, in a building hall, a unit labelled "1/1-302".
    odd = [("1", "1-302"), ("9", "1/1-302")]
    assert match_units(["1/1-302"], odd, building_hall=True).ambiguous == ["1/1-302"]
    twice = match_units(["101", "1/101"], [("1", "101")], building_hall=True)
    assert twice.names == ["1/101"] and twice.ambiguous == ["1/101"]


def test_unit_name() -> None:
    assert unit_name("3", "2-201") == "3/2-201"


LABELS = st.sampled_from(["1", "2", "101", "1-302", "1/1"])


@given(
    roll=st.lists(st.tuples(LABELS, LABELS), unique=True, max_size=6),
    refs=st.lists(st.one_of(LABELS, st.builds(lambda b, u: f"{b}/{u}", LABELS, LABELS)), max_size=6),
    building_hall=st.booleans(),
)
def test_against_a_brute_force_reading(roll, refs, building_hall) -> None:  # type: ignore[no-untyped-def]
    matched = match_units(refs, roll, building_hall=building_hall)
    taken: list[str] = []
    for ref in refs:
        hits = {f"{b}/{u}" for b, u in roll if f"{b}/{u}" == ref or (building_hall and u == ref)}
        if not hits:
            assert ref in matched.unknown
        elif len(hits) > 1 or next(iter(hits)) in taken:
            assert ref in matched.ambiguous
        else:
            taken.append(next(iter(hits)))
    assert matched.names == taken
    assert len(matched.names) + len(matched.unknown) + len(matched.ambiguous) == len(refs)

"""Finding an owner on the frozen roll by building and room or by name (agora.ballots.finding)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.ballots.finding import Candidate, find

ROLL = [
    Candidate("A", "张三", "1", "1", "1-101", 8950),
    Candidate("B", "李四", "1", "1", "1-102", 10230),
    Candidate("C", "王五", "1", "2", "2-101", 7500),
    Candidate("D", "赵六", "2", "1", "1-101", 7500),
    Candidate("E", "Zhao Liu", "3", "", "101", 12000),
    Candidate("S", "孙记商铺", "1", "", "S01", 4500),
]


def refs(query: str) -> list[str]:
    return [c.owner_ref for c in find(ROLL, query)]


def test_the_whole_address_in_any_spelling_finds_one_door() -> None:
    for query in ("1-1-101", "1幢1单元101室", "1栋 1-101", "１幢１－１０１", "1 1 101", "01-1-101"):
        assert refs(query)[0] == "A", query


def test_building_and_room_find_that_building_first() -> None:
    assert refs("1幢101") == ["A", "C", "D"]  # building 1 first (both entrances), then 2幢1-101
    assert refs("3幢101") == ["E"]  # the whole address of 3幢101; no other door ends in 3-101


def test_a_room_alone_lists_every_building() -> None:
    assert refs("101") == ["A", "C", "D", "E"]
    # "1-101": building 1 room 101 (A, C), then every door whose address ends in 1-101 (D).
    assert refs("1-101") == ["A", "C", "D"]


def test_a_name_or_an_exact_reference() -> None:
    assert refs("李四") == ["B"]
    assert refs("zhao") == ["E"]  # case-folded
    assert refs("商铺") == ["S"]
    assert refs("b") == ["B"]  # an exact owner reference, case-folded
    assert refs("钱七") == []
    assert refs("   ") == []
    assert refs("9-9-909") == []


def test_at_most_the_limit() -> None:
    many = [Candidate(f"R{i}", "王", "1", "1", f"1-{i:03d}", 100) for i in range(1, 60)]
    assert len(find(many, "王")) == 20 and len(find(many, "王", limit=5)) == 5


@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 4), st.integers(1, 33), st.integers(1, 4)),
        min_size=1,
        max_size=30,
        unique=True,
    ),
    st.data(),
)
def test_every_door_is_found_first_by_its_own_address(doors: list, data: st.DataObject) -> None:
    roll = [
        Candidate(f"R{i}", "某", str(b), str(e), f"{e}-{floor}{room:02d}", 100)
        for i, (b, e, floor, room) in enumerate(doors)
    ]
    target = data.draw(st.sampled_from(roll))
    dashes = f"{target.building}-{target.unit}"
    words = f"{target.building}幢{target.entrance}单元{target.unit[2:]}室"
    spelled = data.draw(st.sampled_from([dashes, words]))
    found = find(roll, spelled)
    assert found[0] == target  # doors are unique, so their addresses are

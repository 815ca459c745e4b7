"""The comment tree and the stance summary (pure), against a brute-force reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.proposals.threads import build_tree, stance_summary, walk


def rows_from(parents: list[int | None]) -> list[dict]:
    """Comment i+1 replies to parents[i] (an earlier id) or is top level (None)."""
    return [{"id": i + 1, "parent": p} for i, p in enumerate(parents)]


def test_replies_nest_to_any_depth_oldest_first() -> None:
    rows = rows_from([None, 1, 2, 3, 4, 5, 6, 7, 8, 9, None, 1])
    tree = build_tree(list(reversed(rows)))
    assert [n["id"] for n in tree] == [1, 11]
    assert [c["id"] for c in tree[0]["children"]] == [2, 12]
    depth, node = 0, tree[0]
    while node["children"]:
        node, depth = node["children"][0], depth + 1
    assert (node["id"], depth) == (10, 9)


def test_a_subtree_page_starts_from_the_focused_comment() -> None:
    rows = [r for r in rows_from([None, 1, 2, 3, 3]) if r["id"] >= 3]
    tree = build_tree(rows)
    assert [n["id"] for n in tree] == [3]
    assert [c["id"] for c in tree[0]["children"]] == [4, 5]


def test_roots_follow_the_given_order_and_foreign_roots_are_left_out() -> None:
    tree = build_tree(rows_from([None, None, None, 1]), roots=[3, 1])
    assert [n["id"] for n in tree] == [3, 1]
    assert [c["id"] for c in tree[1]["children"]] == [4]


def test_input_rows_are_not_mutated() -> None:
    rows = rows_from([None, 1])
    build_tree(rows)
    assert "children" not in rows[0]


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=60))
def test_tree_against_brute_force(choices: list[int]) -> None:
    parents: list[int | None] = []
    for index, choice in enumerate(choices):
        parents.append(None if choice == 0 or index == 0 else (choice % index) + 1)
    rows = rows_from(parents)
    tree = build_tree(rows)
    seen = list(walk(tree))
    assert sorted(n["id"] for n in seen) == [r["id"] for r in rows]
    for node in seen:
        expected_children = [r["id"] for r in rows if r["parent"] == node["id"]]
        assert [c["id"] for c in node["children"]] == expected_children
    assert [n["id"] for n in tree] == [r["id"] for r in rows if r["parent"] is None]


def test_each_member_counts_once_with_their_latest_stance() -> None:
    rows = [(1, 10, "support"), (2, 11, "oppose"), (3, 10, "oppose"), (4, 12, "question"), (5, 10, "neutral")]
    assert stance_summary(rows) == {"support": 0, "oppose": 2, "question": 1}
    assert stance_summary([]) == {"support": 0, "oppose": 0, "question": 0}
    assert stance_summary([(9, 1, "bogus")]) == {"support": 0, "oppose": 0, "question": 0}

"""The comment tree and the stance summary (pure), against a brute-force reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agora.proposals.threads import MAX_DEPTH, attach_point, build_tree, stance_summary, walk


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


def _depths(tree: list[dict]) -> dict[int, int]:
    out: dict[int, int] = {}
    stack = [(node, 0) for node in tree]
    while stack:
        node, depth = stack.pop()
        out[node["id"]] = depth
        stack.extend((child, depth + 1) for child in node["children"])
    return out


def test_attach_point_is_the_nearest_comment_with_room_below() -> None:
    assert attach_point([(5, 3), (2, 2), (1, 0)], max_depth=8) == 5
    assert attach_point([(9, 8), (7, 7), (1, 0)], max_depth=8) == 7
    assert attach_point([(12, 11), (10, 10), (9, 8), (7, 7), (1, 0)], max_depth=8) == 7
    assert attach_point([(1, 0)], max_depth=0) == 1


def test_a_chain_of_two_thousand_replies_is_at_most_max_depth_deep() -> None:
    rows = rows_from([None, *range(1, 2000)])
    tree = build_tree(rows, max_depth=MAX_DEPTH)
    depths = _depths(tree)
    assert len(depths) == 2000 and max(depths.values()) == MAX_DEPTH
    # Everything past the limit is shown beside the deepest allowed comment, oldest first.
    host = next(n for n in walk(tree) if _depths(tree)[n["id"]] == MAX_DEPTH - 1)
    assert [c["id"] for c in host["children"]] == list(range(MAX_DEPTH + 1, 2001))
    assert all(c["parent"] == host["id"] for c in host["children"])


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=60), st.integers(min_value=1, max_value=6))
def test_depth_limited_tree_against_brute_force(choices: list[int], limit: int) -> None:
    parents: list[int | None] = []
    for index, choice in enumerate(choices):
        parents.append(None if choice == 0 or index == 0 else (choice % index) + 1)
    rows = rows_from(parents)
    tree = build_tree(rows, max_depth=limit)
    depths = _depths(tree)
    assert sorted(depths) == [r["id"] for r in rows]
    # Reference: walk each row's ancestors; its shown depth is its real depth capped at the limit,
    # and it is shown under its real parent while that parent is above the limit, else beside it.
    real: dict[int, int] = {}
    for row in rows:
        real[row["id"]] = 0 if row["parent"] is None else real[row["parent"]] + 1
        assert depths[row["id"]] == min(real[row["id"]], limit)
    shown_parent = {c["id"]: n["id"] for n in walk(tree) for c in n["children"]}
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        if row["parent"] is None:
            assert row["id"] not in shown_parent
            continue
        expected = row["parent"]
        while real[expected] >= limit:
            expected = by_id[expected]["parent"]
        assert shown_parent[row["id"]] == expected


def test_the_latest_stance_wins_whatever_order_the_rows_come_in() -> None:
    rows = [(5, 10, "oppose"), (3, 10, "support"), (4, 11, "question")]
    assert stance_summary(rows) == {"support": 0, "oppose": 1, "question": 1}

"""The comment tree and the stance summary, as pure functions over plain rows.

Rows come from one query in any order; the tree is built in one pass (no recursion into the
database), so a discussion with thousands of replies is assembled in linear time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

STANCES = ("support", "oppose", "question", "neutral")


def build_tree(rows: Iterable[dict[str, Any]], roots: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Nest rows (`id`, `parent`) under their parents, replies oldest first.

    A row whose parent is not among the rows is a root (a top-level comment, or the comment a
    "continue this thread" page starts from). `roots` fixes the order of the roots (newest-first
    pages); otherwise they are oldest first. Each returned node is a copy with `children`.
    """
    nodes = {row["id"]: {**row, "children": []} for row in rows}
    top: list[dict[str, Any]] = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        parent = nodes.get(node["parent"]) if node["parent"] is not None else None
        if parent is None or parent is node:
            top.append(node)
        else:
            parent["children"].append(node)
    if roots is not None:
        position = {root_id: index for index, root_id in enumerate(roots)}
        top = sorted((n for n in top if n["id"] in position), key=lambda n: position[n["id"]])
    return top


def walk(tree: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Every node of a tree, depth first, parents before children."""
    stack = list(reversed(list(tree)))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node["children"]))


def stance_summary(rows: Iterable[tuple[int, int, str]]) -> dict[str, int]:
    """How many members stand where: each author's latest stated stance counts once.

    `rows` are (comment id, author id, stance) of visible comments; "neutral" states no stance,
    so a later neutral reply does not erase an earlier "support".
    """
    latest: dict[int, tuple[int, str]] = {}
    for comment_id, author_id, stance in rows:
        if stance not in STANCES or stance == "neutral":
            continue
        if author_id not in latest or comment_id > latest[author_id][0]:
            latest[author_id] = (comment_id, stance)
    counts = dict.fromkeys(STANCES, 0)
    for _comment_id, stance in latest.values():
        counts[stance] += 1
    counts.pop("neutral")
    return counts

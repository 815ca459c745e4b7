"""The comment tree and the stance summary, as pure functions over plain rows.

Rows come from one query in any order; the tree is built in one pass (no recursion into the
database), so a discussion with thousands of replies is assembled in linear time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

STANCES = ("support", "oppose", "question", "neutral")

MAX_DEPTH = 8
"""The deepest level a reply sits at (0 = top level). A reply to a comment at this level joins it as
a sibling, under the same parent, as Discourse and Reddit do: a thread cannot grow a chain deep
enough to make rendering or serializing it recurse without bound."""


def attach_point(chain: Sequence[tuple[int, int]], max_depth: int = MAX_DEPTH) -> int:
    """The comment a new reply hangs under, given the replied-to comment and its ancestors as
    (id, depth) pairs, nearest first: the nearest one whose depth leaves room for one more level.

    >>> attach_point([(9, 8), (7, 7), (1, 0)])   # a reply to a comment at the deepest level
    7
    """
    for comment_id, depth in chain:
        if depth < max_depth:
            return comment_id
    return chain[-1][0]


def build_tree(
    rows: Iterable[dict[str, Any]], roots: Sequence[int] | None = None, *, max_depth: int | None = None
) -> list[dict[str, Any]]:
    """Nest rows (`id`, `parent`) under their parents, replies oldest first.

    A row whose parent is not among the rows is a root (a top-level comment, or the comment a
    "continue this thread" page starts from). `roots` fixes the order of the roots (newest-first
    pages); otherwise they are oldest first. Each returned node is a copy with `children`.

    With `max_depth`, no node sits deeper than that below its root: a reply to a node at the
    deepest level is shown beside it (its `parent` says where it is shown). This keeps rows written
    before the depth limit existed, or chains of any length, from nesting without bound.
    """
    nodes = {row["id"]: {**row, "children": []} for row in rows}
    top: list[dict[str, Any]] = []
    depth: dict[int, int] = {}
    host: dict[int, dict[str, Any]] = {}
    for node_id in sorted(nodes):
        node = nodes[node_id]
        parent = nodes.get(node["parent"]) if node["parent"] is not None else None
        if parent is None or parent is node or parent["id"] not in depth:
            top.append(node)
            depth[node_id] = 0
            continue
        if max_depth is not None and depth[parent["id"]] >= max_depth and parent["id"] in host:
            parent = host[parent["id"]]  # at most one step: no node is deeper than max_depth
            node["parent"] = parent["id"]
        parent["children"].append(node)
        depth[node_id] = depth[parent["id"]] + 1
        host[node_id] = parent
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

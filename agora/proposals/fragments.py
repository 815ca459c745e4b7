"""Rendered comments, cached: a page shows up to hundreds of them, each the same for everyone.

A box (`proposals/_comment.html`) depends only on the comment's view data and the language (it has
no per-viewer controls), so the HTML is kept in a bounded cache per template environment, keyed by
the language and every field the template reads: an edited, hidden, restored, deleted or pinned
comment, or a renamed author, has a new key and is rendered afresh. The body in the key is the
already sanitized HTML, so nothing unsanitized can ever come out of the cache.

A whole thread (a comment with its nested replies, `proposals/_threads.html`) is cached the same way,
keyed by its depth and the keys of every comment in it and their shape: a new reply anywhere below
changes the key. Threads are kept up to a total size, boxes up to a number.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from jinja2 import Environment, pass_environment
from markupsafe import Markup

from agora.i18n import get_locale
from agora.proposals.labels import LABELS

MAX_BOXES = 2048
_ATTR = "_agora_comment_boxes"


def _key(c: dict[str, Any], locale: str) -> tuple[Any, ...]:
    hidden = c.get("hidden")
    return (
        locale,
        c["id"],
        c["author"],
        str(c["body_html"]) if c.get("body_html") is not None else None,
        c["stance"],
        bool(c["official"]),
        c.get("official_as"),
        c.get("created_at"),
        c.get("edited_at"),
        bool(c.get("deleted")),
        (hidden.get("reason"), hidden.get("at")) if hidden else None,
    )


def render_box(env: Environment, c: dict[str, Any]) -> Markup:
    """One comment's box (from `serialize.comment_view` data), rendered once per language and version."""
    cache: OrderedDict[tuple[Any, ...], Markup] | None = getattr(env, _ATTR, None)
    if cache is None:
        cache = OrderedDict()
        setattr(env, _ATTR, cache)
    key = _key(c, get_locale())
    box = cache.get(key)
    if box is not None:
        cache.move_to_end(key)
        return box
    html = env.get_template("proposals/_comment.html").render(**LABELS, c=c, oob=False)
    box = Markup(html)  # noqa: S704 — autoescaped template output
    cache[key] = box
    if len(cache) > MAX_BOXES:
        cache.popitem(last=False)
    return box


MAX_THREAD_CHARS = 8_000_000
_THREADS = "_agora_threads"


def _tree_key(node: dict[str, Any], locale: str) -> tuple[Any, ...]:
    return (_key(node, locale), tuple(_tree_key(child, locale) for child in node.get("children", ())))


def render_thread(env: Environment, node: dict[str, Any], depth: int, max_depth: int) -> Markup:
    """A comment and its replies (`comment_view` data with `children`), as the `thread` macro renders it."""
    store: tuple[OrderedDict[tuple[Any, ...], Markup], list[int]] | None = getattr(env, _THREADS, None)
    if store is None:
        store = (OrderedDict(), [0])
        setattr(env, _THREADS, store)
    cache, size = store
    locale = get_locale()
    key = (depth, max_depth, _tree_key(node, locale))
    html = cache.get(key)
    if html is not None:
        cache.move_to_end(key)
        return html
    module = env.get_template("proposals/_threads.html").make_module(vars={**LABELS, **FRAGMENTS})
    thread = getattr(module, "thread")  # noqa: B009 — a macro of the template, not an attribute mypy can see
    html = Markup(str(thread(node, depth, max_depth)))  # noqa: S704 — autoescaped macro output
    cache[key] = html
    size[0] += len(html)
    while size[0] > MAX_THREAD_CHARS and len(cache) > 1:
        size[0] -= len(cache.popitem(last=False)[1])
    return html


@pass_environment
def comment_box(env: Environment, c: dict[str, Any]) -> Markup:
    """`{{ comment_box(node) }}` in templates (see `proposals/_threads.html`)."""
    return render_box(env, c)


@pass_environment
def comment_thread(env: Environment, node: dict[str, Any], depth: int, max_depth: int) -> Markup:
    """`{{ comment_thread(node, depth, max_depth) }}` in templates (see `proposals/_thread.html`)."""
    return render_thread(env, node, depth, max_depth)


FRAGMENTS = {"comment_box": comment_box, "comment_thread": comment_thread}

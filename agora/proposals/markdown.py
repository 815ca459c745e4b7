"""Markdown for proposals and comments: markdown-it renders, nh3 keeps only an allow-list.

Raw HTML in the source is not rendered at all (it shows as text); whatever markdown-it produces is
then cleaned: allowed tags only, links only to http/https/mailto or relative addresses and always
`rel="nofollow noopener"`, no `on*`, `hx-*`, `data-*`, `style` or `class` attributes. The result is
the only user-derived HTML agora ever marks safe.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    "strikethrough"
)


def clean(html: str) -> Markup:
    """Sanitize HTML to the allow-list; idempotent, so stored or pushed HTML can be cleaned again.

    Pages clean every stored comment again on each view; the result depends only on the input
    string, so it is remembered for the most recent inputs (keyed by the whole string: a changed
    byte is a new entry, and nothing is ever served that did not go through nh3)."""
    return Markup(_clean_cached(str(html)))  # noqa: S704 — nh3 output against an allow-list


@lru_cache(maxsize=2048)
def _clean_cached(html: str) -> str:
    return _clean(html)


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(source: str) -> Markup:
    """Markdown source to sanitized HTML; headings start at level 3 (the page owns h1 and h2)."""
    return Markup(_render_cached(source))  # noqa: S704 — sanitized by clean()


@lru_cache(maxsize=256)
def _render_cached(source: str) -> str:
    """`render` for the most recent sources (a proposal's body is rendered on every view of it)."""
    tokens = _md.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2"):
            token.tag = "h3"
    return str(clean(_md.renderer.render(tokens, _md.options, {})))

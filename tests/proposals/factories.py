"""Halls, members and proposals for the proposals tests, with XSS payloads in every text field.

Halls and roles are created directly (the rooms feature's factories may replace these); every
name, title and body carries a payload so any page, fragment or push that forgets to escape fails.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx

from agora.rooms.models import Hall, MemberRole, Owner, Ownership, Unit
from tests.support import bearer, make_user

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<div hx-get="/logout" hx-trigger="load">',
    '" onmouseover="alert(1)',
]
XSS_ALL = " ".join(XSS)


async def make_hall(slug: str, kind: str = "compound", parent: Hall | None = None, **rules: Any) -> Hall:
    hall = await Hall.create(kind=kind, slug=slug, name=f"{slug} {XSS[1]}", parent=parent, rules=rules)
    if kind == "compound":
        hall.compound_id = hall.id
        await hall.save()
    elif kind == "building" and parent is not None:
        hall.compound_id = parent.id
        await hall.save()
    return hall


async def member(login: str, hall: Hall, *roles: str):  # type: ignore[no-untyped-def]
    """A user with the given roles in the hall (always "member"); the display name carries a payload."""
    user = await make_user(login, name=f"{login}{XSS[len(login) % len(XSS)]}"[:100])
    for role in ("member", *roles):
        await MemberRole.create(user=user, hall=hall, role=role)
    return user


async def add_unit(compound: Hall, building: Hall, label: str, entrance: str = "1") -> Unit:
    unit = await Unit.create(
        compound=compound, building=building, entrance=entrance, label=label, area_cents=8950
    )
    owner = await Owner.create(compound=compound, owner_ref=f"ref-{label}", name=f"owner {XSS[0]}")
    await Ownership.create(unit=unit, owner=owner)
    return unit


def proposal_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": f"停车位 {XSS_ALL}"[:200],
        "body": f"**增加车位** {XSS_ALL}\n\n[ok](https://example.com)",
        "category": "parking",
        "matter": "consultation",
        "item": None,
        "options": [{"key": "a", "label": f"同意 {XSS[0]}"}, {"key": "b", "label": f"反对 {XSS[4]}"}],
    }
    data.update(overrides)
    return data


async def api(client: httpx.AsyncClient, login: str) -> dict[str, str]:
    return await bearer(client, login)


async def create(client: httpx.AsyncClient, headers: dict[str, str], slug: str, **overrides: Any) -> int:
    response = await client.post(
        f"/api/v1/halls/{slug}/proposals", json=proposal_data(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def post_comment(
    client: httpx.AsyncClient, headers: dict[str, str], pid: int, body: str, **extra: object
) -> int:
    """A comment posted through the API; its id."""
    response = await client.post(
        f"/api/v1/proposals/{pid}/comments", json={"body": body, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def comment_box(html: str, comment_id: int) -> str:
    """One comment's <article> on a page."""
    match = re.search(rf'<article id="comment-{comment_id}".*?</article>', html, re.S)
    assert match, f"comment {comment_id} is not on the page"
    return match.group(0)


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], pid: int, to: str, **extra: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/proposals/{pid}/transition", json={"to": to, **extra}, headers=headers)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not (names.get("src") or "").startswith("/static/"):
            self.problems.append(f"inline script: {attrs}")
        if tag in ("img", "iframe", "svg", "object", "embed"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if (name.startswith("hx-") or name.startswith("data-hx")) and "/logout" in value:
                self.problems.append(f"{tag}[{name}={value}]")
            if name in ("href", "src", "action", "formaction") and value.startswith(("javascript:", "data:")):
                # The page shell's own empty icon (base.html: no favicon request) carries nothing.
                if not (tag == "link" and names.get("rel") == "icon" and value == "data:,"):
                    self.problems.append(f"{tag}[{name}={value}]")


def assert_no_xss(html: str) -> None:
    """No payload survived as markup: no foreign script, image, handler, htmx trigger or js: link."""
    checker = _Checker()
    checker.feed(html)
    assert not checker.problems, checker.problems
    assert "<script>alert(1)</script>" not in html

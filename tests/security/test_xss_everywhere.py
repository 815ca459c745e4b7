"""XSS everywhere: hostile text in every field a person can fill, seen by every role in a real browser.

Payloads go into hall names, owner names and unit labels (the roll CSV), proposal titles and bodies,
comments, hide and report reasons, display names, invite fields, search queries and query
parameters. Headless Chromium (tests/browser) walks every page reachable by links for an owner, a
moderator and the committee, plus pages with hostile query parameters, and on each asserts: no
dialog opened, no CSP violation, no element carrying a handler or an htmx attribute that came from
the payloads, and the payload shown as text. The resolution PDF and the live socket's JSON and HTML
pushes carry the same payloads as inert text.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from agora.accounts.models import User
from tests.ballots.factories import cast, close_now, set_roles, voting_proposal
from tests.ballots.pdftext import extract_text
from tests.browser.conftest import browser, phone_factory, settings  # noqa: F401 — fixtures
from tests.live.factories import next_of, open_socket
from tests.proposals.factories import assert_no_xss
from tests.rooms.factories import Row, compound_with_roll, register, roll_csv
from tests.support import TEST_PASSWORD, bearer

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    '<div hx-get="/logout" hx-trigger="load">',
    'hx-on:click="alert(1)"',
]
ALL = " ".join(PAYLOADS)
SHORT = "<img src=x onerror=alert(1)>"

ROWS = [
    Row("1", "101", "89.50", "A", f"张三 {PAYLOADS[0]}"),
    Row("1", "102", "102.30", "B", f"李四 {PAYLOADS[2]}"),
    Row("1", f"201{SHORT}", "75.00", "C", f"王五 {PAYLOADS[4]}"),
    Row("2", "101", "120.00", "D", f"赵六 {PAYLOADS[5]}"),
    Row("2", f"P01{PAYLOADS[2]}", "12.50", "E", f"周七 {PAYLOADS[1]}", entrance="", kind="parking"),
]

# What must never be in a rendered DOM: handlers from the payloads, the htmx trigger, a js: link.
DOM_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('[hx-get="/logout"],[onerror],[onload],[onclick],svg[onload]')) {
    bad.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = (attr.value || '').toLowerCase();
      if (name.startsWith('on') || name.startsWith('hx-on')) bad.push(`${el.tagName}[${name}]`);
      if ((name.startsWith('hx-') || name.startsWith('data-hx')) && /logout|alert/.test(value))
        bad.push(`${el.tagName}[${name}=${value}]`);
      if (['href', 'src', 'action', 'formaction', 'hx-get', 'hx-post'].includes(name)
          && value.trim().startsWith('javascript:')) bad.push(`${el.tagName}[${name}=${value}]`);
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if (!s.src || new URL(s.src).origin !== location.origin) bad.push('script ' + s.outerHTML.slice(0, 80));
  }
  return bad;
}"""

LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"""


async def build_world(client: httpx.AsyncClient) -> dict[str, Any]:
    compound = await compound_with_roll(client, name=f"阳光{PAYLOADS[2]}"[:120], text=roll_csv(ROWS))
    await User.filter(login="sunny-committee").update(display_name=f"业委会 {PAYLOADS[1]}")
    owner_a = await register(client, compound.invites["A"], "owner-a", display_name=f"阿张 {PAYLOADS[4]}")
    assert owner_a.status_code == 201, owner_a.text
    owner_b = await register(client, compound.invites["B"], "owner-b", display_name=f"阿李 {PAYLOADS[5]}")
    assert owner_b.status_code == 201, owner_b.text
    a, b = await bearer(client, "owner-a"), await bearer(client, "owner-b")
    moderator = await set_roles(compound, "mod-1", "moderator")
    await User.filter(login="mod-1").update(display_name=f"版主 {PAYLOADS[2]}")

    # A vote that closes and is certified: the record, its page and its PDF.
    done = await voting_proposal(compound, title=f"屋顶防水 {ALL}"[:200], body=f"维修资金 {ALL}")
    assert (await cast(client, done.id, a, "yes")).status_code == 201
    assert (await cast(client, done.id, b, "yes")).status_code == 201
    await close_now(done)
    certified = await client.post(
        f"/api/v1/proposals/{done.id}/resolution/certify", headers=compound.committee
    )
    assert certified.status_code == 200, certified.text
    # Fresh tokens after the clock moved; a vote open now with a thread under it.
    a, b = await bearer(client, "owner-a"), await bearer(client, "owner-b")
    moderator = await bearer(client, "mod-1")
    committee = await bearer(client, "sunny-committee")
    vote = await voting_proposal(
        compound, title=f"加装电梯 {ALL}"[:200], body=f"**分摊** {ALL}\n\n[x](javascript:alert(1))"
    )
    comments = []
    for headers, body in [(a, f"反对 {ALL}"), (b, f"[点我](javascript:alert(1)) {PAYLOADS[4]}"), (a, SHORT)]:
        posted = await client.post(
            f"/api/v1/proposals/{vote.id}/comments", json={"body": body}, headers=headers
        )
        assert posted.status_code == 201, posted.text
        comments.append(posted.json()["id"])
    reply = await client.post(
        f"/api/v1/proposals/{vote.id}/comments", json={"body": PAYLOADS[2], "parent": comments[0]}, headers=b
    )
    assert reply.status_code == 201, reply.text
    hidden = await client.post(
        f"/api/v1/comments/{comments[2]}/hide", json={"reason": f"隐藏 {ALL}"[:200]}, headers=moderator
    )
    assert hidden.status_code == 200, hidden.text
    reported = await client.post(
        f"/api/v1/comments/{comments[1]}/report", json={"reason": f"举报 {PAYLOADS[0]}"}, headers=a
    )
    assert reported.status_code == 201, reported.text
    invite = await client.post(
        f"/api/v1/halls/{compound.slug}/invites", json={"role": "resident", "max_uses": 3}, headers=committee
    )
    assert invite.status_code == 201, invite.text
    # A draft proposal in the committee's name, with hostile options.
    draft = await client.post(
        f"/api/v1/halls/{compound.slug}/proposals",
        json={
            "title": f"停车 {ALL}"[:200],
            "body": ALL,
            "category": "parking",
            "matter": "consultation",
            "item": None,
            "options": [{"key": "a", "label": f"同意 {PAYLOADS[2]}"}, {"key": "b", "label": PAYLOADS[5]}],
        },
        headers=committee,
    )
    assert draft.status_code == 201, draft.text
    return {
        "compound": compound,
        "done": done.id,
        "vote": vote.id,
        "comments": comments,
        "draft": draft.json()["id"],
        "a": a,
    }


def hostile_paths(world: dict[str, Any]) -> list[str]:
    slug, q = world["compound"].slug, quote(ALL)
    return [
        f"/halls/{slug}/search?q={q}",
        f"/halls/{slug}/resolutions?q={q}",
        f"/halls/{slug}/proposals?state={q}",
        f"/proposals/{world['vote']}?sort={q}&after={q}",
        f"/proposals/{world['done']}/resolution?receipt={q}",
        f"/halls/{slug}/roll?done={q}",
        f"/halls/{slug}/members?done={q}",
        f"/halls/{slug}/invites?done={q}",
        f"/halls/{slug}?lang={q}",
        f"/inbox?{q}={q}",
    ]


def shape(path: str) -> str:
    """Pages of one kind count once (another building's rules page, another sort order, another
    comment's permalink show the same templates with the same data); halls and proposals stay apart."""
    path = path.split("#")[0]
    path = re.sub(r"^/halls/[^/?]+/", "/halls/*/", path)
    path = re.sub(r"^/comments/\d+", "/comments/N", path)
    return re.sub(r"\?(sort|after)=.*$", "?sort", path)


async def walk(phone: Any, start: list[str], limit: int = 60) -> tuple[list[str], dict[str, Any]]:
    """Visit the start pages, then every same-site page linked from them (breadth first)."""
    page = phone.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    seen: set[str] = set()
    queue = list(start)
    shapes = {shape(p) for p in start}
    problems: dict[str, Any] = {}
    visited = []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        key = path.split("#")[0]
        if key in seen:
            continue
        seen.add(key)
        response = await phone.goto(key)
        if response is None or response.headers.get("content-type", "").startswith("application/pdf"):
            continue
        # goto waited for "load": htmx has processed the page (a hostile hx-trigger would have fired).
        visited.append(key)
        bad = await page.evaluate(DOM_CHECK)
        if bad:
            problems[key] = bad
        if response.status >= 500:
            problems[key] = f"status {response.status}"
        for href in await page.evaluate(LINKS):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/logout", "/api/")) or parts.path.endswith(".pdf"):
                continue
            # Downloads are not pages (a browser saves them): the PDF's text is checked below, the
            # spreadsheets' cells by tests/security/test_exports_and_names.py.
            if parts.path.endswith((".csv", ".xlsx")) or "format=csv" in parts.query:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if shape(target) not in shapes:
                shapes.add(shape(target))
                queue.append(target)
    if dialogs:
        problems["dialogs"] = dialogs
    if phone.csp_violations():
        problems["csp"] = phone.csp_violations()
    return visited, problems


async def test_hostile_text_everywhere_stays_text_for_every_role(
    server,
    client: httpx.AsyncClient,
    phone_factory,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    world = await build_world(client)
    slug = world["compound"].slug
    start = ["/halls", f"/halls/{slug}", f"/halls/{slug}/proposals", f"/proposals/{world['vote']}"]
    everyone: dict[str, list[str]] = {}
    for login in ("owner-a", "mod-1", "sunny-committee"):
        phone = await phone_factory()
        await phone.sign_in(login, TEST_PASSWORD)
        assert "/login" not in phone.page.url, f"{login} could not sign in"
        # Hostile query parameters once, as the committee (who may open every page they go to).
        extra = hostile_paths(world) if login == "sunny-committee" else []
        visited, problems = await walk(phone, start + extra)
        assert not problems, f"{login}: {problems}"
        everyone[login] = visited
        # The payloads are visible as text where they belong.
        await phone.goto(f"/proposals/{world['vote']}")
        text = await phone.page.inner_text("body")
        for payload in (PAYLOADS[0], PAYLOADS[2], PAYLOADS[4]):
            assert payload in text, (login, payload)
        await phone.goto(f"/halls/{slug}/search?q={quote(PAYLOADS[1])}")
        assert PAYLOADS[1] in await phone.page.inner_text("body")
        # Still signed in: nothing made the browser post /logout.
        await phone.goto("/halls")
        assert "/login" not in phone.page.url, f"{login} was signed out"
    reached = set().union(*everyone.values())
    for expected in (f"/halls/{slug}/roll", f"/halls/{slug}/members", f"/halls/{slug}/moderation"):
        assert any(v.startswith(expected) for v in everyone["sunny-committee"] + everyone["mod-1"]), (
            expected,
            reached,
        )
    assert len(reached) >= 15, sorted(reached)

    # Pages for anonymous visitors with hostile parameters.
    phone = await phone_factory()
    visited, problems = await walk(
        phone, [f"/login?next={quote(ALL)}", f"/join?code={quote(ALL)}", "/"], limit=6
    )
    assert not problems, problems

    # The resolution PDF shows the title as inert text.
    pdf = await client.get(f"/proposals/{world['done']}/resolution.pdf", headers=world["a"])
    assert pdf.status_code == 200, pdf.status_code
    words = extract_text(pdf.content)
    assert "屋顶防水" in words and "alert(1)" in words, words[:500]
    # Inert: no script, launch action or form (fpdf2's /OpenAction is only the initial view).
    for active in (b"/JavaScript", b"/JS ", b"/JS(", b"/AA ", b"/Launch", b"/AcroForm"):
        assert active not in pdf.content, active


async def test_a_hostile_comment_is_pushed_escaped_to_html_and_json_sockets(
    server, client: httpx.AsyncClient
) -> None:  # type: ignore[no-untyped-def]
    compound = await compound_with_roll(client, text=roll_csv(ROWS[:2]))
    owner = await compound.owner("A", "owner-a")
    vote = await voting_proposal(compound, title="电梯", body="分摊")
    async with (
        open_socket(server, compound.slug, owner, format=None) as html_ws,
        open_socket(server, compound.slug, owner) as json_ws,
    ):
        assert 'id="presence"' in await asyncio.wait_for(html_ws.recv(), 3)
        await next_of(json_ws, "presence")
        await asyncio.sleep(0.3)
        posted = await client.post(
            f"/api/v1/proposals/{vote.id}/comments", json={"body": f"评论 {ALL}"}, headers=owner
        )
        assert posted.status_code == 201, posted.text
        pushed = await next_of(json_ws, "comment.created")
        fragment = ""
        while "alert" not in fragment:
            fragment = await asyncio.wait_for(html_ws.recv(), 3)
    # JSON carries data, never markup to inject: any HTML in it is the sanitized rendering.
    raw = json.dumps(pushed, ensure_ascii=False)
    for value in _strings(pushed):
        if "<" in value and ">" in value and value.lstrip().startswith("<"):
            assert_no_xss(value)
    assert "alert(1)" in raw
    assert_no_xss(fragment)
    assert "&lt;script&gt;" in fragment or "&lt;script" in fragment


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []

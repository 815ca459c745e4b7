"""Every page the demo's roles can reach, rendered in English and in Chinese, with no words left over.

English: the demo's halls, people and units are renamed to ASCII and the proposals are written in
English (tests/browser/world.py), so any Chinese character on a page is untranslated chrome (the one
exception is the language switch, marked `lang="zh-CN"`). Chinese: the content is Chinese, so any
text node that is an English message id of our catalogs, or holds a common English UI word, is chrome
someone forgot to translate. Dates are in the locale's format and in Asia/Shanghai time.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.messages.pofile import read_po

from agora import clock
from agora.settings import Settings
from tests.browser.world import HALL, PASSWORD, World, seed_world
from tests.support import csrf_from

ROLES = ("admin", "party", "committee", "canvasser", "owner1", "owner2", "tenant1", "riverowner")
MAX_PAGES_PER_ROLE = 60
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
SKIP_TAGS = {"script", "style", "code", "pre"}
TEXT_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
UI_WORDS = (
    "Sign in", "Sign out", "Search", "Post", "Reply", "Vote", "Result", "Proposals", "Proposal", "Hall",
    "Back", "Cancel", "Save", "Submit", "Comment", "Delete", "Edit", "Continue", "Confirm", "Login",
    "Password", "Members", "Invitations", "Roll", "Turnout", "Ledger", "Receipt", "Draft", "Notice",
    "Voting", "Closed", "Certified", "Moderation", "Hide", "Restore", "Report", "Official", "Timeline",
    "Discussion", "Owner", "Tenant", "Large text", "Normal text", "Skip to content", "Yes", "No",
    "Abstain", "Support", "Oppose", "Question", "Neutral", "My halls", "Inbox", "Rules", "Find", "Print",
    "Import", "Export", "Units", "Persons", "Area", "Building", "Entrance", "Choice", "Channel", "online",
    "paper", "proxy", "passed", "member", "members", "seconded", "hidden", "Hidden", "Resolution",
)  # fmt: skip
UI_WORD = re.compile(r"(?<![A-Za-z])(" + "|".join(re.escape(w) for w in UI_WORDS) + r")(?![A-Za-z])")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "agora" / "locale" / "zh_CN" / "LC_MESSAGES"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    year = 365 * 24 * 3600
    return dataclasses.replace(settings, session_idle_seconds=year, session_absolute_seconds=year)


def english_msgids() -> set[str]:
    """Message ids without placeholders that are real phrases (two words or more)."""
    ids: set[str] = set()
    for path in LOCALE_DIR.glob("*.po"):
        with path.open("rb") as handle:
            for message in read_po(handle):
                text = message.id if isinstance(message.id, str) else (message.id or [""])[0]
                if text and "{" not in text and " " in text.strip():
                    ids.add(text.strip())
    return ids


class Texts(HTMLParser):
    """Text nodes and text attributes, each with the language of the element it sits in."""

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, bool]] = [("", page_lang, False)]
        self.items: list[tuple[str, str]] = []
        self.links: list[str] = []

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "col", "base", "path"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        lang = names.get("lang") or self.stack[-1][1]
        skip = self.stack[-1][2] or tag in SKIP_TAGS
        if tag == "html":
            lang = names.get("lang") or lang
        for name in TEXT_ATTRIBUTES:
            if names.get(name) and not skip:
                self.items.append((lang, names[name] or ""))
        if tag == "input" and names.get("type") in ("submit", "button") and names.get("value"):
            self.items.append((lang, names["value"] or ""))
        if tag == "a" and names.get("href"):
            self.links.append(names["href"] or "")
        if tag not in self.VOID and not tag.endswith("/"):
            self.stack.append((tag, lang, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.stack[-1][2]:
            self.items.append((self.stack[-1][1], " ".join(data.split())))


def parse(html: str) -> Texts:
    match = re.search(r'<html lang="([^"]+)"', html)
    texts = Texts(match.group(1) if match else "")
    texts.feed(html)
    return texts


def crawlable(href: str) -> bool:
    path = urlsplit(href).path
    return (
        href.startswith("/")
        and not href.startswith(("/api/", "/static/", "/ws/", "//"))
        and not path.endswith((".pdf", ".csv"))
        and path not in ("/logout",)
    )


async def client_for(server, login: str, lang: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(
        base_url=server.url, follow_redirects=True, timeout=30, headers={"Accept-Language": lang}
    )
    page = await client.get("/login")
    await client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert "/login" not in str((await client.get("/halls")).url), f"{login} could not sign in"
    return client


async def crawl(client: httpx.AsyncClient, starts: list[str]) -> Iterator[tuple[str, str]]:  # type: ignore[misc]
    """Breadth first over the pages reachable by links: two pages per route (numbers and building
    slugs stand for any), enough to see every template and its states without rendering every hall."""
    seen: set[str] = set()
    routes: dict[str, int] = {}
    queue = list(starts)
    pages: list[tuple[str, str]] = []
    while queue and len(pages) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        key = url.split("#")[0]
        route = re.sub(r"\d+", "N", key)
        if key in seen or routes.get(route, 0) >= 2:
            continue
        seen.add(key)
        routes[route] = routes.get(route, 0) + 1
        response = await client.get(key)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status_code < 500, f"{key}: {response.status_code}"
        pages.append((key, response.text))
        for href in parse(response.text).links:
            absolute = urljoin(key, href)
            if crawlable(absolute) and absolute.split("#")[0] not in seen:
                queue.append(absolute)
    return pages  # type: ignore[return-value]


async def posted_pages(server, world: World, lang: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Pages that only a form post shows: the roll preview, invitation slips, a vote's confirmation."""
    pages: list[tuple[str, str]] = []
    committee = await client_for(server, "committee", lang)
    owner = await client_for(server, "owner1", lang)
    anonymous = httpx.AsyncClient(base_url=server.url, timeout=30, headers={"Accept-Language": lang})
    try:
        token = csrf_from((await committee.get(f"/halls/{HALL}/roll")).text)
        roll = (await committee.get(f"/api/v1/halls/{HALL}/roll.csv")).text
        for data in (roll.encode(), b"building,unit\n1\n"):
            preview = await committee.post(
                f"/halls/{HALL}/roll/preview",
                data={"csrf_token": token},
                files={"roll": ("roll.csv", data, "text/csv")},
            )
            pages.append(("POST roll/preview", preview.text))
        slips = await committee.post(f"/halls/{HALL}/invites/slips", data={"csrf_token": token})
        pages.append(("POST invites/slips", slips.text))
        invite = await committee.post(f"/halls/{HALL}/invites", data={"csrf_token": token, "role": "tenant"})
        pages.append(("POST invites", invite.text))
        vote = world.ids["vote"]
        token = csrf_from((await owner.get(f"/proposals/{vote}/vote")).text)
        confirm = await owner.post(f"/proposals/{vote}/vote", data={"csrf_token": token, "choice": "yes"})
        pages.append(("POST vote", confirm.text))
        receipt = await owner.post(
            f"/proposals/{vote}/vote/confirm",
            data={"csrf_token": token, "choice": "yes", "idempotency_key": csrf_from(confirm.text)[:20]},
        )
        assert receipt.url.path.endswith("/vote/receipt"), receipt.url  # post/redirect/get
        pages.append(("GET vote/receipt", receipt.text))
        done = world.ids["done"]
        found = await owner.get(f"/proposals/{done}/resolution?receipt={world.receipts['done:owner1']}")
        pages.append(("resolution?receipt", found.text))
        for path in ("/login", "/join?code=XXXX", "/no-such-page"):
            pages.append((path, (await anonymous.get(path)).text))
        page = await anonymous.get("/login")
        wrong = await anonymous.post(
            "/login",
            data={"login": "nobody", "password": "wrong password", "csrf_token": csrf_from(page.text)},
        )
        pages.append(("POST /login (wrong)", wrong.text))
    finally:
        for client in (committee, owner, anonymous):
            await client.aclose()
    return pages


async def all_pages(server, world: World, lang: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    pages: list[tuple[str, str]] = []
    starts = ["/halls", *[f"/proposals/{pid}" for pid in world.ids.values()], "/inbox"]
    starts += [f"/concerns/{cid}" for cid in world.concerns.values()]
    for role in ROLES:
        client = await client_for(server, role, lang)
        try:
            pages += [(f"{role} {url}", html) for url, html in await crawl(client, starts)]
        finally:
            await client.aclose()
    return pages + await posted_pages(server, world, lang)


def shanghai_moment_on_another_day() -> None:
    """Move the clock to 20:30 UTC, which is 04:30 the next day in Shanghai."""
    now = clock.now()
    target = now.replace(hour=20, minute=30, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    clock.travel(target - now)


RAW_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|[+-]00:00\b|\bUTC\b")


def assert_no_raw_times(pages: list[tuple[str, str]]) -> None:
    """No page shows a machine time (ISO, seconds, UTC) to a resident: every time goes through the
    one `when` filter (Asia/Shanghai, to the minute). Hashes and codes in <code> are not text here."""
    raw = {
        url: found
        for url, html in pages
        if (found := [text for _lang, text in parse(html).items if RAW_TIME.search(text)])
    }
    assert not raw, f"raw times on pages: {raw}"


async def test_english_pages_have_no_chinese_left(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        world = await seed_world(server, api, lang="en")
        shanghai_moment_on_another_day()
        posted = await world.call("owner2", "POST", f"/api/v1/proposals/{world.ids['talk']}/comments", 201,
                                  json={"body": "Posted at night.", "stance": "neutral"})  # fmt: skip
    pages = await all_pages(server, world, "en")
    assert len(pages) > 40
    leftovers: dict[str, list[str]] = {}
    for url, html in pages:
        assert '<html lang="en"' in html, url
        found = [text for lang, text in parse(html).items if not lang.startswith("zh") and CJK.search(text)]
        if found:
            leftovers[url] = found[:5]
    assert not leftovers, f"Chinese left in English pages: {leftovers}"
    assert_no_raw_times(pages)

    # Dates: English format, Shanghai time (04:30 on the day after the UTC date).
    owner = await client_for(server, "owner2", "en")
    html = (await owner.get(f"/proposals/{world.ids['talk']}")).text
    await owner.aclose()
    stamp = re.search(rf'id="comment-{posted["id"]}".*?<time datetime="([^"]+)">([^<]+)</time>', html, re.S)
    assert stamp, "the comment shows its time"
    moment = datetime.fromisoformat(stamp.group(1)).astimezone(UTC)
    local = moment.astimezone(ZoneInfo("Asia/Shanghai"))
    assert local.date() != moment.date() and local.hour == 4
    # To the minute, 24-hour: "5 Dec 2026, 04:30".
    assert stamp.group(2).strip() == f"{local.day} {local:%b} {local.year}, {local:%H:%M}"


async def test_chinese_pages_have_no_english_chrome_left(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        world = await seed_world(server, api, lang="zh")
        shanghai_moment_on_another_day()
        posted = await world.call("owner2", "POST", f"/api/v1/proposals/{world.ids['talk']}/comments", 201,
                                  json={"body": "深夜发言。", "stance": "neutral"})  # fmt: skip
    pages = await all_pages(server, world, "zh-CN")
    assert len(pages) > 40
    msgids = english_msgids()
    leftovers: dict[str, list[str]] = {}
    for url, html in pages:
        assert '<html lang="zh-CN"' in html, url
        found = [
            text
            for lang, text in parse(html).items
            if lang.startswith("zh") and (text.strip(" .:·→←›") in msgids or UI_WORD.search(text))
        ]
        if found:
            leftovers[url] = sorted(set(found))[:6]
    assert not leftovers, f"English left in Chinese pages: {leftovers}"
    assert_no_raw_times(pages)

    owner = await client_for(server, "owner2", "zh-CN")
    html = (await owner.get(f"/proposals/{world.ids['talk']}")).text
    await owner.aclose()
    stamp = re.search(rf'id="comment-{posted["id"]}".*?<time datetime="([^"]+)">([^<]+)</time>', html, re.S)
    assert stamp, "the comment shows its time"
    local = datetime.fromisoformat(stamp.group(1)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert local.hour == 4
    # The glossary's form: 2026年12月5日 04:30.
    assert stamp.group(2).strip() == f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"

"""Browser tests: Playwright driving Debian's Chromium at a 360×800 phone viewport, axe-core on every page.

The browser runs against the same real uvicorn server the HTTP tests use; pages are checked with
axe-core (from npm, node_modules/axe-core) for serious or critical violations, and for CSP
violations reported on the console.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agora.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# `make test` writes screenshots to build/ (the working tree stays clean); `make screenshots` sets
# AGORA_SCREENSHOTS_DIR to docs/screenshots/ to refresh the README's.
SCREENSHOTS = Path(os.environ.get("AGORA_SCREENSHOTS_DIR") or ROOT / "build" / "screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 800}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Sessions that outlive the weeks the tests move the clock through (notice period, voting window)."""
    year = 365 * 24 * 3600
    return dataclasses.replace(settings, session_idle_seconds=year, session_absolute_seconds=year)


# Interactive elements smaller than 44×44 CSS px (WCAG 2.5.5), except links inside running text
# (the "inline" exception) and the skip link while it is off screen. Radios and checkboxes count
# by their label, which is what a finger hits.
TOUCH_TARGETS_JS = """() => {
  const small = [];
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('.skip, .visually-hidden, .live-log') || el.classList.contains('skip')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]')) target = el.closest('label') || el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (el.tagName === 'A' && style.display === 'inline' && !el.classList.contains('button')) {
      const parent = el.parentElement;
      const own = el.textContent.trim().length;
      const around = parent ? parent.textContent.replace(/\\s+/g, ' ').trim().length : own;
      const first = parent && parent.firstElementChild === el;
      if (around > own + 2 && (!first || parent.matches('p, td, dd, span, small, .muted'))) continue;
    }
    if (box.height < 43.5 || box.width < 43.5) {
      small.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || el.id).trim().slice(0, 40)}"`
        + ` ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""

# Every <svg> is either decorative (aria-hidden) or a picture with a role and a text alternative.
SVG_JS = """() => [...document.querySelectorAll('svg')].filter(svg => {
  if (svg.closest('[aria-hidden=true]')) return false;
  const title = svg.querySelector(':scope > title');
  const name = (svg.getAttribute('aria-label') || (title && title.textContent) || '').trim();
  return svg.getAttribute('role') !== 'img' || !name;
}).map(svg => svg.outerHTML.slice(0, 120))"""


# Every console error fails a page. (A hall's live fragments whose targets a page does not show are
# dropped before the swap by app.js's `live-targets` extension, so htmx never reports a missing one.)
KNOWN_CONSOLE_ERRORS: tuple[str, ...] = ()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make system-deps` (Debian's chromium package)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


class Phone:
    """One person's phone: a browser context with its own cookies, at 360×800."""

    def __init__(self, context: Any, page: Any, base_url: str) -> None:
        self.context, self.page, self.base_url = context, page, base_url
        self.console_errors: list[str] = []
        self.visited: list[str] = []
        self.taps = 0
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)

    async def goto(self, path: str) -> Any:
        return await self.page.goto(self.base_url + path)

    async def axe(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations on the current page."""
        # Evaluated through the DevTools protocol, so the page's strict CSP stays untouched.
        await self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = await self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]

    def csp_violations(self) -> list[str]:
        return [e for e in self.console_errors if "Content Security Policy" in e]

    async def check(self, *, targets: bool = True) -> None:
        """What every page must pass on a phone: axe-core (no serious or critical violation), no CSP
        report, no console error, no sideways scrolling at 360 px, pictures with text alternatives,
        44 px touch targets."""
        page = self.page
        url = page.url.replace(self.base_url, "")
        self.visited.append(url)
        problems: dict[str, Any] = {}
        violations = await self.axe()
        if violations:
            problems["axe"] = violations
        if self.csp_violations():
            problems["csp"] = self.csp_violations()
        errors = [
            e
            for e in self.console_errors
            if not (KNOWN_CONSOLE_ERRORS and e.startswith(KNOWN_CONSOLE_ERRORS))
        ]
        if errors:
            problems["console errors"] = errors
        width = await page.evaluate("document.documentElement.scrollWidth")
        viewport = await page.evaluate("window.innerWidth")
        if width > viewport:
            wide = await page.evaluate(
                """(vw) => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > vw + 1).slice(0, 5)
                     .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)""",
                viewport,
            )
            problems["horizontal scroll"] = (width, wide)
        svgs = await page.evaluate(SVG_JS)
        if svgs:
            problems["svg without role=img and a text alternative"] = svgs
        if targets:
            small = await page.evaluate(TOUCH_TARGETS_JS)
            if small:
                problems["touch targets < 44 px"] = small
        assert not problems, f"{url}: {problems}"

    async def tap(self, selector: str, **kwargs: Any) -> None:
        """A tap that navigates: count it, wait for the new page and check it."""
        self.taps += 1
        async with self.page.expect_navigation():
            await self.page.locator(selector, **kwargs).first.click()
        await self.check()

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

    async def sign_in(self, login: str, password: str) -> None:
        await self.goto("/login")
        await self.page.fill("#login", login)
        await self.page.fill("#password", password)
        await self.page.click("button[type=submit].primary")
        await self.page.wait_for_load_state()


@pytest.fixture
async def phone_factory(browser: Any, server: Any) -> AsyncIterator[Any]:
    contexts = []

    async def make(locale: str = "zh-CN") -> Phone:
        context = await browser.new_context(
            viewport=PHONE, locale=locale, device_scale_factor=2, is_mobile=True
        )
        contexts.append(context)
        page = await context.new_page()
        return Phone(context, page, server.url)

    try:
        yield make
    finally:
        for context in contexts:
            await context.close()

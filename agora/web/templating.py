"""Jinja2 environment and rendering: one template serves as full page and as htmx fragment.

Autoescaping is on for every template, whatever its file name (Starlette's default escapes only
.html/.htm/.xml).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from agora import i18n
from agora.web.staticfiles import static_url

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


def _babel_locale() -> str:
    return "zh_Hans_CN" if i18n.get_locale() == "zh_CN" else "en"


def build_environment(timezone: str, *, auto_reload: bool = False) -> Environment:
    """Templates are read once (`auto_reload` re-reads changed files: for development only)."""
    env = Environment(
        auto_reload=auto_reload,
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    zone = ZoneInfo(timezone)

    @lru_cache(maxsize=4096)
    def formatted(value: datetime, style: str, locale: str) -> str:
        return format_datetime(value.astimezone(zone), format=style, locale=locale)

    def when(value: datetime | None, style: str = "medium") -> str:
        """A date and time in the site's time zone and the current language (Babel, remembered:
        a page formats the same few hundred times on every view)."""
        if value is None:
            return ""
        return formatted(value, style, _babel_locale())

    def number(value: object) -> str:
        return format_decimal(value, locale=_babel_locale())  # type: ignore[arg-type]

    env.globals.update(_=i18n.gettext, ngettext=i18n.ngettext, static=static_url)
    env.filters.update(when=when, number=number, iso=lambda v: v.isoformat() if v else "")
    return env


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    from agora.web.middleware import csrf_token

    env: Environment = request.app.state.templates
    state = request.state
    ctx = {
        "request": request,
        "user": state.user,
        "locale": i18n.get_locale(),
        "html_lang": "zh-CN" if i18n.get_locale() == "zh_CN" else "en",
        "csrf_token": csrf_token(request),
        "large_text": getattr(state, "large_text", False),
        "htmx": is_htmx(request),
        "flash": None,
    }
    ctx.update(context or {})
    html = env.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status, headers=headers)


def render_fragment(env: Environment, template: str, context: dict[str, Any]) -> Markup:
    """A fragment rendered outside a request (websocket pushes use the same templates as pages)."""
    return Markup(env.get_template(template).render(context))  # noqa: S704 — autoescaped template output

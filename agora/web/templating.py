"""Jinja2 environment and rendering: one template serves as full page and as htmx fragment.

Autoescaping is on for every template, whatever its file name (Starlette's default escapes only
.html/.htm/.xml).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from agora import clock, i18n
from agora.resources import TEMPLATE_DIR
from agora.timefmt import local_time
from agora.web.csrf import csrf_token
from agora.web.staticfiles import inline_style, static_url


def _babel_locale() -> str:
    return "zh_Hans_CN" if i18n.get_locale() == "zh_CN" else "en"


def build_environment(*, auto_reload: bool = False) -> Environment:
    """Templates are read once (`auto_reload` re-reads changed files: for development only)."""
    env = Environment(
        auto_reload=auto_reload,
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def when(value: datetime | str | None, style: str = "minute") -> str:
        """A date and time in the site's time zone, to the minute, 24-hour, in the current language
        (2026年12月4日 21:43 / 4 Dec 2026, 21:43): the one way a page shows a time. It also takes the
        ISO strings of JSON documents (the resolution record), so no page prints raw ISO or UTC.
        `style="date"` drops the time."""
        return local_time(value, clock.LOCAL_ZONE, _babel_locale(), style)

    def number(value: object) -> str:
        return format_decimal(value, locale=_babel_locale())  # type: ignore[arg-type]

    env.globals.update(_=i18n.gettext, ngettext=i18n.ngettext, static=static_url, inline_style=inline_style)
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

"""Translations: zh-CN first, English complete.

Message ids are English; `agora/locale/zh_CN/LC_MESSAGES/*.po` translate them. The current
locale lives in a context variable set per request (or per CLI call), so services and pure
domain code can produce user-facing messages with `_()` without being handed a request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("agora_locale", default=DEFAULT_LOCALE)


@cache
def _catalog(locale: str) -> dict[str, str]:
    """Message id -> translation for `locale`, read straight from the .po files (no compile step).

    Each feature keeps its own catalog (`<feature>.po`) so features can be translated independently.
    """
    table: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if message.id and message.string and not message.fuzzy and isinstance(message.id, str):
                table[message.id] = message.string  # type: ignore[assignment]
    return table


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(normalize(locale) or DEFAULT_LOCALE)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = set_locale(locale)
    try:
        yield
    finally:
        _current.reset(token)


def normalize(tag: str | None) -> str | None:
    """Map a language tag (`zh-CN`, `zh`, `en-US`, `en`) to a supported locale, else None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale from an Accept-Language header, by q-value."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        quality = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith("q="):
                try:
                    quality = float(piece.strip()[2:])
                except ValueError:
                    quality = 0.0
        locale = normalize(pieces[0])
        if locale and quality > 0:
            ranked.append((-quality, index, locale))
    return sorted(ranked)[0][2] if ranked else None


def gettext(message: str, **params: object) -> str:
    """Translate `message` into the current locale and fill `{name}` placeholders."""
    locale = _current.get()
    text = message if locale == "en" else _catalog(locale).get(message, message)
    return text.format(**params) if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    message = singular if n == 1 else plural
    locale = _current.get()
    if locale != "en":
        message = _catalog(locale).get(singular, message)
    return message.format(n=n, **params)


_ = gettext

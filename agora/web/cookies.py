"""The cookies agora sets and reads: their names, one reader and one way to write a Set-Cookie."""

from __future__ import annotations

from starlette.datastructures import Headers

SESSION_COOKIE = "agora_session"  # the server-side session (HttpOnly)
PRE_COOKIE = "agora_pre"  # before signing in: what the CSRF token is bound to
LANG_COOKIE = "agora_lang"  # the chosen language
TEXT_COOKIE = "agora_text"  # "large": the large-text mode


def read_cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def cookie_header(
    name: str, value: str, secure: bool, max_age: int | None = None, http_only: bool = True
) -> str:
    """A Set-Cookie value: the whole site, SameSite=Lax, HttpOnly unless told otherwise."""
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def clear_cookie_header(name: str) -> str:
    return f"{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"

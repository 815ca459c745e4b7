"""What any input must be before a feature sees it: pure checks, no Starlette, no database.

JSON is parsed with a depth limit (the standard parser recurses and answers deep nesting with a
RecursionError, i.e. a 500); every string, key and form value is checked for lone surrogates (not
UTF-8: asyncpg cannot encode them) and NUL (PostgreSQL's text cannot hold it); times are bounded
so a far-future date cannot overflow a conversion or a column.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_JSON_DEPTH = 32
"""Nesting of objects and arrays a request body may have; agora's own bodies use at most 4."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=10 * 366)
"""No deadline, expiry or closing time agora handles is more than ten years ahead."""


class TooDeep(ValueError):
    """The JSON nests deeper than MAX_JSON_DEPTH."""


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, found without parsing.

    Strings (with their escapes) are removed first, so a bracket inside a string does not count;
    malformed text is left to the parser."""
    depth = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def parse_json(body: bytes) -> Any:
    """The decoded JSON value; ValueError for malformed text, TooDeep for nesting past the limit."""
    text = body.decode("utf-8")
    if json_depth_exceeds(text):
        raise TooDeep("too deeply nested")
    try:
        return json.loads(text)
    except RecursionError as exc:  # cannot happen below the limit; kept as a guard
        raise TooDeep("too deeply nested") from exc


def bad_text(value: str) -> str | None:
    """Why a string cannot be stored ("nul" or "surrogate"), or None when it can."""
    if "\x00" in value:
        return "nul"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return None


def find_bad_text(data: Any) -> tuple[str, str] | None:
    """The first (field path, reason) of a string or key that cannot be stored, walking iteratively.

    Paths name the top-level field as the API does (`body`, `options.1.label`)."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            reason = bad_text(value)
            if reason:
                return path or "body", reason
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                reason = bad_text(str(key))
                if reason:
                    return (path or _printable(str(key))), reason
                stack.append((where, item))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{path}.{index}" if path else str(index), item))
    return None


def _printable(key: str) -> str:
    return key.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode("ascii", "replace")


def field_name(path: str) -> str:
    """A path safe to echo back in an error (a key may itself hold a NUL or a surrogate)."""
    return _printable(path)


def time_out_of_bounds(value: datetime, now: datetime) -> bool:
    """Whether an aware time is before 2000 or more than ten years after `now`."""
    return value < EARLIEST or value > now + MAX_AHEAD

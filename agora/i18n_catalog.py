"""Which message ids the code and templates use, and which lack a Chinese translation.

Used by the test suite (every string must be translated) and by `python -m agora.i18n_catalog`,
which prints the missing ids as .po entries to paste into a feature's catalog.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from agora.i18n import _catalog

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def used_message_ids() -> dict[str, str]:
    """msgid -> first place it is used."""
    found: dict[str, str] = {}
    method_map = [("agora/**.py", "python"), ("templates/**.html", "jinja2")]
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids[:1]:
            if msgid:
                found.setdefault(msgid, f"{filename}:{_lineno}")
    return found


def missing_translations(locale: str = "zh_CN") -> dict[str, str]:
    _catalog.cache_clear()
    table = _catalog(locale)
    return {msgid: where for msgid, where in used_message_ids().items() if msgid not in table}


def main() -> int:
    missing = missing_translations()
    for msgid, where in sorted(missing.items(), key=lambda item: item[1]):
        escaped = msgid.replace("\\", "\\\\").replace('"', '\\"')
        print(f'#: {where}\nmsgid "{escaped}"\nmsgstr ""\n')
    print(f"# {len(missing)} missing", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

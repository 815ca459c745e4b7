"""Add translations to a catalog from a JSON object {msgid: translation} on standard input.

pairs.json is a JSON object {msgid: translation}. Existing entries are updated; order is kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def main() -> int:
    path = Path(sys.argv[1])
    pairs = json.load(sys.stdin)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale="zh_CN", project="agora", charset="utf-8")
    for msgid, text in pairs.items():
        catalog.add(msgid, text)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    print(f"{path}: {len(catalog)} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

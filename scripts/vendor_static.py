"""Copy the npm-pinned front-end files into static/vendor/ (run by `make install`).

The versions come from package.json / package-lock.json (`npm ci`); nothing is hand-copied into git.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "node_modules/htmx.org/dist/htmx.min.js": "static/vendor/htmx.min.js",
    "node_modules/htmx-ext-ws/dist/ws.min.js": "static/vendor/htmx-ext-ws.min.js",
}


def main() -> int:
    for source, target in FILES.items():
        src, dst = ROOT / source, ROOT / target
        if not src.exists():
            print(f"missing {source}: run `npm ci` first", file=sys.stderr)
            return 1
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    print(f"vendored {len(FILES)} files into static/vendor/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

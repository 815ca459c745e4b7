"""The npm-pinned front-end files agora serves from static/vendor/, committed with their provenance.

`static/vendor/` is in git so that a clean checkout (no `npm ci`) and the wheel serve pages. Each file's
npm package, version and the lockfile's `integrity` of that package are recorded beside it in
`static/vendor/VERSIONS.json`, with the file's own SHA-256; `tests/test_packaging.py` checks that the
record agrees with package-lock.json and the files, and byte for byte with node_modules when present.

    python scripts/vendor_static.py          # after `npm ci`: copy the files and rewrite VERSIONS.json
    python scripts/vendor_static.py --check  # exit 1 when static/vendor/ disagrees with the lockfile
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
RECORD = VENDOR / "VERSIONS.json"
# target file in static/vendor -> (npm package, path inside the package)
FILES = {
    "htmx.min.js": ("htmx.org", "dist/htmx.min.js"),
    "htmx-ext-ws.min.js": ("htmx-ext-ws", "dist/ws.min.js"),
}


def lock_entry(package: str) -> dict[str, str]:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"][f"node_modules/{package}"]
    return {"version": entry["version"], "integrity": entry["integrity"]}


def expected_record() -> dict[str, dict[str, str]]:
    record = {}
    for target, (package, inner) in FILES.items():
        data = (VENDOR / target).read_bytes()
        record[target] = {
            "package": package,
            "path": inner,
            **lock_entry(package),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return record


def problems() -> list[str]:
    """What disagrees between static/vendor/, its VERSIONS.json, package-lock.json and node_modules."""
    found: list[str] = []
    if not RECORD.is_file():
        return [f"{RECORD.relative_to(ROOT)} is missing"]
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    if sorted(record) != sorted(FILES):
        found.append(f"VERSIONS.json lists {sorted(record)}, expected {sorted(FILES)}")
    for target, (package, inner) in FILES.items():
        path = VENDOR / target
        entry = record.get(target, {})
        if not path.is_file():
            found.append(f"static/vendor/{target} is missing")
            continue
        data = path.read_bytes()
        lock = lock_entry(package)
        for key in ("version", "integrity"):
            if entry.get(key) != lock[key]:
                found.append(f"{target}: {key} {entry.get(key)!r} but package-lock.json has {lock[key]!r}")
        if entry.get("package") != package or entry.get("path") != inner:
            found.append(f"{target}: recorded as {entry.get('package')}/{entry.get('path')}")
        if entry.get("sha256") != hashlib.sha256(data).hexdigest():
            found.append(f"{target}: its SHA-256 is not the one recorded in VERSIONS.json")
        installed = ROOT / "node_modules" / package
        manifest = installed / "package.json"
        if manifest.is_file():
            version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
            if version == lock["version"] and (installed / inner).read_bytes() != data:
                found.append(f"{target}: differs from node_modules/{package}/{inner} ({version})")
    return found


def vendor() -> int:
    for target, (package, inner) in FILES.items():
        src = ROOT / "node_modules" / package / inner
        if not src.exists():
            print(f"missing node_modules/{package}/{inner}: run `npm ci` first", file=sys.stderr)
            return 1
        VENDOR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, VENDOR / target)
    RECORD.write_text(json.dumps(expected_record(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"vendored {len(FILES)} files into static/vendor/")
    return 0


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = problems()
        for line in found:
            print(f"vendor_static: {line}", file=sys.stderr)
        return 1 if found else 0
    return vendor()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Where agora's templates and static files are, in a source checkout and in an installed wheel.

The source tree keeps them at the repository root (`templates/`, `static/`); the wheel carries them
inside the package (`agora/templates/`, `agora/static/`, copied there by `setup.py` at build time).
Everything that needs them asks this module, so `agora serve` from a wheel finds the same files.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent


def _find(name: str) -> Path:
    packaged = PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return SOURCE_ROOT / name


TEMPLATE_DIR = _find("templates")
STATIC_DIR = _find("static")

# Files without which no page can be served: `agora serve` checks them at start.
REQUIRED_TEMPLATES = ("base.html", "error.html")
REQUIRED_STATIC = ("app.css", "app.js", "vendor/htmx.min.js", "vendor/htmx-ext-ws.min.js")


def missing_files() -> list[str]:
    """Required template and static files that are absent (paths as shown to the operator)."""
    missing = [str(TEMPLATE_DIR / name) for name in REQUIRED_TEMPLATES if not (TEMPLATE_DIR / name).is_file()]
    missing += [str(STATIC_DIR / name) for name in REQUIRED_STATIC if not (STATIC_DIR / name).is_file()]
    return missing

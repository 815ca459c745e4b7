"""The operator's documentation: every setting in the README's table, no path outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_setting_the_code_reads_is_in_the_readme_table() -> None:
    used = set()
    for path in (ROOT / "agora").rglob("*.py"):
        used |= set(re.findall(r"\b(AGORA_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Settings"):]
    table = table[: table.index("\n### ")]
    rows = {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`(AGORA_\w+)`", line.split("|")[1])
    }
    assert used - rows == set(), f"settings missing from the README's table: {sorted(used - rows)}"


def test_the_docs_name_no_path_outside_the_repository() -> None:
    """Relative paths stay inside the repository (a clone has nothing beside it); no machine's paths."""
    relative = re.compile(r"(?<![\w.])((?:\.\./)+[\w./-]*)")
    absolute = re.compile(r"(?<![\w.:/])(/(?:work|home|root|mnt/data)/[\w./-]+)")
    found = []
    for path in documents():
        text = path.read_text(encoding="utf-8")
        for match in relative.findall(text):
            if not (path.parent / match).resolve().is_relative_to(ROOT):
                found.append(f"{path.relative_to(ROOT)}: {match}")
        found += [f"{path.relative_to(ROOT)}: {match}" for match in absolute.findall(text)]
    assert not found, found

"""The verifier shares no code with the server: it may import only the standard library, PyNaCl,
itself and agora.i18n (the reader's language). A fault in the server's count is not repeated."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import agora.verifier

ALLOWED_AGORA = {"agora.i18n"}
THIRD_PARTY = {"nacl"}
PACKAGE = Path(agora.verifier.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_verifier_imports_no_server_code():
    files = sorted(PACKAGE.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "record.py", "count.py", "proofs.py"}
    for path in files:
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top == "agora":
                assert name.startswith("agora.verifier") or name in ALLOWED_AGORA or any(
                    name.startswith(f"{allowed}.") for allowed in ALLOWED_AGORA
                ), f"{path.name} imports server code: {name}"
            else:
                assert top in sys.stdlib_module_names or top in THIRD_PARTY or top == "__future__", (
                    f"{path.name} imports {name}"
                )


def test_the_check_would_catch_a_shared_import(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from agora.ballots.tally import tally_owners\nimport agora.ballots.chain\n")
    names = imported_modules(sneaky)
    assert "agora.ballots.tally.tally_owners" in names and "agora.ballots.chain" in names

"""The committed htmx files are the ones package-lock.json pins (version, integrity, bytes)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def vendor_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vendor_static", ROOT / "scripts" / "vendor_static.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_committed_vendor_files_match_the_lockfile() -> None:
    vendor = vendor_module()
    assert vendor.problems() == []
    record = json.loads((ROOT / "static/vendor/VERSIONS.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for target, entry in record.items():
        assert entry["version"] == lock[f"node_modules/{entry['package']}"]["version"]
        assert entry["integrity"] == lock[f"node_modules/{entry['package']}"]["integrity"]
        data = (ROOT / "static/vendor" / target).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_node_modules_when_present_holds_the_same_bytes() -> None:
    if not (ROOT / "node_modules" / "htmx.org").is_dir():
        pytest.skip("no node_modules (run `npm ci`): compared by `make test`")
    for target, (package, inner) in vendor_module().FILES.items():
        installed = (ROOT / "node_modules" / package / inner).read_bytes()
        assert installed == (ROOT / "static/vendor" / target).read_bytes()


def test_the_check_notices_a_changed_file_or_a_bumped_lockfile(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    vendor = vendor_module()
    copy = tmp_path / "repo"
    (copy / "static").mkdir(parents=True)
    shutil.copytree(ROOT / "static" / "vendor", copy / "static" / "vendor")
    shutil.copy(ROOT / "package-lock.json", copy / "package-lock.json")
    monkeypatch.setattr(vendor, "ROOT", copy)
    monkeypatch.setattr(vendor, "VENDOR", copy / "static" / "vendor")
    monkeypatch.setattr(vendor, "RECORD", copy / "static" / "vendor" / "VERSIONS.json")
    assert vendor.problems() == []
    with (copy / "static/vendor/htmx.min.js").open("ab") as handle:
        handle.write(b"/* edited */")
    assert any("SHA-256" in line for line in vendor.problems())
    shutil.copy(ROOT / "static/vendor/htmx.min.js", copy / "static/vendor/htmx.min.js")
    lock = json.loads((copy / "package-lock.json").read_text())
    lock["packages"]["node_modules/htmx.org"]["version"] = "2.0.99"
    (copy / "package-lock.json").write_text(json.dumps(lock))
    assert any("2.0.99" in line for line in vendor.problems())

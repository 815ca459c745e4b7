"""The import rules of agora/ (scripts/check_imports.py): no circles, no unexplained import inside
a function, no `except ImportError` stand-ins. The same check runs in `make lint`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_agora_has_no_import_circle_and_no_hidden_import() -> None:
    assert checker().check(ROOT / "agora").problems() == []


def test_a_circle_through_three_modules_and_a_function_level_import_is_found(tmp_path: Path) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import thing\n",
            "b.py": "from pkg import c\nthing = 1\n",
            "c.py": "def late():\n    from pkg.a import thing\n    return thing\n",
            "d.py": "import pkg.a\n",
        },
    )
    report = checker().check(package)
    assert report.circles == [["pkg.a", "pkg.b", "pkg.c"]]
    assert report.hidden_imports == ["pkg/c.py:2 from pkg.a import thing"]


def test_an_explained_function_level_import_passes_but_still_counts_for_circles(tmp_path: Path) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import pkg.b\n",
            "b.py": "def late():\n    # slow to import: only this path needs it\n    import pkg.a\n",
            "c.py": "def fine():\n    import json  # 50 ms, loaded by the export only\n",
        },
    )
    report = checker().check(package)
    assert report.hidden_imports == []
    assert report.circles == [["pkg.a", "pkg.b"]]


def test_relative_imports_and_stand_ins(tmp_path: Path) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "",
            "sub/x.py": "from . import y\n",
            "sub/y.py": (
                "from ..sub.x import z\nz = 0\n"
                "try:\n    import missing\nexcept ImportError:\n    missing = None\n"
            ),
        },
    )
    report = checker().check(package)
    assert report.circles == [["pkg.sub.x", "pkg.sub.y"]]
    assert report.stand_ins == ["pkg/sub/y.py:5"]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import pkg.b\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
        },
    )
    assert checker().check(package).problems() == []


def test_a_circle_through_a_package_init_is_found(tmp_path: Path) -> None:
    # b imports only pkg.a.models, but that runs pkg/a/__init__.py first, which imports services -> b.
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "a/__init__.py": "from pkg.a import services\n",
            "a/models.py": "class M:\n    pass\n",
            "a/services.py": "from pkg.b import helper\n",
            "a/inner.py": "from pkg.a.models import M\n",  # its own package is already loading: no circle
            "b.py": "from pkg.a.models import M\nhelper = M\n",
        },
    )
    assert checker().check(package).circles == [["pkg.a", "pkg.a.services", "pkg.b"]]

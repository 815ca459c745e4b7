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


def test_hand_written_sql_outside_storage_and_queries_is_found(tmp_path: Path) -> None:
    planted = (
        '"""Reads the ledger: `SELECT … FOR UPDATE` in a docstring is prose."""\n'
        "# SELECT id FROM users in a comment is prose too\n"
        'MESSAGE = "Select the units FROM the roll, and the owners where they live."\n'
        'ROWS = "SELECT id, title FROM proposals WHERE hall_id = ?"\n'
        "def page(ids, where):\n"
        '    sql = f"{ROWS} AND hall_id IN {ids}"  # the SQL named in line 4 is found there\n'
        '    more = f"{where} ORDER BY c.id DESC LIMIT ?"\n'
        '    return sql, more, "UPDATE proposals SET state = ? WHERE id = ?", "DELETE FROM sessions"\n'
    )
    package = write(
        tmp_path,
        {
            "__init__.py": "",
            "feature/__init__.py": "",
            "feature/services.py": planted,
            "feature/queries.py": planted,  # the feature's SQL belongs here
            "storage/__init__.py": "",
            "storage/sql.py": 'PING = "SELECT 1"\n',
            "migrations/0001_initial.py": 'SQL = "CREATE TABLE t (id INT)"\n',
            "web/health.py": 'PING = "SELECT 1"\n',
        },
    )
    report = checker().check(package)
    found = ["pkg/feature/services.py:4", "pkg/feature/services.py:7", "pkg/feature/services.py:8"]
    assert report.raw_sql == [*found, "pkg/web/health.py:1"]
    message = "pkg/web/health.py:1: hand-written SQL outside storage/ and a feature's queries.py"
    assert message in report.problems()


def test_the_sql_shapes_the_check_knows() -> None:
    reads_as_sql = checker().reads_as_sql
    for sql in (
        "SELECT 1",
        "SELECT a.id FROM t a",
        " INSERT INTO t (a) VALUES (?)",
        "UPDATE t SET a = ?",
        "DELETE FROM t",
        "WITH RECURSIVE up(id) AS (SELECT 1)",
        "x WHERE c.id = ?",
        "x LEFT JOIN owners o ON o.id = s.owner_id",
        "x ORDER BY c.id DESC",
        " AND w.active = ?",
        "FROM api_tokens t JOIN users u ON u.id = t.user_id",
        "PRAGMA journal_mode",
    ):
        assert reads_as_sql(sql), sql
    for prose in (
        "Select a unit from the roll.",
        "The committee decides WHERE the vote is held.",
        "ORDER BY",
        "Turn ON notifications",
        "SELECT",
        "",
    ):
        assert not reads_as_sql(prose), prose

"""Build hook: the wheel carries the repository's `templates/` and `static/` inside the package.

In the source tree they live at the repository root (where the features' templates are edited);
`agora.resources` finds them in either place. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ASSETS = ("templates", "static")


class build_py_with_assets(build_py):  # noqa: N801 — setuptools' naming
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the source tree
        for name in ASSETS:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"cannot build agora: {name}/ is missing from the source tree")
            target = Path(self.build_lib) / "agora" / name
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": build_py_with_assets})

"""The import rules of agora/ (run by `make lint` and by tests/test_architecture.py).

1. No circles: the modules of the package import each other in one direction only (every import
   counts, also one inside a function; only those under `if TYPE_CHECKING:` are left out). Importing
   `a.b.c` also counts as importing the packages `a` and `a.b`, whose `__init__.py` runs first.
2. No import inside a function, unless a comment on its line or the line above says why.
3. No `except ImportError` stand-ins: a feature that is imported is there.
4. One way to the database: hand-written SQL (a string that reads as a statement or a clause of one,
   in capitals: `SELECT … FROM`, `INSERT INTO`, `UPDATE … SET`, `DELETE FROM`, ` WHERE … ?` …) stands
   only in `storage/`, in a feature's `queries.py` and in `migrations/`. Docstrings and comments may
   name SQL; code may not write it anywhere else.

    python scripts/check_imports.py [PACKAGE_DIR]     # agora/ by default; exit status 1 on a breach
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Report:
    circles: list[list[str]] = field(default_factory=list)
    hidden_imports: list[str] = field(default_factory=list)  # "path:line module"
    stand_ins: list[str] = field(default_factory=list)  # "path:line"
    raw_sql: list[str] = field(default_factory=list)  # "path:line"

    def problems(self) -> list[str]:
        lines = [f"import circle among: {', '.join(circle)}" for circle in self.circles]
        lines += [f"{where}: import inside a function, no comment says why" for where in self.hidden_imports]
        lines += [f"{where}: `except ImportError` stand-in" for where in self.stand_ins]
        lines += [
            f"{where}: hand-written SQL outside storage/ and a feature's queries.py" for where in self.raw_sql
        ]
        return lines


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(
    node: ast.Import | ast.ImportFrom, current: str, is_package: bool, modules: set[str]
) -> set[str]:
    """The package's modules this import statement loads (a `from x import y` may name a module y)."""
    names: set[str] = set()
    if isinstance(node, ast.Import):
        candidates = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = current if is_package else current.rpartition(".")[0]
            for _step in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from package import module` loads that module; `from module import name` loads the module.
        candidates = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
        ]
    for name in candidates:
        while name and name not in modules:  # `import a.b.c` loads a.b.c (or the nearest module)
            name = name.rpartition(".")[0]
        if name:
            names.add(name)
    return names


def _packages_run_first(targets: set[str], current: str, modules: set[str]) -> set[str]:
    """The packages whose `__init__.py` runs before these modules load: importing `a.b.c` first runs
    `a/__init__.py` and `a/b/__init__.py`, so a circle can pass through them. The packages that
    hold the importing module are left out: they are already loading when it runs."""
    own = {current.rsplit(".", depth)[0] for depth in range(1, current.count(".") + 1)}
    packages: set[str] = set()
    for target in targets:
        parent = target.rpartition(".")[0]
        while parent:
            if parent in modules and parent not in own:
                packages.add(parent)
            parent = parent.rpartition(".")[0]
    return packages


def _explained(lines: list[str], line: int) -> bool:
    """A comment on the import's line, or on the line above its group of imports."""
    if "#" in lines[line - 1]:
        return True
    above = line - 2
    while above >= 0 and (not lines[above].strip() or lines[above].strip().startswith(("import ", "from "))):
        above -= 1
    return above >= 0 and lines[above].strip().startswith("#")


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or one that imports itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


# A string that reads as SQL: a statement, or a clause of one with a `?` placeholder or a table alias.
# SQL keywords in capitals, as this project writes them (prose and messages do not shout).
_SQL_STATEMENT = re.compile(
    r"""^\s*(?:
        SELECT\b.*\bFROM\b | SELECT\s+(?:\d|\?|DISTINCT\b|COUNT\b)
      | INSERT\s+INTO\b | UPDATE\s+\w+\s+SET\b | DELETE\s+FROM\b | REPLACE\s+INTO\b
      | WITH\s+(?:RECURSIVE\s+)?\w+.*\bAS\s*\(
      | (?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX|UNIQUE|VIEW|SCHEMA|TRIGGER)\b | TRUNCATE\b | PRAGMA\b
      | (?:FROM|AND|OR|ON|SET|LIMIT)\s.*(?:\?|\b\w+\.\w+\s*(?:=|<>|!=|<|>|\bIN\b|\bIS\b))
    )""",
    re.VERBOSE | re.DOTALL,
)
_SQL_CLAUSE = re.compile(  # anywhere in the string: a clause after a piece put in by an f-string
    r"""(?:^|\s)(?:WHERE|(?:LEFT\s+|INNER\s+)?JOIN|ORDER\s+BY|GROUP\s+BY|HAVING|UNION)\s
        .*(?:\?|\b\w+\.\w+\s*(?:=|<>|!=|<|>|\bIN\b|\bIS\b)|\bASC\b|\bDESC\b)""",
    re.VERBOSE | re.DOTALL,
)


def reads_as_sql(text: str) -> bool:
    return bool(_SQL_STATEMENT.match(text) or _SQL_CLAUSE.search(text))


# Where hand-written SQL belongs (rule 4): the storage package, each feature's queries.py, migrations.
SQL_HOMES = ("storage", "migrations")


def _sql_home(root: Path, path: Path) -> bool:
    parts = path.relative_to(root).parts
    return path.name == "queries.py" or parts[0] in SQL_HOMES


def _text_of(node: ast.AST) -> str | None:
    """The literal text of a string or f-string (each `{…}` as `x`), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "x"
            for part in node.values
        )
    return None


def raw_sql_lines(tree: ast.AST) -> list[int]:
    """The lines of the strings in `tree` that read as SQL, docstrings and other bare strings left out."""
    bare = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    inner = {  # the parts of an f-string are checked as the whole f-string
        id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values
    }
    found: set[int] = set()
    for node in ast.walk(tree):
        if id(node) in bare or id(node) in inner:
            continue
        text = _text_of(node)
        if text is not None and reads_as_sql(text):
            found.add(node.lineno)
    return sorted(found)


def check(root: Path) -> Report:
    paths = sorted(p for p in root.rglob("*.py") if "migrations" not in p.relative_to(root).parts)
    modules = {module_name(root, path): path for path in paths}
    names = set(modules)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    report = Report()
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text, filename=str(path))
        skipped = _type_checking_lines(tree)
        where = path.relative_to(root.parent)
        hidden = {
            node.lineno: node
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
            if isinstance(node, ast.Import | ast.ImportFrom)
        }
        for line, node in sorted(hidden.items()):
            if not _explained(lines, line):
                report.hidden_imports.append(f"{where}:{line} {ast.unparse(node)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in skipped:
                targets = _imported(node, name, path.name == "__init__.py", names)
                graph[name] |= (targets | _packages_run_first(targets, name, names)) - {name}
            elif isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = ast.unparse(node.type)
                if "ImportError" in caught or "ModuleNotFoundError" in caught:
                    report.stand_ins.append(f"{where}:{node.lineno}")
        if not _sql_home(root, path):
            report.raw_sql += [f"{where}:{line}" for line in raw_sql_lines(tree)]
    report.circles = _circles(graph)
    return report


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent / "agora")
    problems = check(root).problems()
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

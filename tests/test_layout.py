"""The package's rooms: no import circle between any two modules, no reach into another module's
private members, only the public face at the root, and import-linter's contracts kept.

The map of rooms is docs/architecture.md; the contracts are in pyproject.toml.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "camunda_worker"

# The root holds the public face, the version, and one private sub-package per concern.
ROOT_MODULES = {"__init__.py", "__main__.py", "_version.py", "metrics.py", "pytest_plugin.py"}
ROOT_PACKAGES = {
    "_api",
    "_auth",
    "_base",
    "_client",
    "_config",
    "_transport",
    "cli",
    "demo",
    "engine",
    "health",
    "testing",
    "worker",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Type-checking imports count: a back-reference under TYPE_CHECKING is still a circle.
    return grimp.build_graph("camunda_worker", exclude_type_checking_imports=False)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other_even_through_others(graph: grimp.ImportGraph) -> None:
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.startswith("camunda_worker")
        }
        for module in graph.modules
        if module.startswith("camunda_worker")
    }
    # A package's __init__ re-exporting its modules is not a circle of the modules themselves.
    for module, imported in edges.items():
        edges[module] = {name for name in imported if not module.startswith(name + ".")}
    assert _cycles(edges) == []


def test_the_root_holds_only_the_public_face_and_the_rooms() -> None:
    modules = {path.name for path in PACKAGE.glob("*.py")}
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert modules == ROOT_MODULES
    assert packages == ROOT_PACKAGES


def test_every_private_room_says_what_it_owns_and_may_import() -> None:
    rooms = [
        *(PACKAGE / name for name in sorted(ROOT_PACKAGES) if name.startswith("_")),
        *sorted(path for path in (PACKAGE / "engine").iterdir() if path.name.startswith("_")),
    ]
    undocumented = []
    for room in rooms:
        init = room / "__init__.py"
        if not init.exists():  # engine/__main__.py and friends are modules, not rooms
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if "Owns" not in doc or "import" not in doc:
            undocumented.append(room.relative_to(ROOT).as_posix())
    assert undocumented == []


def _private_reaches(path: Path) -> list[str]:
    """``other._name`` where ``_name`` is not defined by this module (a private of another's).

    ``getattr(other, "_name")`` (and ``hasattr``, ``setattr``, ``delattr``) count too: a string
    does not hide the reach.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined: set[str] = set()  # names this module defines
    strings: set[str] = set()  # __slots__ entries, attrs aliases
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
    own = defined | strings
    reaches = []
    for node in ast.walk(tree):
        target: ast.expr
        if isinstance(node, ast.Attribute):
            target, name, mine = node.value, node.attr, own
        elif _lookup(node):
            assert isinstance(node, ast.Call)
            constant = node.args[1]
            assert isinstance(constant, ast.Constant)
            target, name, mine = node.args[0], constant.value, defined
        else:
            continue
        if not name.startswith("_") or name.startswith("__") or name in mine:
            continue
        if isinstance(target, ast.Name) and target.id in {"self", "cls"}:
            continue
        if ast.unparse(node) in {"os._exit", "sys._getframe"}:  # documented public functions
            continue
        reaches.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}: {ast.unparse(node)}")
    return reaches


def _lookup(node: ast.AST) -> bool:
    """``getattr(x, "name", ...)``, ``hasattr``, ``setattr`` or ``delattr`` with a constant name."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"getattr", "hasattr", "setattr", "delattr"}
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


@pytest.mark.parametrize(
    ("source", "reach"),
    [
        ("def f(worker):\n    return worker._claim()\n", "worker._claim"),
        (
            "def f(pool):\n    return getattr(pool, '_processes', None)\n",
            "getattr(pool, '_processes', None)",
        ),
        ("def f(t):\n    return hasattr(t, '_pool')\n", "hasattr(t, '_pool')"),
    ],
)
def test_the_private_member_check_sees_a_reach(source: str, reach: str) -> None:
    tree = ROOT / "tests" / "_layout_sample.py"
    tree.write_text(source, encoding="utf-8")
    try:
        assert _private_reaches(tree) == [f"tests/_layout_sample.py:2: {reach}"]
    finally:
        tree.unlink()


def _private_imports(path: Path) -> list[str]:
    """``from camunda_worker.x import _name`` where ``_name`` is not a module of that package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
            "camunda_worker"
        ):
            continue
        base = ROOT.joinpath(*(node.module or "").split("."))
        for alias in node.names:
            name = alias.name
            if not name.startswith("_") or name.startswith("__"):
                continue
            if (base / f"{name}.py").exists() or (base / name / "__init__.py").exists():
                continue  # a private module of that package: importing it is how rooms work
            found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}: {node.module}.{name}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    imports = [found for path in sorted(PACKAGE.rglob("*.py")) for found in _private_imports(path)]
    assert imports == []


def test_the_private_import_check_sees_one(tmp_path: Path) -> None:
    sample = ROOT / "tests" / "_layout_import_sample.py"
    sample.write_text("from camunda_worker.metrics import _prometheus_client\n", encoding="utf-8")
    try:
        assert _private_imports(sample) == [
            "tests/_layout_import_sample.py:1: camunda_worker.metrics._prometheus_client"
        ]
    finally:
        sample.unlink()


def test_no_module_reaches_into_another_modules_private_members() -> None:
    reaches = [reach for path in sorted(PACKAGE.rglob("*.py")) for reach in _private_reaches(path)]
    assert reaches == []


def test_import_linter_keeps_every_contract() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout

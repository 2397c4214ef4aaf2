"""tp2core has no import cycles: every import (module level or inside a function) is an edge of the graph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tp2core"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = ("tp2core",) + path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
    base = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module → the tp2core modules it imports, anywhere in its body (functions included)."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module) if node.level else node.module or ""
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                while target and target not in files:  # `tp2core.x.y` where y is a name inside module x
                    target = target.rpartition(".")[0]
                own_package = name.startswith(target + ".")  # `from . import x` inside the package itself
                if target and target != name and target.startswith("tp2core") and not own_package:
                    graph[name].add(target)
    for name in files:  # importing tp2core.a.b runs tp2core/a/__init__.py first
        parent = name.rpartition(".")[0]
        if parent in files and parent != "tp2core" and name != parent:
            for importer, edges in graph.items():
                if name in edges and importer != parent and not importer.startswith(parent + "."):
                    edges.add(parent)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None (iterative DFS, three colours)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_tp2core_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
])
def test_find_cycle_names_the_cycle(edges, expected):
    assert find_cycle(edges) == expected


def test_imports_inside_functions_are_edges(tmp_path):
    pkg = tmp_path / "tp2core"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("from .. import a\n")
    graph = import_graph(pkg)
    assert "tp2core.sub.b" in graph["tp2core.a"] and "tp2core.a" in graph["tp2core.sub.b"]
    assert find_cycle(graph) is not None


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The module graph collapsed to tp2core's sub-packages (tp2core.claims, tp2core.store, …; top-level modules
    stay themselves): an edge A → B when any module of A imports any module of B."""
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    out: dict[str, set[str]] = {}
    for importer, targets in graph.items():
        out.setdefault(package(importer), set()).update(
            package(t) for t in targets if package(t) != package(importer))
    return out


def test_tp2core_packages_have_no_import_cycle():
    """Issue 24: one package per concern, layered — no two packages import each other, even through others
    (training/progress once imported store/ while store/ imports training/runs)."""
    cycle = find_cycle(package_graph(import_graph()))
    assert cycle is None, "package import cycle: " + " → ".join(cycle)

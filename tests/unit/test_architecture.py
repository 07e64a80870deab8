"""The dependency rules of the layout, checked on every module's imports (those inside
functions too): `agora` at the bottom above `contracts`, `launch` at the top, no cycle."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"agora", "contracts", "agents", "features", "models", "serving", "core", "launch"}

# package -> project modules (and everything under them) it must never import
FORBIDDEN = {
    "contracts": PROJECT - {"contracts"},
    "agora": PROJECT - {"agora", "contracts"},
    "features": {"agents", "serving", "models", "core", "launch"},
    "models": {"serving", "agents", "core", "launch"},
    "agents": {"serving", "models", "core", "launch"},
    "serving": {"agents", "launch"},
    "core": {"agents", "models", "features", "launch"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


MODULES = {_module_name(p): p for pkg in PROJECT for p in modules(pkg)}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (never imported when running)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def imports_of(path: Path, name: str | None = None) -> set[str]:
    """Absolute names of what a module (`name`, else read from its path) imports, anywhere
    in it; `from a import b` names `a.b` when that is a project module."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_inward(package: str) -> None:
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in modules(package) for name in sorted(imports_of(path))
           if any(_under(name, prefix) for prefix in FORBIDDEN[package])]
    assert not bad, "\n".join(bad)


def test_only_launch_imports_launch() -> None:
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for pkg in sorted(PROJECT - {"launch"}) for path in modules(pkg)
           for name in sorted(imports_of(path)) if _under(name, "launch")]
    assert not bad, "\n".join(bad)


def test_serving_keeps_out_of_the_core_migrations() -> None:
    bad = [f"{path.relative_to(ROOT)} imports {name}"
           for path in modules("serving") for name in sorted(imports_of(path))
           if _under(name, "core.migrations")]
    assert not bad, "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for imported in imports_of(path):
            while imported and imported not in MODULES:  # `a.b.func` -> module `a.b`
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) per strongly connected group (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return [_shortest_cycle(graph, group) for group in groups]


def _shortest_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_no_import_cycle() -> None:
    cycles = import_cycles(_graph())
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_finds_a_deferred_cycle() -> None:
    graph = {"models.base": {"models.catalog"}, "models.catalog": {"models.hybrid"},
             "models.hybrid": {"models.base"}, "agora.settings": set()}
    assert import_cycles(graph) == [["models.base", "models.catalog", "models.hybrid",
                                     "models.base"]]


def test_imports_inside_functions_relative_and_of_submodules_are_read(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\n"
                     "from . import components\n"
                     "if TYPE_CHECKING:\n    from serving.app import create_app\n"
                     "def load():\n    from models.catalog import load\n    return load\n")
    assert imports_of(probe, "models.probe") == {"typing", "models.components",
                                                  "models.catalog"}


def test_core_domain_is_framework_free() -> None:
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for path in modules("core/domain"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top not in stdlib and top not in {"core", "contracts"}:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
            if name.startswith("core.") and not name.startswith("core.domain"):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_no_utils_modules() -> None:
    bad = [str(p.relative_to(ROOT)) for pkg in sorted(PROJECT) for p in modules(pkg)
           if p.stem in {"utils", "helpers", "misc", "common"}]
    assert not bad, "modules named for no concept: " + ", ".join(bad)

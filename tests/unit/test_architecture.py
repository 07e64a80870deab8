"""The dependency rules of the layout, checked on every module's imports."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = {"contracts", "agents", "features", "models", "serving", "core", "agora"}

# package -> project packages it must never import
FORBIDDEN = {
    "contracts": PROJECT - {"contracts"},
    "features": {"agents", "serving", "models", "core"},
    "models": {"serving", "agents", "core"},
    "agents": {"serving", "models", "core"},
    "serving": {"agents"},
    "core": {"agents", "models", "features"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_point_inward(package: str) -> None:
    bad = []
    for path in modules(package):
        for name in imports_of(path):
            if name.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


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
    names = {p.stem for pkg in PROJECT for p in modules(pkg)}
    assert not names & {"utils", "helpers", "misc", "common"}

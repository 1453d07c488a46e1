"""The package layers hold: imports point down only, and nothing imports in a circle.

The graph is built from the source with ``ast``, every ``import`` counted wherever it stands
(module top, function body, ``TYPE_CHECKING`` block), so a cycle cannot hide behind a
function-level import. Layers (``docs/architecture.md``): a module may import its own package,
its own layer or a lower one, never a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "invdash"

#: Top-level part of invdash -> layer. Lower layers never import higher ones.
LAYERS = {
    "__init__": 0, "schema": 0, "config": 0, "lazy": 0,
    "store": 1, "runtime": 1, "auth": 1,
    "ingest": 2, "demo": 2, "forecast": 2, "policy": 2, "explain": 2, "recommend": 2,
    "reorder": 3, "replay": 3, "alerts": 3, "overview": 3,
    "distributed": 4,
    "commands": 5, "cli": 5, "ui": 5,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imported(module: str, node: ast.AST) -> list[str]:
    """invdash modules one import statement names (``from pkg import mod`` names ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("invdash")]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative import
        package = module.split(".")[: -node.level or None]
        base = ".".join([*package, base] if base else package)
    if not base.startswith("invdash"):
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module -> the invdash modules it imports (only modules that exist)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets.update(t for t in _imported(module, node) if t in MODULES and t != module)
        graph[module] = targets
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (first == last), or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_every_part_of_invdash_has_a_layer():
    assert sorted({_part(m) for m in MODULES} - set(LAYERS)) == []


def test_imports_point_down_the_layers():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYERS[_part(target)] > LAYERS[_part(module)]
    )
    assert upward == []


def test_no_module_import_cycle():
    assert find_cycle(import_graph()) == []


def test_no_package_import_cycle():
    packages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        packages.setdefault(_part(module), set()).update(
            _part(t) for t in targets if _part(t) != _part(module)
        )
    assert find_cycle(packages) == []


def test_the_checker_finds_a_cycle_and_an_upward_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
    assert LAYERS["store"] < LAYERS["reorder"]  # so store -> reorder would be reported upward

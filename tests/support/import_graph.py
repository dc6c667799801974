"""The import graph of the ``adapter`` package, read from its source with :mod:`ast`.

Every ``import adapter.x`` and ``from adapter.x import y`` counts, wherever it stands in a
module (inside a function or an ``if TYPE_CHECKING:`` block too): a cycle that only type
checking sees is still a knot for the reader. ``python -m tests.support.import_graph`` prints
the package graph as a ladder, bottom rung first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

__all__ = [
    "PACKAGE_ROOT",
    "cycles",
    "external_imports",
    "ladder",
    "module_graph",
    "unit_graph",
    "unit_of",
]

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "adapter"

Graph = dict[str, set[str]]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _imported(node: ast.AST, known: Mapping[str, Path]) -> Iterable[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == "adapter":
                yield alias.name
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        if node.module.split(".")[0] != "adapter":
            return
        for alias in node.names:
            # ``from adapter.cli import serve`` imports the submodule, not a name of the package.
            submodule = f"{node.module}.{alias.name}"
            yield submodule if submodule in known else node.module


def external_imports(module: str) -> set[str]:
    """The dotted names of everything outside ``adapter`` that ``module`` imports."""
    path = _modules()[module]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] not in ("adapter", "__future__")}


@cache
def module_graph() -> Graph:
    """Module -> the ``adapter`` modules it imports (itself excluded)."""
    known = _modules()
    graph: Graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {target for node in ast.walk(tree) for target in _imported(node, known)}
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def unit_of(module: str) -> str:
    """The rung a module belongs to: ``adapter.x`` for a top-level module or subpackage."""
    parts = module.split(".")
    return ".".join(parts[:2])


def unit_graph() -> Graph:
    """Top-level modules and subpackages of ``adapter`` and which others they import.

    The root package's own ``__init__`` is left out: it only names the version.
    """
    graph: Graph = {}
    for module, targets in module_graph().items():
        if module == "adapter":
            continue
        unit = unit_of(module)
        graph.setdefault(unit, set())
        graph[unit] |= {unit_of(t) for t in targets if unit_of(t) not in (unit, "adapter")}
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def ladder(graph: Graph) -> list[list[str]]:
    """Rungs of an acyclic graph: each rung imports only rungs below it."""
    remaining = {node: set(targets) for node, targets in graph.items()}
    rungs: list[list[str]] = []
    placed: set[str] = set()
    while remaining:
        rung = sorted(node for node, targets in remaining.items() if targets <= placed)
        if not rung:
            msg = f"not a ladder: {cycles(graph)}"
            raise ValueError(msg)
        rungs.append(rung)
        placed.update(rung)
        for node in rung:
            del remaining[node]
    return rungs


if __name__ == "__main__":
    units = unit_graph()
    for number, rung in reversed(list(enumerate(ladder(units), start=1))):
        described = ", ".join(
            f"{unit.removeprefix('adapter.')}"
            + (f" -> {{{', '.join(sorted(t.removeprefix('adapter.') for t in units[unit]))}}}")
            for unit in rung
        )
        print(f"{number:2d}  {described}")

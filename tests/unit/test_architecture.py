"""The code keeps its shape: imports flow one way and every package says what it exports."""

from __future__ import annotations
import __future__

import importlib
import types

import pytest

from tests.support.import_graph import (
    PACKAGE_ROOT,
    cycles,
    external_imports,
    ladder,
    module_graph,
    unit_graph,
    unit_of,
)

PACKAGES = sorted(
    module
    for module in module_graph()
    if (PACKAGE_ROOT.parent / module.replace(".", "/") / "__init__.py").is_file()
)


def test_no_module_imports_itself_back() -> None:
    """No chain of imports between adapter modules comes back to where it started."""
    assert cycles(module_graph()) == []


def test_packages_form_a_ladder() -> None:
    """Top-level modules and subpackages import each other one way only, so they form rungs."""
    assert cycles(unit_graph()) == []
    rungs = ladder(unit_graph())
    position = {unit: n for n, rung in enumerate(rungs) for unit in rung}
    # The order design.md draws: models, mapping, export client, workflow, routes, app, CLI.
    order = ["legacy", "mapping", "workflow", "cutover", "web", "app", "cli"]
    steps = [position[f"adapter.{name}"] for name in order]
    assert steps == sorted(steps)
    assert len(set(steps)) == len(steps)


@pytest.mark.parametrize(
    ("unit", "forbidden"),
    [
        # Mapping is pure functions over data: no I/O, no web, no state.
        ("adapter.mapping", {"adapter.export.client", "adapter.store", "adapter.workflow"}),
        ("adapter.legacy", {"adapter.workflow", "adapter.web", "adapter.mapping"}),
        ("adapter.workflow", {"adapter.web", "adapter.app"}),
        # The cutover decides and records; the web layer builds the answers.
        ("adapter.cutover", {"adapter.web", "adapter.app", "adapter.cli"}),
        # Routes never talk to the export client; they go through the workflow.
        ("adapter.web", {"adapter.export.client", "adapter.store"}),
        ("adapter.sandbox", {"adapter.app", "adapter.workflow", "adapter.web"}),
    ],
)
def test_layers_do_not_reach_past_their_neighbours(unit: str, forbidden: set[str]) -> None:
    """Each layer imports only what design.md's data flow allows it."""
    reached = {
        target
        for module, targets in module_graph().items()
        if unit_of(module) == unit
        for target in targets
    }
    assert not {t for t in reached if any(t.startswith(f) for f in forbidden)}


@pytest.mark.parametrize(
    ("unit", "libraries"),
    [
        ("adapter.mapping", {"httpx", "starlette", "asyncio", "uvicorn", "cachetools"}),
        ("adapter.legacy", {"httpx", "starlette.requests", "starlette.responses", "asyncio"}),
        ("adapter.web", {"httpx"}),
    ],
)
def test_pure_layers_import_no_io_library(unit: str, libraries: set[str]) -> None:
    """Mapping and the legacy models do no I/O; routes never hold an HTTP client."""
    for module in module_graph():
        if unit_of(module) == unit:
            used = external_imports(module)
            assert not {u for u in used for lib in libraries if u == lib or u.startswith(lib + ".")}


def _ours(value: object) -> bool:
    """Defined in this project (a class or function of ``adapter``), or a plain constant."""
    if isinstance(value, types.ModuleType | __future__._Feature):
        return False
    origin = getattr(value, "__module__", None)
    return origin is None or origin.split(".")[0] == "adapter"


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_exactly_the_public_members(package: str) -> None:
    """A package's ``__all__`` lists every public name it defines or re-exports, once."""
    imported = importlib.import_module(package)
    public = {
        name for name, value in vars(imported).items() if not name.startswith("_") and _ours(value)
    }
    exported = [name for name in imported.__all__ if name != "__version__"]
    assert len(exported) == len(set(exported))
    assert set(exported) == public


@pytest.mark.parametrize("module", sorted(module_graph()))
def test_every_exported_name_exists(module: str) -> None:
    """Whatever a module lists in ``__all__`` it really has."""
    imported = importlib.import_module(module)
    for name in getattr(imported, "__all__", ()):
        assert hasattr(imported, name), f"{module}.__all__ names missing {name!r}"

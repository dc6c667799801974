"""Shared fixtures of the mapping tests: the shipped table, the JSON items, table copies."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapter.export.models import ExportItemV3
from adapter.mapping import MappingTable, default_table_directory, load_mapping_table

FIXTURES = Path(__file__).parent / "fixtures"


def raw_item(name: str) -> dict[str, Any]:
    """The wire JSON of fixture ``name`` (a fresh copy each call, safe to edit)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def item(name: str) -> ExportItemV3:
    return ExportItemV3.model_validate(raw_item(name))


def pluck(data: Any, path: str) -> Any:
    """The value(s) at a legacy path of a dumped Expense; ``[]`` levels flatten into one list."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        values = data[head[:-2]]
        if not rest:
            return list(values)
        out: list[Any] = []
        for value in values:
            got = pluck(value, rest)
            out.extend(got if "[]" in rest else [got])
        return out
    return pluck(data[head], rest) if rest else data[head]


@pytest.fixture(scope="session")
def table() -> MappingTable:
    return load_mapping_table()


@pytest.fixture
def table_copy(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Copy the shipped tables to tmp_path, re.sub-ing one match in one file; return the dir."""

    def make(file: str = "expense.toml", pattern: str = "", repl: str = "") -> Path:
        target = tmp_path / "mappings"
        shutil.copytree(default_table_directory(), target)
        path = target / file
        if pattern:
            text, count = re.subn(pattern, repl, path.read_text(), count=1, flags=re.M)
            assert count == 1, f"{pattern!r} not in {file}"
            path.write_text(text)
        return target

    return make


def row_line(legacy: str) -> str:
    """A regex matching the whole one-line row of ``legacy`` in expense.toml."""
    return rf'^  \{{ legacy = "{re.escape(legacy)}",.*$'

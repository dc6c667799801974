"""Shared fixtures of the mapping tests: the shipped table and table copies."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from adapter.mapping import MappingTable, default_table_directory, load_mapping_table
from tests.support.mapping_items import MAPPING_PATHS, MapItem


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


@pytest.fixture(params=sorted(MAPPING_PATHS))
def map_item(request: pytest.FixtureRequest) -> MapItem:
    """to_expense, and the fast path read back as an Expense: each test holds for both."""
    return MAPPING_PATHS[request.param]

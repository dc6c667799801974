"""Shared fixtures of the mapping tests: the shipped table and table copies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapter.mapping import MappingTable, load_mapping_table
from tests.support.mapping_items import MAPPING_PATHS, MapItem
from tests.support.tables import edited_tables


@pytest.fixture(scope="session")
def table() -> MappingTable:
    return load_mapping_table()


@pytest.fixture
def table_copy(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Copy the shipped tables to tmp_path, re.sub-ing one match in one file; return the dir."""

    def make(file: str = "expense.toml", pattern: str = "", repl: str = "") -> Path:
        return edited_tables(tmp_path, file, pattern, repl)

    return make


@pytest.fixture(params=sorted(MAPPING_PATHS))
def map_item(request: pytest.FixtureRequest) -> MapItem:
    """to_expense, and the fast path read back as an Expense: each test holds for both."""
    return MAPPING_PATHS[request.param]

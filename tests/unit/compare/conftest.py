"""Fixtures of the compare tests: the shipped table and rules, a translated pair, rule files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapter.compare import EquivalenceRules, load_equivalence_rules
from adapter.mapping import MappingTable, load_mapping_table
from tests.support.compare_scenario import translated_pair
from tests.support.tables import edited_tables


@pytest.fixture(scope="session")
def table() -> MappingTable:
    return load_mapping_table()


@pytest.fixture(scope="session")
def rules() -> EquivalenceRules:
    return load_equivalence_rules()


@pytest.fixture
def pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """(legacy, translated): a translated card expense and an identical legacy copy."""
    return translated_pair()


@pytest.fixture
def tables_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the shipped tables, re.sub-ing one match in one file; return the directory."""

    def make(file: str = "equivalence.toml", pattern: str = "", repl: str = "") -> Path:
        return edited_tables(tmp_path, file, pattern, repl)

    return make

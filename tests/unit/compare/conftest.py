"""Fixtures of the compare tests: the shipped table and rules, a translated pair, rule files."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapter.compare import EquivalenceRules, load_equivalence_rules
from adapter.mapping import MappingTable, default_table_directory, load_mapping_table
from tests.support.compare_scenario import translated_pair


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
        target = tmp_path / "mappings"
        shutil.copytree(default_table_directory(), target)
        path = target / file
        if pattern:
            text, count = re.subn(pattern, repl, path.read_text(), count=1, flags=re.M)
            assert count == 1, f"{pattern!r} not in {file}"
            path.write_text(text)
        return target

    return make

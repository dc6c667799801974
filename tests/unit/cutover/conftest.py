"""Fixtures of the cutover unit tests: the shipped mapping table and equivalence rules."""

from __future__ import annotations

import pytest

from adapter.compare import EquivalenceRules, load_equivalence_rules
from adapter.mapping import MappingTable, load_mapping_table


@pytest.fixture(scope="session")
def table() -> MappingTable:
    return load_mapping_table()


@pytest.fixture(scope="session")
def rules() -> EquivalenceRules:
    return load_equivalence_rules()

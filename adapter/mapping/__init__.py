"""The field mapping: Export Item v3 -> legacy Expense, and statuses both ways, as data.

The tables live in ``mappings/*.toml`` (``adapter/_mappings`` in a wheel); see its README.
:func:`load_mapping_table` reads and validates them once at start-up, the pure functions
take the loaded table as their first argument.

Two ways to translate an Export Item: :func:`to_expense` validates the result into an
``Expense`` (tests, tools); :func:`to_expense_json` and :func:`to_expense_data` give the same
JSON / plain data without per-object validation (the proxy's path; see
:mod:`adapter.mapping.documents` for why that keeps the legacy contract).
"""

from __future__ import annotations

from adapter.mapping.documents import (
    receipt_data,
    to_expense_data,
    to_expense_json,
    to_expense_wire_data,
)
from adapter.mapping.engine import legacy_status, plan_item_update, to_expense
from adapter.mapping.table import (
    FieldRow,
    MappingTable,
    TableReport,
    check_tables,
    default_table_directory,
    load_mapping_table,
)
from adapter.mapping.transforms import receipt_of

__all__ = [
    "FieldRow",
    "MappingTable",
    "TableReport",
    "check_tables",
    "default_table_directory",
    "legacy_status",
    "load_mapping_table",
    "plan_item_update",
    "receipt_data",
    "receipt_of",
    "to_expense",
    "to_expense_data",
    "to_expense_json",
    "to_expense_wire_data",
]

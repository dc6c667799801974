"""Export Item fixtures of the mapping tests and small readers of mapped Expenses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapter.export.models import ExportItemV3
from adapter.legacy.models import Expense
from adapter.mapping import MappingTable, to_expense, to_expense_json

FIXTURES = Path(__file__).resolve().parent / "export_items"


MapItem = Callable[[MappingTable, ExportItemV3, "str | None"], Expense]
"""``to_expense`` or a stand-in with its signature."""


def via_fast_path(table: MappingTable, export_item: ExportItemV3, status: str | None) -> Expense:
    """The fast path's JSON (``to_expense_json``) read back as a validated Expense."""
    return Expense.model_validate_json(to_expense_json(table, export_item, status))


MAPPING_PATHS: dict[str, MapItem] = {"validated": to_expense, "fast": via_fast_path}
"""Both ways of translating an Export Item, by name, for tests that must hold for each."""


def raw_item(name: str) -> dict[str, Any]:
    """The wire JSON of fixture ``name`` (a fresh copy each call, safe to edit)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def item(name: str) -> ExportItemV3:
    return ExportItemV3.model_validate(raw_item(name))


def pluck(data: Any, path: str) -> Any:
    """The value(s) at a legacy path of a dumped Expense; ``[]`` levels flatten into one list.

    Below a null object (a non-card expense's ``cardTransaction``) every leaf reads null.
    """
    if data is None:
        return None
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


def row_line(legacy: str) -> str:
    """A regex matching the whole one-line row of ``legacy`` in expense.toml."""
    return rf'^  \{{ legacy = "{re.escape(legacy)}",.*$'

"""Legacy expenses for the compare tests: crafted pairs, and a realistic 200-expense run.

``translated_pair`` gives one translated expense (the mapping of a sandbox-made Export Item)
and an identical legacy copy to spoil. ``realistic_scenario`` builds a whole comparison the
way a real run looks: the legacy side in other time offsets and tag orders (equal), values
for the fields the mapping table marks ``unavailable`` on some expenses (expected gaps), an
``updatedAt`` that moves between the two legacy reads (noise), one amount off by x100, one
timestamp off by a second, and one expense only the legacy API lists.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from adapter import jsonio
from adapter.compare import EquivalenceRules, load_equivalence_rules
from adapter.compare.shape import NodeKind, ValueType, expense_shape
from adapter.export.models import ExportItemV3
from adapter.mapping import MappingTable, load_mapping_table, to_expense
from adapter.sandbox.companies import build_companies
from adapter.sandbox.dataset import EntryFactory

NOW = datetime(2026, 10, 10, 12, 0, 0, tzinfo=UTC)

# What the legacy API sends in fields the Export Item cannot supply, by leaf name.
_LEGACY_VALUES = {"state": "PRESENTMENT", "documentNumber": "INV-2026-0042"}

Expense = dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    first: list[Expense]
    second: list[Expense]
    translated: list[Expense]
    table: MappingTable
    rules: EquivalenceRules


def wire(value: Any) -> Any:
    """A value as the proxy sends it and the compare sources read it (exact Decimals)."""
    return json.loads(jsonio.dumps(value), parse_float=Decimal)


def translated_expenses(count: int, seed: int = 11) -> tuple[list[Expense], MappingTable]:
    """``count`` sandbox-made Export Items translated by the shipped table, as wire JSON."""
    rng = random.Random(seed)
    company = build_companies(rng, 1)[0]
    table = load_mapping_table()
    expenses = []
    for entry in EntryFactory(rng, NOW).make(company, count):
        item = ExportItemV3.model_validate(entry.export_item(vendor_based_bookkeeping=True))
        expenses.append(wire(to_expense(table, item, "pending").model_dump()))
    return expenses, table


def translated_pair(seed: int = 11) -> tuple[Expense, Expense]:
    """A translated card expense with two tags and an identical legacy copy."""
    expenses, _ = translated_expenses(40, seed)
    for expense in expenses:
        if expense["type"] == "CARD" and len(expense["tagIds"]) >= 2:
            return copy.deepcopy(expense), expense
    msg = "the seeded dataset has no card expense with two tags"
    raise AssertionError(msg)


def set_path(expense: Expense, path: str, value: Any) -> None:
    """Set a dotted legacy path (no lists), making objects on the way."""
    *parents, leaf = path.split(".")
    node = expense
    for name in parents:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    node[leaf] = value


def legacy_value(path: str, expense: Expense) -> Any:
    """A plausible legacy value for a field the mapping table marks unavailable."""
    info = expense_shape()[path]
    if info.value_type is ValueType.MONEY:
        settled = expense["amountSettled"]
        value = (settled["value"] * Decimal("1.1")).quantize(settled["value"])
        return {"value": value, "currency": settled["currency"]}
    if info.value_type is ValueType.TIMESTAMP:
        performed = datetime.fromisoformat(expense["performedAt"])
        return (performed - timedelta(hours=26)).isoformat().replace("+00:00", "Z")
    if info.kind is NodeKind.LIST:
        return [f"legacy-{path}"]
    return _LEGACY_VALUES.get(path.rsplit(".", 1)[-1], f"legacy {path}")


def _offset(timestamp: str) -> str:
    """The same instant written in +02:00 with milliseconds."""
    plus_two = timezone(timedelta(hours=2))
    return datetime.fromisoformat(timestamp).astimezone(plus_two).isoformat(timespec="milliseconds")


def realistic_scenario(count: int = 200, seed: int = 11) -> Scenario:
    """A run over ``count`` expenses with every kind of difference a real run shows."""
    translated, table = translated_expenses(count, seed)
    first = copy.deepcopy(translated)
    unavailable = [row.legacy for row in table.fields if row.kind == "unavailable"]
    for n, expense in enumerate(first):
        expense["performedAt"] = _offset(expense["performedAt"])
        expense["tagIds"].reverse()
        if n % 9 == 4:
            for path in unavailable:
                set_path(expense, path, legacy_value(path, expense))
        if n % 25 == 7:
            moved = datetime.fromisoformat(translated[n]["updatedAt"]) + timedelta(hours=3)
            expense["updatedAt"] = moved.isoformat().replace("+00:00", "Z")
    second = copy.deepcopy(first)
    for n, expense in enumerate(second):
        if n % 25 == 7:
            moved = datetime.fromisoformat(first[n]["updatedAt"]) + timedelta(seconds=7)
            expense["updatedAt"] = moved.isoformat().replace("+00:00", "Z")
    translated[17]["amountSettled"]["value"] *= 100
    moved = datetime.fromisoformat(translated[31]["performedAt"]) + timedelta(seconds=1)
    translated[31]["performedAt"] = moved.isoformat().replace("+00:00", "Z")
    extra = copy.deepcopy(first[0])
    extra["id"] = "0e0e0e0e-0000-4000-8000-00000000beef"
    first.append(extra)
    second.append(copy.deepcopy(extra))
    return Scenario(first, second, translated, table, load_equivalence_rules())

"""The A/A pass: what differs between two reads of the legacy API itself is noise.

Diffy's idea: before blaming the candidate, send the same request to the primary twice; a
field that differs there differs by itself (a timestamp that moves, an order that is not
stable). Here the two legacy reads are walked with the same rules as the real comparison,
and every ``(expense id, field)`` that differs, or an expense present in one read only
(``field`` ``"id"``), is noise for that expense in the comparison with the translation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adapter.compare.rules import EquivalenceRules
from adapter.compare.walk import diff_expense
from adapter.mapping.transforms import CurrencyTable

__all__ = ["PRESENCE_FIELD", "NoiseKey", "by_id", "noise_keys"]

NoiseKey = tuple[str, str]

# The field a presence difference is reported on: the expense's id.
PRESENCE_FIELD = "id"


def by_id(expenses: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Expenses by id, in order; a repeated id keeps its first occurrence."""
    found: dict[str, Mapping[str, Any]] = {}
    for expense in expenses:
        found.setdefault(str(expense["id"]), expense)
    return found


def noise_keys(
    first: Sequence[Mapping[str, Any]],
    second: Sequence[Mapping[str, Any]],
    *,
    rules: EquivalenceRules,
    currencies: CurrencyTable,
) -> frozenset[NoiseKey]:
    """Every (expense id, concrete field) that differs between two legacy reads."""
    left, right = by_id(first), by_id(second)
    keys: set[NoiseKey] = {(i, PRESENCE_FIELD) for i in left.keys() ^ right.keys()}
    for expense_id, expense in left.items():
        other = right.get(expense_id)
        if other is not None:
            for difference in diff_expense(expense, other, rules, currencies):
                keys.add((expense_id, difference.field))
    return frozenset(keys)

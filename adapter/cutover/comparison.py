"""One shadow comparison: the legacy API's answer against the translation of the same ids.

Pure: the legacy answer's body and the translated expenses go in, a :class:`ShadowOutcome`
comes out. The expenses of the legacy answer are compared field by field with the translated
expenses of the same ids by :func:`adapter.compare.compare_expenses` (the equivalence rules
and the mapping table's provenance, as ``pleo-export-adapter compare`` uses them). Only the
legacy answer's ids are looked at: the legacy API lists every queued expense and pages in its
own order, the translation shows one export job, so an expense only the translation shows
says nothing. Two classifications are shadow's own:

* ``unwritten_status``: the legacy status moved on (``EXPORTING``, ``EXPORTED``,
  ``NOT_EXPORTED``) while the translation still says ``QUEUED``. Shadow mode never writes to
  the Export API, so only the legacy API hears the client's status changes. Any other status
  difference stays unexplained.
* ``presence``: an expense of the legacy answer the translation does not have (another export
  job, or none yet). Counted, not held against the translation.

A comparison is evidence for promotion only when it compared at least one expense.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from adapter.compare import DifferenceKind, EquivalenceRules, compare_expenses
from adapter.mapping import MappingTable

__all__ = [
    "UNWRITTEN_STATUS",
    "AnswerShape",
    "FieldTally",
    "ShadowOutcome",
    "ShadowResult",
    "compare_shadow",
    "legacy_expenses",
    "parse_expense",
]

UNWRITTEN_STATUS = "unwritten_status"
_QUEUED = "QUEUED"

# "list": {"expenses": [...], ...} (GET list and PUT answers); "one": a bare Expense object.
AnswerShape = Literal["list", "one"]


class ShadowResult(StrEnum):
    CLEAN = "clean"  # compared expenses, none differed unexplained
    UNEXPLAINED = "unexplained"  # at least one unexplained difference
    EMPTY = "empty"  # nothing in common to compare
    SKIPPED = "skipped"  # nothing comparable (legacy error, receipts, no v3 credential)
    TIMEOUT = "timeout"  # ran past the time limit
    FAILED = "failed"  # the translated read or the comparison failed
    DROPPED = "dropped"  # too many comparisons in flight; never started


@dataclass(frozen=True, slots=True)
class FieldTally:
    """How often one legacy field differed unexplained, and the mapping row behind it."""

    field: str
    mapping_row: str | None
    source_path: str | None
    count: int


@dataclass(frozen=True, slots=True)
class ShadowOutcome:
    result: ShadowResult
    compared: int = 0
    kinds: Mapping[str, int] = field(default_factory=dict)
    unexplained: tuple[FieldTally, ...] = ()
    reason: str | None = None

    @property
    def evidence(self) -> bool | None:
        """For promotion: True clean, False unexplained, None no evidence either way."""
        if self.result is ShadowResult.CLEAN:
            return True
        if self.result is ShadowResult.UNEXPLAINED:
            return False
        return None


def parse_expense(raw: bytes) -> dict[str, Any]:
    """One encoded expense as the comparison reads it (numbers as exact ``Decimal``)."""
    parsed: dict[str, Any] = json.loads(raw, parse_float=Decimal)
    return parsed


def legacy_expenses(body: bytes, shape: AnswerShape) -> list[dict[str, Any]] | None:
    """The expenses of a legacy answer, or None when it does not hold any in that shape."""
    try:
        document = json.loads(body, parse_float=Decimal)
    except ValueError:
        return None
    found = document.get("expenses") if shape == "list" and isinstance(document, dict) else None
    expenses = [document] if shape == "one" else found
    if not isinstance(expenses, list):
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in expenses):
        return None
    return expenses


def compare_shadow(
    legacy: Sequence[Mapping[str, Any]],
    translated: Sequence[Mapping[str, Any]],
    *,
    table: MappingTable,
    rules: EquivalenceRules,
) -> ShadowOutcome:
    """Compare the legacy answer's expenses with the translated ones of the same ids."""
    ids = {expense["id"] for expense in legacy}
    same_ids = [expense for expense in translated if expense.get("id") in ids]
    comparison = compare_expenses(legacy, same_ids, table=table, rules=rules)
    kinds: Counter[str] = Counter()
    tallies: Counter[tuple[str, str | None, str | None]] = Counter()
    for difference in comparison.differences:
        kind = difference.kind.value
        if difference.kind is DifferenceKind.UNEXPLAINED:
            if difference.pattern == "status" and difference.translated == _QUEUED:
                kind = UNWRITTEN_STATUS
            else:
                provenance = difference.provenance
                tallies[(difference.pattern, provenance.mapping_row, provenance.source_path)] += 1
        kinds[kind] += 1
    unexplained = tuple(
        FieldTally(pattern, row, source, count)
        for (pattern, row, source), count in tallies.most_common()
    )
    if unexplained:
        result = ShadowResult.UNEXPLAINED
    elif comparison.compared == 0:
        result = ShadowResult.EMPTY
    else:
        result = ShadowResult.CLEAN
    return ShadowOutcome(result, comparison.compared, dict(kinds), unexplained)

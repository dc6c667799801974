"""The comparison as one JSON document, for CI and tools.

The shape (extra keys may be added, none removed)::

    {"companyId": ..., "statuses": [...], "generatedAt": ..., "maxUnexplained": N,
     "passed": bool,
     "summary": {"compared", "unexplained", "expectedGaps", "inferredGaps", "noise", "presence",
                 "legacyExpenses", "translatedExpenses", "failing"},
     "fields": [{"field", "mappingRow", "sourcePath", "rowKind",
                 "unexplained", "expectedGaps", "noise", "presence"}],
     "differences": [{"expenseId", "field", "kind", "legacy", "translated", "mappingRow",
                      "sourcePath", "rowKind", "rule", "missingOn", "hint", "inferred"}]}

``kind`` is one of ``unexplained``, ``expected_gap``, ``noise``, ``presence``; ``inferred``
marks an expected gap whose row is the proxy's inference (``inferredGaps`` counts them; they
are part of ``expectedGaps``). ``legacy``/``translated`` are the JSON values as read (money
stays an exact number); a key one side does not have is ``null`` with ``missingOn`` naming
that side. For a set difference of objects, the values are the sorted keys of each side.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapter import jsonio
from adapter.compare.engine import Comparison, Difference, DifferenceKind
from adapter.compare.summary import field_counts, totals
from adapter.compare.walk import is_missing

__all__ = ["difference_json", "render_json", "report_document"]


def _value(value: Any) -> Any:
    return None if is_missing(value) else value


def difference_json(difference: Difference) -> dict[str, Any]:
    missing_on = None
    if is_missing(difference.legacy):
        missing_on = "legacy"
    elif is_missing(difference.translated):
        missing_on = "translated"
    return {
        "expenseId": difference.expense_id,
        "field": difference.field,
        "kind": difference.kind.value,
        "legacy": _value(difference.legacy),
        "translated": _value(difference.translated),
        "mappingRow": difference.provenance.mapping_row,
        "sourcePath": difference.provenance.source_path,
        "rowKind": difference.provenance.row_kind,
        "rule": difference.rule,
        "missingOn": missing_on,
        "hint": difference.hint,
        "inferred": difference.inferred,
    }


def report_document(
    comparison: Comparison,
    *,
    company_id: str,
    statuses: Sequence[str],
    generated_at: datetime,
    max_unexplained: int,
) -> dict[str, Any]:
    """The whole report as plain data (Decimals and datetimes left for :mod:`jsonio`)."""
    total = totals(comparison)
    return {
        "companyId": company_id,
        "statuses": list(statuses),
        "generatedAt": generated_at,
        "maxUnexplained": max_unexplained,
        "passed": total.failing <= max_unexplained,
        "summary": {
            "compared": total.compared,
            "unexplained": total.unexplained,
            "expectedGaps": total.expected_gaps,
            "inferredGaps": total.inferred_gaps,
            "noise": total.noise,
            "presence": total.presence,
            "legacyExpenses": total.legacy_count,
            "translatedExpenses": total.translated_count,
            "failing": total.failing,
        },
        "fields": [
            {
                "field": field.pattern,
                "mappingRow": field.mapping_row,
                "sourcePath": field.source_path,
                "rowKind": field.row_kind,
                "unexplained": field.counts[DifferenceKind.UNEXPLAINED],
                "expectedGaps": field.counts[DifferenceKind.EXPECTED_GAP],
                "noise": field.counts[DifferenceKind.NOISE],
                "presence": field.counts[DifferenceKind.PRESENCE],
            }
            for field in field_counts(comparison)
        ],
        "differences": [difference_json(d) for d in comparison.differences],
    }


def render_json(
    comparison: Comparison,
    *,
    company_id: str,
    statuses: Sequence[str],
    generated_at: datetime,
    max_unexplained: int,
) -> bytes:
    """:func:`report_document` encoded (exact money, UTC ``Z`` timestamps), newline-ended."""
    document = report_document(
        comparison,
        company_id=company_id,
        statuses=statuses,
        generated_at=generated_at,
        max_unexplained=max_unexplained,
    )
    return jsonio.dumps(document) + b"\n"

"""Parsing ``expense.toml``: one :class:`FieldRow` per legacy field, each checked for shape.

Reads the ``fields`` array into rows and checks that a row's kind, source, transform and
aggregate agree with each other; whether the source exists and fits the legacy field is
:mod:`adapter.mapping.compiler`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.mapping.model import FieldRow
from adapter.mapping.reading import EXPENSE_FILE, Problems, table_rows, text, unknown_keys
from adapter.mapping.transforms import AGGREGATES, TRANSFORMS

__all__ = ["FIELD_KINDS", "check_row_shape", "parse_fields"]

FIELD_KINDS = ("direct", "transformed", "resolved", "unavailable", "item_status")
_NO_SOURCE_KINDS = frozenset({"unavailable", "item_status"})

_FIELD_KEYS = frozenset({"legacy", "source", "kind", "transform", "aggregate", "note"})


def parse_fields(doc: Mapping[str, Any], problems: Problems) -> list[FieldRow]:
    rows: list[FieldRow] = []
    for index, raw in enumerate(table_rows(doc, "fields", EXPENSE_FILE, problems)):
        legacy_name = raw.get("legacy")
        name = legacy_name if isinstance(legacy_name, str) else f"#{index + 1}"
        unknown_keys(raw, _FIELD_KEYS, EXPENSE_FILE, name, problems)
        legacy = text(raw, "legacy", EXPENSE_FILE, name, problems)
        kind = text(raw, "kind", EXPENSE_FILE, name, problems)
        if not legacy:
            problems.add(EXPENSE_FILE, name, "'legacy' (the legacy field path) is required")
            continue
        if not kind:
            problems.add(EXPENSE_FILE, name, f"'kind' is required: one of {', '.join(FIELD_KINDS)}")
            kind = ""
        rows.append(
            FieldRow(
                legacy=legacy,
                source=text(raw, "source", EXPENSE_FILE, name, problems),
                kind=kind,
                transform=text(raw, "transform", EXPENSE_FILE, name, problems),
                aggregate=text(raw, "aggregate", EXPENSE_FILE, name, problems),
                note=text(raw, "note", EXPENSE_FILE, name, problems) or "",
            )
        )
    return rows


def check_row_shape(row: FieldRow, problems: Problems) -> bool:
    """Kind/source/transform/aggregate agree; True when the row needs a source resolved."""
    ok = True

    def bad(message: str) -> None:
        nonlocal ok
        ok = False
        problems.add(EXPENSE_FILE, row.legacy, message)

    if row.kind not in FIELD_KINDS:
        bad(f"unknown kind {row.kind!r} (known: {', '.join(FIELD_KINDS)})")
        return False
    if row.kind in _NO_SOURCE_KINDS:
        for key in ("source", "transform", "aggregate"):
            if getattr(row, key) is not None:
                bad(f"kind {row.kind!r} takes no {key!r}")
        return False
    if row.source is None:
        bad(f"kind {row.kind!r} needs a 'source' path in the Export Item")
    if row.kind == "direct" and row.transform is not None:
        bad("kind 'direct' takes no 'transform' (use 'transformed' or 'resolved')")
    if row.kind == "transformed" and row.transform is None:
        bad("kind 'transformed' needs a 'transform'")
    if row.transform is not None and row.transform not in TRANSFORMS:
        bad(f"unknown transform {row.transform!r} (known: {', '.join(sorted(TRANSFORMS))})")
    if row.aggregate is not None and row.aggregate not in AGGREGATES:
        bad(f"unknown aggregate {row.aggregate!r} (known: {', '.join(sorted(AGGREGATES))})")
    return ok

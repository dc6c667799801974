"""Parsing ``expense.toml``: one :class:`FieldRow` per legacy field, each checked for shape,
and the ``objects`` rules saying when a nullable legacy object is present.

Reads the ``fields`` array into rows and checks that a row's kind, source, transform,
aggregate, fallback, default, args and options agree with each other; whether the sources
exist and fit the legacy field is :mod:`adapter.mapping.compiler`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from adapter.mapping.model import FieldRow, ObjectRule
from adapter.mapping.reading import EXPENSE_FILE, Problems, table_rows, text, unknown_keys
from adapter.mapping.transforms import AGGREGATES, TRANSFORMS

__all__ = ["FIELD_KINDS", "check_row_shape", "parse_fields", "parse_objects"]

FIELD_KINDS = ("direct", "transformed", "resolved", "unavailable", "item_status")
_NO_SOURCE_KINDS = frozenset({"unavailable", "item_status"})

_FIELD_KEYS = frozenset(
    {
        "legacy",
        "source",
        "kind",
        "transform",
        "aggregate",
        "note",
        "fallback",
        "default",
        "args",
        "options",
        "departure",
        "inferred",
    }
)
_OBJECT_KEYS = frozenset({"legacy", "present_when", "note", "departure"})


def _paths(raw: Mapping[str, Any], key: str, name: str, problems: Problems) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(EXPENSE_FILE, name, f"{key!r} must be an array of source paths")
        return ()
    return tuple(value)


def _options(raw: Mapping[str, Any], name: str, problems: Problems) -> dict[str, str]:
    value = raw.get("options", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.add(EXPENSE_FILE, name, "'options' must be a table of name = \"value\"")
        return {}
    return dict(value)


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
                fallback=_paths(raw, "fallback", name, problems),
                default=text(raw, "default", EXPENSE_FILE, name, problems),
                args=_paths(raw, "args", name, problems),
                options=_options(raw, name, problems),
                departure=text(raw, "departure", EXPENSE_FILE, name, problems),
                inferred=_flag(raw, "inferred", name, problems),
            )
        )
    return rows


def _flag(raw: Mapping[str, Any], key: str, name: str, problems: Problems) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.add(EXPENSE_FILE, name, f"'{key}' must be true or false")
        return False
    return value


def parse_objects(doc: Mapping[str, Any], problems: Problems) -> list[ObjectRule]:
    """The ``objects`` rules (optional array); each names a legacy object and its condition."""
    if "objects" not in doc:
        return []
    rules: list[ObjectRule] = []
    for index, raw in enumerate(table_rows(doc, "objects", EXPENSE_FILE, problems)):
        legacy = raw.get("legacy")
        name = f"objects {legacy if isinstance(legacy, str) else f'#{index + 1}'}"
        unknown_keys(raw, _OBJECT_KEYS, EXPENSE_FILE, name, problems)
        if not isinstance(legacy, str) or not legacy:
            problems.add(EXPENSE_FILE, name, "'legacy' (the legacy object path) is required")
            continue
        condition = raw.get("present_when")
        if not isinstance(condition, dict) or not condition:
            problems.add(
                EXPENSE_FILE, name, "'present_when' must be a table of source path = [values]"
            )
            continue
        present_when: dict[str, frozenset[str]] = {}
        for path, values in condition.items():
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) and v for v in values)
            ):
                problems.add(EXPENSE_FILE, name, f"present_when {path!r}: a non-empty string array")
                continue
            present_when[path] = frozenset(values)
        rules.append(
            ObjectRule(
                legacy=legacy,
                present_when=present_when,
                note=text(raw, "note", EXPENSE_FILE, name, problems) or "",
                departure=text(raw, "departure", EXPENSE_FILE, name, problems),
            )
        )
    return rules


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
        for key in ("source", "transform", "aggregate", "default"):
            if getattr(row, key) is not None:
                bad(f"kind {row.kind!r} takes no {key!r}")
        for key in ("fallback", "args", "options"):
            if getattr(row, key):
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
    spec = TRANSFORMS.get(row.transform or "")
    if row.args and (spec is None or len(row.args) > len(spec.extra)):
        takes = len(spec.extra) if spec is not None else 0
        bad(f"'args' gives {len(row.args)} extra source(s), the transform takes {takes}")
    if spec is not None and set(row.options) != spec.options:
        wanted = ", ".join(sorted(spec.options)) or "none"
        bad(f"transform {spec.name!r} takes options {wanted}, the row gives {sorted(row.options)}")
    if spec is None and row.options:
        bad("'options' need a transform that takes them")
    if spec is not None and issubclass(spec.produces, Enum):
        for option, value in row.options.items():
            if value not in {member.value for member in spec.produces}:
                bad(f"option {option} = {value!r} is not a {spec.produces.__name__} value")
    return ok

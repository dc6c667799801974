"""Parsing the lookup tables: ``statuses.toml``, ``types.toml`` and ``currencies.toml``.

Each parser turns one TOML document into its table (:class:`StatusTable`,
:class:`TypeTable`, :class:`CurrencyTable`), checking enum values against the models and
that every status and Export Item type has a row; it returns None when the table cannot be
built, with the reasons in the shared problems collector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapter.export.models import (
    ExportItemType,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
)
from adapter.legacy.models import ExpenseType, LegacyStatus
from adapter.mapping.model import StatusRule, StatusTable
from adapter.mapping.reading import (
    CURRENCY_FILE,
    STATUS_FILE,
    TYPES_FILE,
    Problems,
    table_rows,
    text,
    unknown_keys,
)
from adapter.mapping.transforms import CurrencyTable, TypeRow, TypeTable

__all__ = [
    "EXPORT_ITEM_SUB_TYPES_V3",
    "EXPORT_ITEM_TYPES_V3",
    "parse_currencies",
    "parse_statuses",
    "parse_types",
]

# pleo-api.md B §2.8.1: every value of ExportItemTypeV3 must have a row in types.toml.
EXPORT_ITEM_TYPES_V3 = tuple(t.value for t in ExportItemType)
# ExportItemSubTypeV3 (B §2.8.1): the values a types.toml row's sub_type may name.
EXPORT_ITEM_SUB_TYPES_V3 = (
    "reimbursement_to_employee_refund",
    "reimbursement_to_company",
    "reimbursement_to_employee",
    "invoice_payment_returned",
    "invoice_payment_sent",
    "interest",
)
_TYPE_ROW_KEYS = frozenset({"v3", "sub_type", "legacy", "note", "departure"})


# --- statuses.toml ---------------------------------------------------------------------------

_ITEM_ROW_KEYS = frozenset({"item", "legacy", "note"})
_LEGACY_ROW_KEYS = frozenset(
    {
        "legacy",
        "item",
        "allowed_from",
        "exported_at",
        "failure_reason_type",
        "failure_reason",
        "conflict",
        "note",
    }
)


def _enum(enum: Any, value: Any, file: str, row: str, what: str, problems: Problems) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        problems.add(file, row, f"unknown {what} {value!r} (known: {known})")
        return None


def parse_statuses(doc: Mapping[str, Any], problems: Problems) -> StatusTable | None:
    f = STATUS_FILE
    missing = _enum(
        ExportJobItemStatus,
        doc.get("missing_item_status"),
        f,
        "missing_item_status",
        "item status",
        problems,
    )
    item_to_legacy: dict[str, LegacyStatus] = {}
    item_notes: dict[str, str] = {}
    for raw in table_rows(doc, "item_to_legacy", f, problems):
        name = f"item_to_legacy {raw.get('item')}"
        unknown_keys(raw, _ITEM_ROW_KEYS, f, name, problems)
        item = _enum(ExportJobItemStatus, raw.get("item"), f, name, "item status", problems)
        legacy = _enum(LegacyStatus, raw.get("legacy"), f, name, "legacy status", problems)
        if item is None or legacy is None:
            continue
        if item.value in item_to_legacy:
            problems.add(f, name, "two rows for the same item status")
        item_to_legacy[item.value] = legacy
        item_notes[item.value] = str(raw.get("note", ""))
    for status in ExportJobItemStatus:
        if status.value not in item_to_legacy:
            problems.add(f, f"item_to_legacy {status.value}", "item status is unmapped")

    rules: dict[LegacyStatus, StatusRule] = {}
    for raw in table_rows(doc, "legacy_to_item", f, problems):
        name = f"legacy_to_item {raw.get('legacy')}"
        unknown_keys(raw, _LEGACY_ROW_KEYS, f, name, problems)
        legacy = _enum(LegacyStatus, raw.get("legacy"), f, name, "legacy status", problems)
        item = None
        if raw.get("item") is not None:
            item = _enum(ExportJobItemStatus, raw.get("item"), f, name, "item status", problems)
        allowed_raw = raw.get("allowed_from", [])
        allowed: set[ExportJobItemStatus] = set()
        for value in allowed_raw if isinstance(allowed_raw, list) else [allowed_raw]:
            status = _enum(ExportJobItemStatus, value, f, name, "item status", problems)
            if status is None:
                continue
            if status.is_terminal:
                problems.add(f, name, f"allowed_from names terminal status {status.value!r} (A.3)")
            allowed.add(status)
        if allowed and item is None:
            problems.add(f, name, "allowed_from is not empty, so 'item' (the new status) is needed")
        if item is not None and legacy is not None and item_to_legacy.get(item.value) != legacy:
            problems.add(
                f,
                name,
                f"item status {item.value!r} reads back as "
                f"{item_to_legacy.get(item.value)!r}, not {legacy.value!r} (no round trip)",
            )
        exported_at = raw.get("exported_at")
        if exported_at not in (None, "now"):
            problems.add(f, name, "exported_at can only be 'now'")
        reason_type = None
        if raw.get("failure_reason_type") is not None:
            reason_type = _enum(
                ExportJobItemFailureReasonType,
                raw.get("failure_reason_type"),
                f,
                name,
                "failure reason type",
                problems,
            )
        if legacy is None:
            continue
        if legacy in rules:
            problems.add(f, name, "two rows for the same legacy status")
        rules[legacy] = StatusRule(
            legacy=legacy,
            item=item,
            allowed_from=frozenset(allowed),
            exported_at_now=exported_at == "now",
            failure_reason_type=reason_type,
            failure_reason=text(raw, "failure_reason", f, name, problems),
            conflict=text(raw, "conflict", f, name, problems) or "status change not allowed",
            note=text(raw, "note", f, name, problems) or "",
        )
    for legacy_status in LegacyStatus:
        if legacy_status not in rules:
            problems.add(f, f"legacy_to_item {legacy_status.value}", "legacy status is unmapped")
    if missing is None:
        return None
    return StatusTable(missing, item_to_legacy, item_notes, rules)


# --- types.toml and currencies.toml ----------------------------------------------------------


def parse_types(doc: Mapping[str, Any], problems: Problems) -> TypeTable | None:
    f = TYPES_FILE
    default = _enum(ExpenseType, doc.get("default"), f, "default", "legacy type", problems)
    rows: list[TypeRow] = []
    seen: set[str] = set()
    seen_pairs: set[tuple[str, str | None]] = set()
    for raw in table_rows(doc, "types", f, problems):
        sub_type = raw.get("sub_type")
        name = f"types {raw.get('v3')}" + (f" subType {sub_type}" if sub_type else "")
        unknown_keys(raw, _TYPE_ROW_KEYS, f, name, problems)
        v3 = raw.get("v3")
        legacy = _enum(ExpenseType, raw.get("legacy"), f, name, "legacy type", problems)
        if not isinstance(v3, str) or not v3:
            problems.add(f, name, "'v3' (the Export Item type) must be a non-empty string")
            continue
        if sub_type is not None and sub_type not in EXPORT_ITEM_SUB_TYPES_V3:
            known = ", ".join(EXPORT_ITEM_SUB_TYPES_V3)
            problems.add(f, name, f"unknown sub_type {sub_type!r} (known: {known})")
            continue
        if (v3, sub_type) in seen_pairs:
            problems.add(f, name, "two rows for the same v3 type and subType")
        seen_pairs.add((v3, sub_type))
        if sub_type is None:
            seen.add(v3)
        if legacy is not None:
            rows.append(
                TypeRow(
                    v3,
                    legacy,
                    str(raw.get("note", "")),
                    sub_type=sub_type,
                    departure=text(raw, "departure", f, name, problems),
                )
            )
    for v3_type in EXPORT_ITEM_TYPES_V3:
        if v3_type not in seen:
            problems.add(f, f"types {v3_type}", "ExportItemTypeV3 value has no plain row")
    for v3_type, sub_type in seen_pairs:
        if sub_type is not None and v3_type not in seen:
            where = f"types {v3_type} subType {sub_type}"
            problems.add(f, where, "the type has no row without sub_type")
    if default is None:
        return None
    return TypeTable(tuple(rows), default, str(doc.get("default_note", "")))


def parse_currencies(doc: Mapping[str, Any], problems: Problems) -> CurrencyTable | None:
    f = CURRENCY_FILE
    units = doc.get("legacy_units")
    ok = True
    if units not in ("major", "minor"):
        problems.add(f, "legacy_units", f"must be 'major' or 'minor', not {units!r}")
        ok = False
    default = doc.get("default_exponent")
    if not isinstance(default, int) or isinstance(default, bool) or not 0 <= default <= 4:
        problems.add(f, "default_exponent", "must be an integer from 0 to 4")
        ok = False
    exponents: dict[str, int] = {}
    raw = doc.get("exponents", {})
    if not isinstance(raw, dict):
        problems.add(f, "exponents", "must be a table of CODE = exponent")
        raw = {}
    for code, exponent in raw.items():
        if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
            problems.add(f, f"exponents {code}", "not an ISO 4217 code (three capital letters)")
        elif not isinstance(exponent, int) or isinstance(exponent, bool) or not 0 <= exponent <= 4:
            problems.add(f, f"exponents {code}", "exponent must be an integer from 0 to 4")
        else:
            exponents[code] = exponent
    if not ok:
        return None
    assert isinstance(units, str)  # noqa: S101 -- narrowed by the check above
    assert isinstance(default, int)  # noqa: S101 -- narrowed by the check above
    return CurrencyTable(units, default, exponents)

"""The mapping tables as loaded: the row and status records, the validated whole, the report.

These are the plain frozen records the parsers in :mod:`adapter.mapping.field_rows` and
:mod:`adapter.mapping.lookup_tables` produce and :func:`adapter.mapping.table.check_tables`
assembles into a :class:`MappingTable`; they hold no reading or validation logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapter.errors import TableProblem
from adapter.export.models import (
    ExportItemV3,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
)
from adapter.legacy.models import LegacyStatus
from adapter.mapping.transforms import CurrencyTable, TypeTable

__all__ = [
    "Departure",
    "FieldRow",
    "MappingTable",
    "ObjectRule",
    "StatusRule",
    "StatusTable",
    "TableReport",
]


# --- the table as loaded ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One row of ``expense.toml``.

    ``fallback``: further source paths read in order while the value is null; ``default``: the
    value when every source is null; ``args``: extra source values passed to the transform;
    ``options``: the transform's fixed choices; ``departure``: why this row departs from the
    seed table (pleo-api.md A.1), listed by ``mappings check``; ``inferred``: the value is the
    proxy's inference, not data the Export Item carries (A.1 marks the field unavailable), so a
    comparison with the legacy API counts a difference there as an expected gap (marked
    inferred), not as a failure.
    """

    legacy: str
    source: str | None
    kind: str
    transform: str | None
    aggregate: str | None
    note: str
    fallback: tuple[str, ...] = ()
    default: str | None = None
    args: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    departure: str | None = None
    inferred: bool = False


@dataclass(frozen=True, slots=True)
class ObjectRule:
    """One row of ``expense.toml`` ``objects``: when a nullable legacy object is present.

    ``present_when`` maps Export Item source paths to the values that make the object present
    (all must hold); otherwise the object is ``null``.
    """

    legacy: str
    present_when: Mapping[str, frozenset[str]]
    note: str
    departure: str | None = None


@dataclass(frozen=True, slots=True)
class Departure:
    """A row that departs from the seed table (A.1/A.2) and why: what ``mappings check`` lists."""

    file: str
    row: str
    reason: str


@dataclass(frozen=True, slots=True)
class StatusRule:
    """One ``legacy_to_item`` row: what a legacy PUT of ``legacy`` does to an item."""

    legacy: LegacyStatus
    item: ExportJobItemStatus | None
    allowed_from: frozenset[ExportJobItemStatus]
    exported_at_now: bool
    failure_reason_type: ExportJobItemFailureReasonType | None
    failure_reason: str | None
    conflict: str
    note: str


@dataclass(frozen=True, slots=True)
class StatusTable:
    """``statuses.toml``."""

    missing_item_status: ExportJobItemStatus
    item_to_legacy: Mapping[str, LegacyStatus]
    item_notes: Mapping[str, str]
    legacy_to_item: Mapping[LegacyStatus, StatusRule]


@dataclass(frozen=True, slots=True)
class MappingTable:
    """The validated, compiled tables. Build one with :func:`load_mapping_table`."""

    directory: Path
    fields: tuple[FieldRow, ...]
    statuses: StatusTable
    types: TypeTable
    currencies: CurrencyTable
    objects: tuple[ObjectRule, ...]
    # item -> the Expense as a plain dict, every key but the item_status fields
    build: Callable[[ExportItemV3], dict[str, Any]] = field(repr=False, compare=False)
    # the same, amounts already written as JSON (orjson.Fragment): for the fast path only
    build_json: Callable[[ExportItemV3], dict[str, Any]] = field(repr=False, compare=False)
    status_fields: tuple[str, ...] = ()

    def row(self, legacy: str) -> FieldRow:
        """The row of one legacy field path, e.g. ``"tagIds[].tagGroupId"``."""
        for row in self.fields:
            if row.legacy == legacy:
                return row
        raise KeyError(legacy)


@dataclass(frozen=True, slots=True)
class TableReport:
    """What ``mappings check`` shows: the rows read (even from a broken table) and problems."""

    directory: Path
    fields: tuple[FieldRow, ...]
    problems: tuple[TableProblem, ...]
    table: MappingTable | None
    departures: tuple[Departure, ...] = ()

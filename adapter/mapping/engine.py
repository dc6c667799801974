"""The translation itself: pure functions of (table, input), no I/O, no state.

* :func:`to_expense`: Export Item v3 + its job item status -> legacy Expense.
* :func:`legacy_status`: job item status -> legacy status.
* :func:`plan_item_update`: legacy PUT status -> the v3 item update to send (or None: no-op).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from adapter.errors import MappingError, StatusChangeRefused
from adapter.export.models import (
    ExportItemV3,
    ExportJobItemStatus,
    UpdateExportJobItemV3,
)
from adapter.legacy.models import Expense, ItemUpdateExtras, LegacyStatus
from adapter.mapping.table import MappingTable

__all__ = [
    "TRANSLATION_ERRORS",
    "legacy_status",
    "plan_item_update",
    "to_expense",
    "translation_error",
]


def _item_status(table: MappingTable, item_status: str | None) -> ExportJobItemStatus:
    if item_status is None:
        return table.statuses.missing_item_status
    try:
        return ExportJobItemStatus(item_status)
    except ValueError:
        msg = f"unknown export job item status {item_status!r}"
        raise MappingError(msg, field="status") from None


def legacy_status(table: MappingTable, item_status: str | None) -> LegacyStatus:
    """The legacy status of a job item status (A.3); an unknown status is a MappingError."""
    found = table.statuses.item_to_legacy.get(item_status) if item_status is not None else None
    if found is not None:
        return found
    return table.statuses.item_to_legacy[_item_status(table, item_status).value]


def translation_error(item: ExportItemV3, exc: Exception) -> Exception:
    """What to raise for ``exc`` while translating ``item``: a MappingError naming the item
    (a MappingError is completed, anything else converted), or ``exc`` itself if unexpected.

    Written out rather than as a context manager: the fast path calls it per item.
    """
    if isinstance(exc, MappingError):
        exc.accounting_entry_id = item.accounting_entry_id
        return exc
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        msg = f"item {item.accounting_entry_id}: legacy field {where!r}: {first['msg']}"
        return MappingError(msg, accounting_entry_id=item.accounting_entry_id, field=where)
    if isinstance(exc, ValueError | TypeError | ArithmeticError):
        msg = f"item {item.accounting_entry_id}: cannot be translated ({type(exc).__name__})"
        return MappingError(msg, accounting_entry_id=item.accounting_entry_id)
    return exc


TRANSLATION_ERRORS = (MappingError, ValueError, TypeError, ArithmeticError)
"""What :func:`translation_error` turns into a MappingError (ValidationError is a ValueError)."""


def to_expense(table: MappingTable, item: ExportItemV3, item_status: str | None) -> Expense:
    """Translate one Export Item into a validated legacy Expense, or raise MappingError.

    The validated path, for tests and tools; the proxy uses the equal and faster
    :func:`~adapter.mapping.documents.to_expense_json` / ``to_expense_data``.
    """
    status = legacy_status(table, item_status)
    try:
        data = table.build(item)
        for name in table.status_fields:
            data[name] = status
        return Expense.model_validate(data)
    except TRANSLATION_ERRORS as exc:
        error = translation_error(item, exc)
        if error is exc:
            raise
        raise error from exc


def plan_item_update(
    table: MappingTable,
    current_item_status: str | None,
    requested: LegacyStatus,
    *,
    accounting_entry_id: str,
    now: datetime,
    extras: ItemUpdateExtras | None = None,
) -> UpdateExportJobItemV3 | None:
    """The v3 item update for a legacy PUT of ``requested`` (A.3).

    None when the item already has that legacy status (a no-op answered 200); raises
    :class:`~adapter.errors.StatusChangeRefused` when the change is not allowed (terminal item,
    going back to QUEUED, moving backwards), and MappingError for an unknown current status.
    """
    current = _item_status(table, current_item_status)
    if table.statuses.item_to_legacy[current.value] == requested:
        return None
    rule = table.statuses.legacy_to_item[requested]
    if rule.item is None or current not in rule.allowed_from:
        msg = (
            f"cannot set expense {accounting_entry_id} to {requested.value}: {rule.conflict} "
            f"(export item status {current.value!r})"
        )
        raise StatusChangeRefused(msg, accounting_entry_id=accounting_entry_id)
    extras = extras or ItemUpdateExtras()
    return UpdateExportJobItemV3(
        accounting_entry_id=accounting_entry_id,
        status=rule.item,
        exported_at=now if rule.exported_at_now else None,
        external_id=extras.external_id,
        external_url=extras.external_url,
        failure_reason=extras.failure_reason or rule.failure_reason,
        failure_reason_type=extras.failure_reason_type or rule.failure_reason_type,
    )

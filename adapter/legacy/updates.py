"""The body of ``PUT /v1/expenses`` and ``PUT /v1/expenses/{id}``, in every shape clients send.

Pleo never published ``ExpensesUpdateRequest`` (pleo-api.md B §4.4), so all three plausible
shapes are accepted, and the single-expense route takes ``{"status": ...}``:

1. ``{"expenseIds": ["<id>", ...], "status": "EXPORTED"}``
2. ``{"expenses": [{"id": "<id>", "status": "EXPORTED"}, ...]}``
3. ``[{"id": "<id>", "status": "EXPORTED"}, ...]``

Only ``id``, ``status`` and the optional extension fields of A.3 (``externalId``,
``externalUrl``, ``failureReason``, ``failureReasonType``) are read; anything else a client
sends along (a whole expense, say) is ignored, so nothing else can be assigned (OWASP API3).
"""

from __future__ import annotations

import logging
from typing import Any

from adapter.errors import BadRequest, PayloadTooLarge, Unprocessable
from adapter.export.models import ExportJobItemFailureReasonType
from adapter.legacy.models import ItemUpdateExtras, LegacyStatus, StatusChange

__all__ = ["parse_bulk_update", "parse_single_update"]

logger = logging.getLogger("adapter.legacy")

_MAX_ID_LENGTH = 128
_MAX_TEXT_LENGTH = 2000
_EXTRA_FIELDS = ("externalId", "externalUrl", "failureReason", "failureReasonType")


def parse_bulk_update(body: Any, *, max_ids: int) -> list[StatusChange]:
    if isinstance(body, list):
        logger.debug("legacy PUT body shape: bare array")
        entries = body
    elif isinstance(body, dict) and "expenseIds" in body:
        logger.debug("legacy PUT body shape: expenseIds + status")
        ids = body["expenseIds"]
        if not isinstance(ids, list):
            msg = "expenseIds: expected an array of ids."
            raise BadRequest(msg, error_type="INVALID_BODY")
        _check_count(len(ids), max_ids)
        status = _status(body.get("status"), "status")
        extras = _extras(body, "body")
        return [
            StatusChange(_expense_id(i, f"expenseIds[{n}]"), status, extras)
            for n, i in enumerate(ids)
        ]
    elif isinstance(body, dict) and "expenses" in body:
        logger.debug("legacy PUT body shape: expenses array")
        entries = body["expenses"]
        if not isinstance(entries, list):
            msg = "expenses: expected an array."
            raise BadRequest(msg, error_type="INVALID_BODY")
    else:
        msg = (
            'Expected {"expenseIds": [...], "status": ...}, {"expenses": [{"id", "status"}]} '
            'or [{"id", "status"}].'
        )
        raise BadRequest(msg, error_type="INVALID_BODY")
    _check_count(len(entries), max_ids)
    return [_entry(entry, f"expenses[{n}]") for n, entry in enumerate(entries)]


def parse_single_update(body: Any, expense_id: str) -> StatusChange:
    if not isinstance(body, dict):
        msg = 'Expected {"status": ...}.'
        raise BadRequest(msg, error_type="INVALID_BODY")
    return StatusChange(
        _expense_id(expense_id, "path id"),
        _status(body.get("status"), "status"),
        _extras(body, "body"),
    )


def _check_count(count: int, max_ids: int) -> None:
    if count == 0:
        msg = "No expenses to update."
        raise BadRequest(msg, error_type="INVALID_BODY")
    if count > max_ids:
        msg = f"At most {max_ids} expenses per request; got {count}."
        raise PayloadTooLarge(msg, error_type="TOO_MANY_EXPENSES")


def _entry(entry: Any, where: str) -> StatusChange:
    if not isinstance(entry, dict):
        msg = f'{where}: expected {{"id": ..., "status": ...}}.'
        raise BadRequest(msg, error_type="INVALID_BODY")
    return StatusChange(
        _expense_id(entry.get("id"), f"{where}.id"),
        _status(entry.get("status"), f"{where}.status"),
        _extras(entry, where),
    )


def _expense_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_ID_LENGTH:
        msg = f"{where}: expected an expense id."
        raise BadRequest(msg, error_type="INVALID_BODY")
    return value.strip()


def _status(value: Any, where: str) -> LegacyStatus:
    if not isinstance(value, str):
        msg = f"{where}: expected one of {', '.join(LegacyStatus)}."
        raise BadRequest(msg, error_type="INVALID_BODY")
    try:
        return LegacyStatus(value.strip().upper())
    except ValueError:
        msg = f"{where}: {value[:40]!r} is not one of {', '.join(LegacyStatus)}."
        raise Unprocessable(msg, error_type="INVALID_STATUS") from None


def _extras(entry: dict[str, Any], where: str) -> ItemUpdateExtras | None:
    present = {name: entry[name] for name in _EXTRA_FIELDS if entry.get(name) is not None}
    if not present:
        return None
    for name, value in present.items():
        if not isinstance(value, str) or len(value) > _MAX_TEXT_LENGTH:
            msg = f"{where}.{name}: expected a string of at most {_MAX_TEXT_LENGTH} characters."
            raise BadRequest(msg, error_type="INVALID_BODY")
    reason_type = present.get("failureReasonType")
    if reason_type is not None:
        try:
            ExportJobItemFailureReasonType(reason_type)
        except ValueError:
            msg = f"{where}.failureReasonType: {reason_type[:40]!r} is not a failure reason type."
            raise Unprocessable(msg, error_type="INVALID_FAILURE_REASON_TYPE") from None
    return ItemUpdateExtras(
        external_id=present.get("externalId"),
        external_url=present.get("externalUrl"),
        failure_reason=present.get("failureReason"),
        failure_reason_type=(
            ExportJobItemFailureReasonType(reason_type) if reason_type is not None else None
        ),
    )

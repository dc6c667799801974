"""Strict parsing of the v3 request bodies the sandbox accepts.

Pleo is silent on unknown fields and on ``null`` for its non-nullable request fields; the
sandbox rejects both with 400 ``BAD_REQUEST`` so a client's typo or stray ``null`` shows up in
tests instead of being ignored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapter.sandbox.clock import parse_timestamp
from adapter.sandbox.errors import bad_request
from adapter.sandbox.models import ITEM_STATUSES

__all__ = [
    "EVENT_TYPES",
    "ITEM_FAILURE_REASON_TYPES",
    "JOB_FAILURE_REASON_TYPES",
    "ItemUpdate",
    "JobEvent",
    "parse_item_updates",
    "parse_job_event",
    "parse_uuid",
]

EVENT_TYPES = frozenset({"started", "failed", "completed", "completed_with_errors"})
JOB_FAILURE_REASON_TYPES = frozenset(
    {
        "invalid_configuration",
        "missing_configuration",
        "authentication_failure",
        "accounting_system_authentication_failure",
        "pleo_rate_limit",
        "accounting_system_rate_limit",
        "service_unreachable",
        "accounting_system_unreachable",
        "validation_failure",
        "authorization_failure",
        "integration_unusable",
        "job_expired",
        "service_timeout",
        "accounting_system_timeout",
        "canceled_by_user",
    }
)
ITEM_FAILURE_REASON_TYPES = frozenset(
    {
        "receipt_upload_failure",
        "receipt_download_failure",
        "receipt_file_size_limit_exceeded",
        "receipt_conversion_failure",
        "unexpected_failure",
        "invalid_configuration",
        "missing_configuration",
        "accounting_system_authentication_failure",
        "accounting_system_rate_limit",
        "accounting_system_unreachable",
        "validation_failure",
        "accounting_system_validation_failure",
        "authorization_failure",
        "accounting_system_timeout",
        "vendor_unknown",
        "account_unknown",
        "tax_code_unknown",
        "tag_unknown",
    }
)
_ITEM_FIELDS = frozenset(
    {
        "accountingEntryId",
        "status",
        "exportedAt",
        "externalId",
        "externalUrl",
        "failureReason",
        "failureReasonType",
    }
)
_EVENT_FIELDS = frozenset({"event", "jobId", "failureReason", "failureReasonType"})


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """One ``UpdateExportJobItemV3``."""

    accounting_entry_id: str
    status: str
    exported_at: datetime | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One ``CreateExportJobEvent``."""

    event: str
    job_id: str
    failure_reason: str | None = None
    failure_reason_type: str | None = None


def parse_uuid(value: object, name: str) -> str:
    """A UUID in canonical lower-case form, or 400."""
    if not isinstance(value, str):
        msg = f"'{name}' must be a UUID string."
        raise bad_request(msg)
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        msg = f"'{name}' is not a valid UUID."
        raise bad_request(msg) from exc


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    if name not in body:
        return None
    value = body[name]
    if not isinstance(value, str):
        msg = f"'{name}' must be a string."
        raise bad_request(msg)
    return value


def _optional_enum(body: dict[str, Any], name: str, allowed: frozenset[str]) -> str | None:
    value = _optional_string(body, name)
    if value is not None and value not in allowed:
        msg = f"'{name}' has an unknown value."
        raise bad_request(msg)
    return value


def _object(value: object, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        msg = f"{where} must be a JSON object."
        raise bad_request(msg)
    unknown = sorted(set(value) - allowed)
    if unknown:
        msg = f"{where} has unknown fields: {', '.join(unknown)}."
        raise bad_request(msg)
    return value


def parse_item_updates(body: object) -> list[ItemUpdate]:
    """The ``PUT /v3/export-jobs/{id}/items`` body: a bare array of ``UpdateExportJobItemV3``."""
    if not isinstance(body, list):
        msg = "The body must be a JSON array of export job item updates."
        raise bad_request(msg)
    updates = []
    for index, raw in enumerate(body):
        where = f"Item {index}"
        element = _object(raw, where, _ITEM_FIELDS)
        status = element.get("status")
        if not isinstance(status, str) or status not in ITEM_STATUSES:
            msg = f"{where}: 'status' must be one of {', '.join(ITEM_STATUSES)}."
            raise bad_request(msg)
        exported_raw = _optional_string(element, "exportedAt")
        exported_at = None
        if exported_raw is not None:
            try:
                exported_at = parse_timestamp(exported_raw)
            except ValueError as exc:
                msg = f"{where}: 'exportedAt' is not an RFC 3339 date-time."
                raise bad_request(msg) from exc
        updates.append(
            ItemUpdate(
                accounting_entry_id=parse_uuid(
                    element.get("accountingEntryId"), "accountingEntryId"
                ),
                status=status,
                exported_at=exported_at,
                external_id=_optional_string(element, "externalId"),
                external_url=_optional_string(element, "externalUrl"),
                failure_reason=_optional_string(element, "failureReason"),
                failure_reason_type=_optional_enum(
                    element, "failureReasonType", ITEM_FAILURE_REASON_TYPES
                ),
            )
        )
    return updates


def parse_job_event(body: object) -> JobEvent:
    """The ``POST /v3/export-job-events`` body."""
    element = _object(body, "The body", _EVENT_FIELDS)
    event = element.get("event")
    if not isinstance(event, str) or event not in EVENT_TYPES:
        msg = "'event' must be one of started, failed, completed, completed_with_errors."
        raise bad_request(msg)
    return JobEvent(
        event=event,
        job_id=parse_uuid(element.get("jobId"), "jobId"),
        failure_reason=_optional_string(element, "failureReason"),
        failure_reason_type=_optional_enum(element, "failureReasonType", JOB_FAILURE_REASON_TYPES),
    )

"""Plain records of the sandbox's world: companies, accounting entries, export jobs and items.

Everything is a mutable dataclass held in memory by :class:`adapter.sandbox.state.SandboxState`;
the routes render them to Pleo's JSON shapes through the ``to_*`` helpers here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapter.sandbox.clock import format_timestamp

__all__ = [
    "ITEM_STATUSES",
    "JOB_STATUSES",
    "RUNNING_JOB_STATUSES",
    "TERMINAL_ITEM_STATUSES",
    "Company",
    "Entry",
    "Job",
    "JobItem",
    "JsonObject",
]

JOB_STATUSES = ("pending", "in_progress", "failed", "completed", "completed_with_errors")
RUNNING_JOB_STATUSES = frozenset({"pending", "in_progress"})
ITEM_STATUSES = ("pending", "in_progress", "failed", "successful", "abandoned")
TERMINAL_ITEM_STATUSES = frozenset({"failed", "successful", "abandoned"})

JsonObject = dict[str, Any]


@dataclass(slots=True)
class Company:
    """A Pleo company (tenant) with its three kinds of credentials and reference data."""

    id: str
    name: str
    wallet_currencies: tuple[str, ...]
    api_key: str
    bearer_token: str
    legacy_token: str
    users: list[JsonObject]
    teams: list[JsonObject]
    accounts: list[JsonObject]
    taxes: list[JsonObject]
    tags: list[JsonObject]
    vendors: list[JsonObject]
    suppliers: list[JsonObject]

    def credentials(self) -> JsonObject:
        """The admin view of this company's credentials."""
        return {
            "companyId": self.id,
            "name": self.name,
            "walletCurrencies": list(self.wallet_currencies),
            "apiKey": self.api_key,
            "bearerToken": self.bearer_token,
            "legacyToken": self.legacy_token,
        }


@dataclass(slots=True)
class Entry:
    """An accounting entry: the export item data plus where it is in the export flow.

    ``item`` is the ``ExportItemV3`` body without ``vendor``/``bookkeeping``, which are added
    only when the entry's job has ``vendorBasedBookkeeping``. ``legacy_status`` is the legacy
    API's own status track: set by a legacy PUT, cleared whenever the v3 flow touches the entry.
    """

    id: str
    company_id: str
    seq: int
    item: JsonObject
    vendor: JsonObject | None
    bookkeeping_method: str
    job_id: str | None = None
    legacy_status: str | None = None

    def export_item(self, *, vendor_based_bookkeeping: bool) -> JsonObject:
        """The ``ExportItemV3`` body as a job with or without vendor bookkeeping shows it."""
        if not vendor_based_bookkeeping:
            return self.item
        body = dict(self.item)
        body["bookkeeping"] = {"method": self.bookkeeping_method}
        if self.vendor is not None:
            body["vendor"] = self.vendor
        return body


@dataclass(slots=True)
class JobItem:
    """An export job item (the control layer's tracking record of one entry in one job)."""

    accounting_entry_id: str
    export_job_id: str
    seq: int
    status: str = "pending"
    exported_at: datetime | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None

    def to_json(self) -> JsonObject:
        """Render as ``ExportJobItemV3``."""
        body: JsonObject = {
            "accountingEntryId": self.accounting_entry_id,
            "exportJobId": self.export_job_id,
            "status": self.status,
            "exportedAt": format_timestamp(self.exported_at) if self.exported_at else None,
            "externalId": self.external_id,
            "externalUrl": self.external_url,
            "failureReason": self.failure_reason,
        }
        # the spec types failureReasonType as a non-nullable string: omit it rather than send null
        if self.failure_reason_type is not None:
            body["failureReasonType"] = self.failure_reason_type
        return body


@dataclass(slots=True)
class Job:
    """An export job and its items, in the order they were added."""

    id: str
    company_id: str
    seq: int
    created_at: datetime
    created_by: str | None
    is_interactive: bool
    vendor_based_bookkeeping: bool
    status: str = "pending"
    started_at: datetime | None = None
    last_updated_at: datetime | None = None
    completed_at: datetime | None = None
    expired_at: datetime | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None
    items: dict[str, JobItem] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        """Pending or in progress: the states Pleo lets an integration act on."""
        return self.status in RUNNING_JOB_STATUSES

    def last_action_at(self) -> datetime:
        """When the expiry hour starts counting: the last update, or creation."""
        return self.last_updated_at or self.created_at

    def expires_in(self, now: datetime, expiry_seconds: int) -> int:
        """Seconds left before expiry; 0 once the job is finished."""
        if not self.running:
            return 0
        left = expiry_seconds - (now - self.last_action_at()).total_seconds()
        return max(0, int(left))

    def to_json(self, now: datetime, expiry_seconds: int) -> JsonObject:
        """Render as ``ExportJobV3``."""
        body: JsonObject = {
            "id": self.id,
            "companyId": self.company_id,
            "status": self.status,
            "createdAt": format_timestamp(self.created_at),
            "createdBy": self.created_by,
            "startedAt": _ts(self.started_at),
            "lastUpdatedAt": _ts(self.last_updated_at),
            "completedAt": _ts(self.completed_at),
            "expiredAt": _ts(self.expired_at),
            "expiresIn": self.expires_in(now, expiry_seconds),
            "failureReason": self.failure_reason,
            "isInteractive": self.is_interactive,
            "numberOfItems": len(self.items),
            "vendorBasedBookkeeping": self.vendor_based_bookkeeping,
        }
        if self.failure_reason_type is not None:
            body["failureReasonType"] = self.failure_reason_type
        return body


def _ts(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None

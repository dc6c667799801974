"""The ledger: every export-job event, item status update and legacy status change received.

Entries are appended in arrival order with a sequence number and the sandbox clock's time, so a
checker can replay a run ("each item exactly one terminal status, ``completed`` posted once").
Rejected requests are recorded too, with the error type they got. Unauthenticated requests are
not recorded (there is no credential to attribute them to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapter.sandbox.clock import format_timestamp

__all__ = ["Ledger", "LedgerEntry"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One recorded action.

    ``kind`` is one of ``job_event`` (``POST /v3/export-job-events``), ``item_update`` (one
    element of ``PUT /v3/export-jobs/{id}/items``), ``legacy_update`` (one expense of a legacy
    PUT), ``job_expired`` (the sandbox expired a job) or ``job_created`` (admin created a job).
    """

    seq: int
    at: datetime
    kind: str
    company_id: str | None
    job_id: str | None
    outcome: str
    error_type: str | None = None
    http_status: int | None = None
    event: str | None = None
    job_status_before: str | None = None
    job_status_after: str | None = None
    accounting_entry_id: str | None = None
    requested_status: str | None = None
    previous_status: str | None = None
    resulting_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The admin endpoint's JSON view."""
        return {
            "seq": self.seq,
            "at": format_timestamp(self.at),
            "kind": self.kind,
            "companyId": self.company_id,
            "jobId": self.job_id,
            "outcome": self.outcome,
            "errorType": self.error_type,
            "httpStatus": self.http_status,
            "event": self.event,
            "jobStatusBefore": self.job_status_before,
            "jobStatusAfter": self.job_status_after,
            "accountingEntryId": self.accounting_entry_id,
            "requestedStatus": self.requested_status,
            "previousStatus": self.previous_status,
            "resultingStatus": self.resulting_status,
        }


class Ledger:
    """Append-only list of :class:`LedgerEntry`."""

    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []

    def record(self, at: datetime, kind: str, **fields: Any) -> LedgerEntry:
        """Append an entry with the next sequence number."""
        entry = LedgerEntry(seq=len(self._entries) + 1, at=at, kind=kind, **fields)
        self._entries.append(entry)
        return entry

    def entries(self, company_id: str | None = None) -> list[LedgerEntry]:
        """All entries in order, optionally only those of one company."""
        if company_id is None:
            return list(self._entries)
        return [entry for entry in self._entries if entry.company_id == company_id]

"""The sandbox's world and its rules: seeded data, the job/item state machine, expiry, ledger.

Every method is synchronous, so on one event loop each check-then-act runs without interleaving.
Expiry is evaluated lazily at the start of every public method.

Rules (pleo-api.md §2.6, §2.7, §2.10), with the sandbox's strict choices where Pleo is silent:

Job events (``POST /v3/export-job-events``):
- ``started``: ``pending`` -> ``in_progress`` (sets ``startedAt``). ``started`` on an
  ``in_progress`` job is a 422 (not idempotent).
- ``completed``: ``in_progress`` -> ``completed``, only if every item is ``successful``.
- ``completed_with_errors``: ``in_progress`` -> ``completed_with_errors``, only if every item is
  terminal (``successful``/``failed``/``abandoned``).
- ``failed``: ``pending`` or ``in_progress`` -> ``failed``; items not yet terminal become
  ``abandoned``.
- Anything else: 422 ``INVALID_EXPORT_JOB_STATUS_CHANGE`` "Export Job status change failed".
- ``completedAt`` is set for ``completed``/``completed_with_errors`` (not for ``failed``);
  ``failureReason``/``failureReasonType`` are kept for ``failed`` and ``completed_with_errors``.

Item updates (``PUT /v3/export-jobs/{id}/items``):
- more than 100 elements: 413 ``EXPORT_JOB_ITEMS_UPDATE_LIMIT``; a finished job: 422
  ``EXPORT_JOB_STATUS_UNPROCESSABLE`` "Export job is finished."; a ``pending`` job (not claimed
  with ``started``): 422 ``EXPORT_JOB_STATUS_UNPROCESSABLE`` "Export job has not been started."
- per element, as ``errors[]`` in a 200: an entry that is not in this job ->
  ``ACCOUNTING_ENTRY_DOES_NOT_EXIST``; a terminal item asked for a different status, an
  ``in_progress`` item asked back to ``pending``, or any item asked to ``abandoned`` (which only
  Pleo sets) -> ``EXPORT_ENTRY_STATUS_UPDATE_FAILED``. Repeating an item's current status is
  accepted; a repeat on a terminal item changes nothing (the first ``exportedAt`` etc. stay).
- ``lastUpdatedAt`` moves on every accepted event and every item PUT answered 200; GETs never
  move it.

Expiry: a ``pending``/``in_progress`` job whose ``lastUpdatedAt`` (or ``createdAt`` if never
updated) is more than ``expiry_seconds`` (3600) old becomes ``failed`` with
``failureReasonType`` ``job_expired``, ``expiredAt`` = that deadline, and its non-terminal items
``abandoned``. ``lastUpdatedAt`` is left as it was.

Legacy status of an entry: a legacy PUT sets the entry's own legacy status; any v3 change to
the entry's item (update, abandonment, being put in a new job) clears it, so the latest writer
wins. Without a legacy status it is derived: in no job -> ``QUEUED``; item ``pending`` ->
``QUEUED``, ``in_progress`` -> ``EXPORTING``, ``successful`` -> ``EXPORTED``, ``failed`` /
``abandoned`` -> ``NOT_EXPORTED``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapter.sandbox.auth import CredentialIndex
from adapter.sandbox.clock import SandboxClock
from adapter.sandbox.companies import build_companies
from adapter.sandbox.config import SandboxConfig
from adapter.sandbox.dataset import EntryFactory
from adapter.sandbox.errors import ApiError
from adapter.sandbox.ids import random_uuid
from adapter.sandbox.ledger import Ledger
from adapter.sandbox.legacy_directory import LegacyDirectory
from adapter.sandbox.models import (
    TERMINAL_ITEM_STATUSES,
    Company,
    Entry,
    Job,
    JobItem,
)
from adapter.sandbox.payloads import ItemUpdate, JobEvent

__all__ = ["LEGACY_STATUSES", "MAX_ITEMS_PER_UPDATE", "ItemUpdateError", "SandboxState"]

MAX_ITEMS_PER_UPDATE = 100
LEGACY_STATUSES = ("NOT_EXPORTED", "QUEUED", "EXPORTING", "EXPORTED")
_LEGACY_OF_ITEM = {
    "pending": "QUEUED",
    "in_progress": "EXPORTING",
    "successful": "EXPORTED",
    "failed": "NOT_EXPORTED",
    "abandoned": "NOT_EXPORTED",
}
_STATUS_CHANGE_FAILED = "Export Job status change failed"


@dataclass(frozen=True, slots=True)
class ItemUpdateError:
    """One ``ExportJobItemUpdateErrorV3``."""

    accounting_entry_id: str
    type: str
    message: str


def not_found() -> ApiError:
    """Pleo's 404 for an unknown job; also used for another company's job."""
    return ApiError(404, "EXPORT_NOT_FOUND", "Export job not found.")


class SandboxState:
    """All companies, entries, jobs, the clock and the ledger of one sandbox."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock(
            config.start_time, follows_real_time=config.clock_follows_real_time
        )
        self.ledger = Ledger()
        self._rng = random.Random(config.seed)
        start = self.clock.now()
        self.companies: dict[str, Company] = {
            company.id: company for company in build_companies(self._rng, config.companies)
        }
        self.credentials = CredentialIndex(list(self.companies.values()))
        self.directory = LegacyDirectory.seed(self.companies.values(), start)
        self.entries: dict[str, Entry] = {}
        self.entries_by_company: dict[str, list[Entry]] = {cid: [] for cid in self.companies}
        self.jobs: dict[str, Job] = {}
        self.jobs_by_company: dict[str, list[Job]] = {cid: [] for cid in self.companies}
        self._running: dict[str, Job] = {}
        self._job_seq = 0
        self._item_seq = 0
        self._last_created_at: datetime | None = None
        self._factory = EntryFactory(self._rng, start)
        self._seed_jobs(start)

    def _record(
        self,
        now: datetime,
        kind: str,
        company_id: str,
        job_id: str | None,
        *,
        error: ApiError | ItemUpdateError | None = None,
        http_status: int | None = None,
        **fields: Any,
    ) -> None:
        """Ledger one action: ``rejected`` with the error's type when ``error`` is set, else
        ``accepted``. An ``ApiError`` also sets the HTTP status; an ``ItemUpdateError`` travels
        in a 200, so ``http_status`` stays as given."""
        error_type = None
        if isinstance(error, ApiError):
            error_type, http_status = error.error_type, error.status
        elif error is not None:
            error_type = error.type
        self.ledger.record(
            now,
            kind,
            company_id=company_id,
            job_id=job_id,
            outcome="rejected" if error is not None else "accepted",
            error_type=error_type,
            http_status=http_status,
            **fields,
        )

    # ----------------------------------------------------------------- seeding and admin

    def _seed_jobs(self, start: datetime) -> None:
        config = self.config
        total = config.companies * config.jobs_per_company
        spacing = max(1, min(30, 3000 // max(1, total)))
        first_created = start - timedelta(seconds=spacing * (total + 1))
        companies = list(self.companies.values())
        for job_index in range(config.jobs_per_company):
            for company in companies:
                entries = self._add_entries(company, config.items_per_job)
                self._new_job(
                    company,
                    entries,
                    created_at=first_created + timedelta(seconds=spacing * (self._job_seq + 1)),
                    vendor_based_bookkeeping=job_index % 2 == 1,
                    is_interactive=job_index % 3 != 2,
                )
        for company in companies:
            self._add_entries(company, config.queued_per_company)

    def _add_entries(self, company: Company, count: int) -> list[Entry]:
        entries = self._factory.make(company, count)
        for entry in entries:
            self.entries[entry.id] = entry
            self.entries_by_company[company.id].append(entry)
        self.directory.note_entries(company.id, entries)
        return entries

    def _new_job(
        self,
        company: Company,
        entries: list[Entry],
        *,
        created_at: datetime,
        vendor_based_bookkeeping: bool,
        is_interactive: bool,
    ) -> Job:
        if self._last_created_at is not None and created_at <= self._last_created_at:
            created_at = self._last_created_at + timedelta(seconds=1)
        self._last_created_at = created_at
        self._job_seq += 1
        job = Job(
            id=random_uuid(self._rng),
            company_id=company.id,
            seq=self._job_seq,
            created_at=created_at,
            created_by=company.users[self._job_seq % len(company.users)]["id"]
            if is_interactive
            else None,
            is_interactive=is_interactive,
            vendor_based_bookkeeping=vendor_based_bookkeeping,
        )
        for entry in entries:
            self._item_seq += 1
            job.items[entry.id] = JobItem(
                accounting_entry_id=entry.id, export_job_id=job.id, seq=self._item_seq
            )
            entry.job_id = job.id
            entry.legacy_status = None
        self.jobs[job.id] = job
        self.jobs_by_company[company.id].append(job)
        self._running[job.id] = job
        return job

    def company(self, company_id: str) -> Company:
        """A company by id, or 404 (admin endpoints)."""
        company = self.companies.get(company_id)
        if company is None:
            raise ApiError(404, "COMPANY_NOT_FOUND", "Company not found.")
        return company

    def create_job_from_queue(
        self,
        company_id: str,
        *,
        count: int | None = None,
        vendor_based_bookkeeping: bool = False,
        is_interactive: bool = True,
    ) -> Job:
        """What a user's Export click does: a pending job of the queued entries in no job yet."""
        self.expire_due()
        company = self.company(company_id)
        queued = [entry for entry in self.entries_by_company[company.id] if entry.job_id is None]
        if count is not None:
            queued = queued[:count]
        if not queued:
            raise ApiError(409, "NO_QUEUED_ENTRIES", "No queued entries to export.")
        now = self.clock.now()
        job = self._new_job(
            company,
            queued,
            created_at=now.replace(microsecond=0),
            vendor_based_bookkeeping=vendor_based_bookkeeping,
            is_interactive=is_interactive,
        )
        self._record(now, "job_created", job.company_id, job.id, job_status_after=job.status)
        return job

    def add_queued_entries(self, company_id: str, count: int) -> list[Entry]:
        """Seed ``count`` more queued entries for a company (for big runs)."""
        return self._add_entries(self.company(company_id), count)

    # ----------------------------------------------------------------- expiry

    def now(self) -> datetime:
        """The sandbox clock."""
        return self.clock.now()

    def expire_due(self) -> None:
        """Fail every running job whose hour since its last action is over."""
        now = self.clock.now()
        limit = timedelta(seconds=self.config.expiry_seconds)
        for job in list(self._running.values()):
            deadline = job.last_action_at() + limit
            if now > deadline:
                before = job.status
                job.status = "failed"
                job.failure_reason_type = "job_expired"
                job.failure_reason = "Job not updated within expiry time limit."
                job.expired_at = deadline
                del self._running[job.id]
                self._record(
                    now,
                    "job_expired",
                    job.company_id,
                    job.id,
                    job_status_before=before,
                    job_status_after=job.status,
                )
                self._abandon_open_items(job, now)

    def _abandon_open_items(self, job: Job, now: datetime) -> None:
        for item in job.items.values():
            if item.status not in TERMINAL_ITEM_STATUSES:
                previous = item.status
                item.status = "abandoned"
                self.entries[item.accounting_entry_id].legacy_status = None
                self._record(
                    now,
                    "item_abandoned",
                    job.company_id,
                    job.id,
                    accounting_entry_id=item.accounting_entry_id,
                    previous_status=previous,
                    resulting_status="abandoned",
                )

    # ----------------------------------------------------------------- v3 reads

    def visible_job(self, company: Company, job_id: str) -> Job:
        """The caller's job, or 404 for an unknown job and for another company's job alike."""
        self.expire_due()
        job = self.jobs.get(job_id)
        if job is None or job.company_id != company.id:
            raise not_found()
        return job

    def list_jobs(self, company: Company, statuses: set[str] | None) -> list[Job]:
        """The company's jobs, oldest ``createdAt`` first, optionally filtered by status."""
        self.expire_due()
        jobs = self.jobs_by_company[company.id]
        if statuses:
            return [job for job in jobs if job.status in statuses]
        return list(jobs)

    def export_item_rows(
        self, company: Company, job_id: str | None
    ) -> list[tuple[int, Entry, Job]]:
        """``(position, entry, job)`` for ``GET /v3/export-items``: running jobs only."""
        self.expire_due()
        if job_id is not None:
            job = self.visible_job(company, job_id)
            if not job.running:
                raise ApiError(
                    422,
                    "EXPORT_JOB_STATUS_UNPROCESSABLE",
                    "Export Job is finished and can no longer be processed.",
                )
            jobs = [job]
        else:
            jobs = [job for job in self.jobs_by_company[company.id] if job.running]
        return [
            (item.seq, self.entries[item.accounting_entry_id], job)
            for job in jobs
            for item in job.items.values()
        ]

    # ----------------------------------------------------------------- v3 writes

    def update_items(
        self, company: Company, job_id: str, updates: list[ItemUpdate]
    ) -> tuple[list[JobItem], list[ItemUpdateError]]:
        """Apply ``PUT /v3/export-jobs/{id}/items``; raises for whole-request rejections."""
        job = self.visible_job(company, job_id)
        now = self.clock.now()
        rejection: ApiError | None = None
        if len(updates) > MAX_ITEMS_PER_UPDATE:
            rejection = ApiError(
                413,
                "EXPORT_JOB_ITEMS_UPDATE_LIMIT",
                "Number of items to update is more than 100.",
            )
        elif not job.running:
            rejection = ApiError(422, "EXPORT_JOB_STATUS_UNPROCESSABLE", "Export job is finished.")
        elif job.status == "pending":
            rejection = ApiError(
                422, "EXPORT_JOB_STATUS_UNPROCESSABLE", "Export job has not been started."
            )
        if rejection is not None:
            for update in updates:
                self._record_item(now, company, job, update, None, None, rejection)
            raise rejection

        data: list[JobItem] = []
        errors: list[ItemUpdateError] = []
        for update in updates:
            item = job.items.get(update.accounting_entry_id)
            if item is None:
                error = ItemUpdateError(
                    update.accounting_entry_id,
                    "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
                    "Accounting entry does not exist in this export job.",
                )
                errors.append(error)
                self._record_item(now, company, job, update, None, None, error)
                continue
            previous = item.status
            refusal = _refuse_item_change(previous, update.status)
            if refusal is not None:
                error = ItemUpdateError(
                    update.accounting_entry_id, "EXPORT_ENTRY_STATUS_UPDATE_FAILED", refusal
                )
                errors.append(error)
                self._record_item(now, company, job, update, previous, previous, error)
                continue
            if previous not in TERMINAL_ITEM_STATUSES:
                _apply(item, update)
                self.entries[item.accounting_entry_id].legacy_status = None
            data.append(item)
            self._record_item(now, company, job, update, previous, item.status, None)
        job.last_updated_at = now
        return data, errors

    def _record_item(
        self,
        now: datetime,
        company: Company,
        job: Job,
        update: ItemUpdate,
        previous: str | None,
        resulting: str | None,
        error: ApiError | ItemUpdateError | None,
    ) -> None:
        self._record(
            now,
            "item_update",
            company.id,
            job.id,
            error=error,
            http_status=200,
            accounting_entry_id=update.accounting_entry_id,
            requested_status=update.status,
            previous_status=previous,
            resulting_status=resulting,
        )

    def record_rejected_item_request(self, company: Company, job_id: str, error: ApiError) -> None:
        """Ledger a whole item PUT that was refused before any element was read (404/400)."""
        self._record(self.clock.now(), "item_update", company.id, job_id, error=error)

    def apply_event(self, company: Company, event: JobEvent) -> Job:
        """Apply ``POST /v3/export-job-events``; 404 or 422 when not allowed."""
        now = self.clock.now()
        try:
            job = self.visible_job(company, event.job_id)
        except ApiError as error:
            self._record_event(now, company, event, None, None, None, error)
            raise
        before = job.status
        items = job.items.values()
        allowed = (
            (event.event == "started" and before == "pending")
            or (
                event.event == "completed"
                and before == "in_progress"
                and all(item.status == "successful" for item in items)
            )
            or (
                event.event == "completed_with_errors"
                and before == "in_progress"
                and all(item.status in TERMINAL_ITEM_STATUSES for item in items)
            )
            or (event.event == "failed" and job.running)
        )
        if not allowed:
            refused = ApiError(422, "INVALID_EXPORT_JOB_STATUS_CHANGE", _STATUS_CHANGE_FAILED)
            self._record_event(now, company, event, job, before, before, refused)
            raise refused
        if event.event == "started":
            job.status = "in_progress"
            job.started_at = now
        else:
            job.status = event.event
            self._running.pop(job.id, None)
            if event.event != "failed":
                job.completed_at = now
            if event.event in ("failed", "completed_with_errors"):
                job.failure_reason = event.failure_reason
                job.failure_reason_type = event.failure_reason_type
        job.last_updated_at = now
        self._record_event(now, company, event, job, before, job.status, None)
        if event.event == "failed":
            self._abandon_open_items(job, now)
        return job

    def _record_event(
        self,
        now: datetime,
        company: Company,
        event: JobEvent,
        job: Job | None,
        before: str | None,
        after: str | None,
        error: ApiError | None,
    ) -> None:
        self._record(
            now,
            "job_event",
            company.id,
            event.job_id,
            error=error,
            http_status=202,
            event=event.event,
            job_status_before=before if job is not None else None,
            job_status_after=after if job is not None else None,
        )

    # ----------------------------------------------------------------- legacy

    def vendor_exposed(self, entry: Entry) -> bool:
        """Whether the Export API shows the entry's vendor: its job has vendor bookkeeping."""
        job = self.jobs.get(entry.job_id) if entry.job_id is not None else None
        return job is not None and job.vendor_based_bookkeeping

    def legacy_status(self, entry: Entry) -> str:
        """The legacy ``status`` of an entry (see the module docstring)."""
        if entry.legacy_status is not None:
            return entry.legacy_status
        if entry.job_id is None:
            return "QUEUED"
        item = self.jobs[entry.job_id].items[entry.id]
        return _LEGACY_OF_ITEM[item.status]

    def legacy_entries(self, company: Company) -> list[Entry]:
        """Every entry of the company, for the legacy API."""
        self.expire_due()
        return self.entries_by_company[company.id]

    def legacy_entry(self, company: Company, entry_id: str) -> Entry:
        """One of the company's entries, or the legacy 404."""
        self.expire_due()
        entry = self.entries.get(entry_id)
        if entry is None or entry.company_id != company.id:
            raise ApiError(404, "NOT_FOUND", "Expense not found.")
        return entry

    def legacy_update(self, company: Company, changes: list[tuple[str, str]]) -> list[Entry]:
        """Set legacy statuses; all ids must be the company's, else 404 and nothing changes."""
        self.expire_due()
        now = self.clock.now()
        entries = []
        for entry_id, _status in changes:
            try:
                entries.append(self.legacy_entry(company, entry_id))
            except ApiError as error:
                self._record(
                    now,
                    "legacy_update",
                    company.id,
                    None,
                    error=error,
                    accounting_entry_id=entry_id,
                )
                raise
        for entry, (_entry_id, status) in zip(entries, changes, strict=True):
            previous = self.legacy_status(entry)
            entry.legacy_status = status
            self._record(
                now,
                "legacy_update",
                company.id,
                entry.job_id,
                http_status=200,
                accounting_entry_id=entry.id,
                requested_status=status,
                previous_status=previous,
                resulting_status=status,
            )
        return entries


def _refuse_item_change(current: str, requested: str) -> str | None:
    if requested == current:
        return None
    if current in TERMINAL_ITEM_STATUSES:
        return f"Export entry status update failed: the item is already {current}."
    if requested == "abandoned":
        return "Export entry status update failed: only Pleo abandons items."
    if requested == "pending":
        return "Export entry status update failed: an item cannot go back to pending."
    return None


def _apply(item: JobItem, update: ItemUpdate) -> None:
    item.status = update.status
    if update.exported_at is not None:
        item.exported_at = update.exported_at
    if update.external_id is not None:
        item.external_id = update.external_id
    if update.external_url is not None:
        item.external_url = update.external_url
    if update.failure_reason is not None:
        item.failure_reason = update.failure_reason
    if update.failure_reason_type is not None:
        item.failure_reason_type = update.failure_reason_type

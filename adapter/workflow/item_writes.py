"""Planning legacy status changes and writing them through to Pleo's job items.

Planning checks the whole request against the company's view before anything is sent: an
unknown id is a 404, a change the item's state forbids a 409, an id of a job that expired or
was failed an :class:`~adapter.errors.ExportJobGone`. Writing sends the updates (the export
client batches them by 100) and takes Pleo's answer as the truth: per-item ``errors[]`` and a
refusal of the whole write (job finished, job unknown) make the workflow re-read the job once
and act on that.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from adapter.errors import (
    Conflict,
    ItemUpdateIncomplete,
    NotFound,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRejected,
)
from adapter.export.client import ExportClient
from adapter.export.models import (
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
    ItemUpdateOutcome,
    UpdateExportJobItemV3,
)
from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.mapping import MappingTable, plan_item_update
from adapter.tenancy import Tenant
from adapter.workflow.cache import CompanyView
from adapter.workflow.config import ItemFailure
from adapter.workflow.records import FINISHED_JOB_STATUSES, ItemCodes, JobRecord
from adapter.workflow.reporting import WorkflowReport
from adapter.workflow.rereads import EXPORT_NOT_FOUND, JobRereads, is_upstream_type, job_gone

__all__ = ["ItemWrites", "WritePlan", "plan_changes", "unknown_ids"]

logger = logging.getLogger("adapter.workflow")

_JOB_FINISHED = "EXPORT_JOB_STATUS_UNPROCESSABLE"
_IDLE_REASON = "Not processed by the legacy integration within {seconds} seconds."
_ITEM_MESSAGES = {
    # Pleo's own text for these types is known to be swapped; say what the type means.
    "ACCOUNTING_ENTRY_DOES_NOT_EXIST": "Pleo does not know this expense in the export job.",
    "EXPORT_ENTRY_STATUS_UPDATE_FAILED": "Pleo refused the status change for this expense.",
    "ACCOUNTING_ENTRY_UPDATE_FAILED": "Pleo could not update this expense.",
}


@dataclass(slots=True)
class WritePlan:
    """What one legacy PUT needs: the ids to answer, in request order, and the item updates
    for the company's current job (empty when every change is a no-op)."""

    requested: list[str] = field(default_factory=list)
    updates: list[UpdateExportJobItemV3] = field(default_factory=list)


def unknown_ids(view: CompanyView | None, changes: Sequence[StatusChange]) -> list[str]:
    """Ids of ``changes`` the view holds in neither its current nor its departed job."""
    if view is None:
        return [c.expense_id for c in changes]
    job, departed = view.job, view.departed
    return [
        c.expense_id
        for c in changes
        if not (job is not None and c.expense_id in job.ids)
        and not (departed is not None and c.expense_id in departed.ids)
    ]


def plan_changes(
    view: CompanyView | None,
    changes: Sequence[StatusChange],
    *,
    table: MappingTable,
    now: datetime,
) -> WritePlan:
    """Check every change and plan the item updates; raise before anything is sent."""
    missing = unknown_ids(view, changes)
    if missing:
        msg = f"Expense {missing[0]} not found."
        raise NotFound(msg, error_type="EXPENSE_NOT_FOUND")
    assert view is not None  # noqa: S101 - no unknown ids means there is a view
    plan = WritePlan()
    requested: dict[str, LegacyStatus] = {}
    for change in changes:
        previous = requested.get(change.expense_id)
        if previous is not None:
            if previous != change.status:
                msg = f"Expense {change.expense_id} is listed twice with different statuses."
                raise Conflict(msg, error_type="CONFLICTING_STATUSES")
            continue
        requested[change.expense_id] = change.status
        plan.requested.append(change.expense_id)
        job = view.job
        if job is not None and change.expense_id in job.ids:
            current = job.item_status(job.ids.position(change.expense_id))
        else:
            departed = view.departed
            assert departed is not None  # noqa: S101 - known ids are in one of the two
            if not departed.completed:
                raise job_gone(departed.job_id, None)
            current = departed.item_status(departed.ids.position(change.expense_id))
        update = plan_item_update(
            table,
            current,
            change.status,
            accounting_entry_id=change.expense_id,
            now=now,
            extras=change.extras,
        )
        if update is not None:
            # A departed job's items are all final, so only the current job gets here.
            plan.updates.append(update)
    return plan


class ItemWrites:
    def __init__(
        self,
        client: ExportClient,
        rereads: JobRereads,
        codes: ItemCodes,
        report: WorkflowReport,
    ) -> None:
        self._client = client
        self._rereads = rereads
        self._codes = codes
        self._report = report

    async def write(
        self,
        tenant: Tenant,
        company_id: str,
        record: JobRecord,
        updates: Sequence[UpdateExportJobItemV3],
    ) -> list[ItemFailure]:
        """Send ``updates`` for a claimed job; per-item refusals come back as failures."""
        sent = [(u.accounting_entry_id, u.status.value) for u in updates]
        try:
            outcome = await self._client.update_job_items(tenant.credential, record.job_id, updates)
        except ItemUpdateIncomplete as exc:
            # Keep what Pleo did apply before the failing batch; the client may retry the rest.
            applied = cast(ItemUpdateOutcome, exc.outcome)
            self._apply(record, applied)
            self._report.items_sent(
                company_id,
                record.job_id,
                sent,
                refused=applied.failed_ids,
                not_applied=exc.not_applied,
                error=exc.error_type,
            )
            await self._after_refusal(tenant, record, exc.cause)
            raise
        except UpstreamError as exc:
            self._report.items_sent(
                company_id,
                record.job_id,
                sent,
                not_applied=[entry for entry, _ in sent],
                error=exc.error_type,
            )
            await self._after_refusal(tenant, record, exc)
            raise
        self._apply(record, outcome)
        self._report.items_sent(company_id, record.job_id, sent, refused=outcome.failed_ids)
        if not outcome.errors:
            return []
        # Pleo's view differs from the proxy's: read the job and its items once, then answer.
        await self._rereads.job_or_gone(tenant, record)
        await self._rereads.items(tenant, record)
        return [
            ItemFailure(
                e.accounting_entry_id,
                e.type,
                _ITEM_MESSAGES.get(e.type.upper(), "Pleo did not apply the status change."),
            )
            for e in outcome.errors
        ]

    async def fail_open_items(
        self, tenant: Tenant, company_id: str, record: JobRecord, *, idle_seconds: int
    ) -> list[ItemFailure]:
        """The idle policy: every item the legacy client left open becomes ``failed``."""
        reason = _IDLE_REASON.format(seconds=idle_seconds)
        updates = [
            UpdateExportJobItemV3(
                accounting_entry_id=record.ids[position],
                status=ExportJobItemStatus.FAILED,
                failure_reason=reason,
                failure_reason_type=ExportJobItemFailureReasonType.UNEXPECTED_FAILURE,
            )
            for position in record.open_positions()
        ]
        self._report.idle(company_id, record.job_id, len(updates), idle_seconds)
        return await self.write(tenant, company_id, record, updates)

    def _apply(self, record: JobRecord, outcome: ItemUpdateOutcome) -> None:
        for item in outcome.items:
            position = record.ids.get(item.accounting_entry_id)
            if position is not None and item.status is not None:
                record.set_status(position, item.status, self._codes)

    async def _after_refusal(self, tenant: Tenant, record: JobRecord, error: UpstreamError) -> None:
        """After a failed write: raise ExportJobGone if the job ended, else mark the record's
        control layer for a re-read (the write may or may not have landed)."""
        if isinstance(error, UpstreamAuthError):
            return
        record.control_suspect = True
        if isinstance(error, UpstreamRejected) and is_upstream_type(
            error, _JOB_FINISHED, EXPORT_NOT_FOUND
        ):
            try:
                job = await self._rereads.job(tenant, record.job_id)
            except UpstreamError:
                return  # the original refusal is what the client hears
            if job is None or job.status in FINISHED_JOB_STATUSES:
                raise job_gone(record.job_id, job) from error
            record.status = job.status

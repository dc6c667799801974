"""Claiming a job (``started``) and closing it (``completed`` / ``completed_with_errors``).

``POST /v3/export-job-events`` is not idempotent (reliability.md §1.3, pleo-api.md §6.4), so
the rule here is "never re-post, re-read": when Pleo refuses an event or its answer is lost or
late, the job is read once and the workflow acts on its status. ``started`` is sent again only
after Pleo has said the job is still ``pending``; nothing is ever sent for a job known to be
finished.
"""

from __future__ import annotations

import logging

from adapter.errors import (
    ExportJobGone,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
)
from adapter.export.client import ExportClient
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobStatus,
    ExportJobV3,
)
from adapter.tenancy import Tenant
from adapter.workflow.records import FINISHED_JOB_STATUSES, JobRecord
from adapter.workflow.reporting import WorkflowReport
from adapter.workflow.rereads import EXPORT_NOT_FOUND, JobRereads, is_upstream_type

__all__ = ["STATUS_CHANGE_REFUSED", "JobEvents"]

logger = logging.getLogger("adapter.workflow")

STATUS_CHANGE_REFUSED = "INVALID_EXPORT_JOB_STATUS_CHANGE"
_IN_PROGRESS = ExportJobStatus.IN_PROGRESS.value


class JobEvents:
    def __init__(self, client: ExportClient, rereads: JobRereads, report: WorkflowReport) -> None:
        self._client = client
        self._rereads = rereads
        self._report = report

    async def claim(self, tenant: Tenant, company_id: str, record: JobRecord) -> None:
        """Make sure the job is ``in_progress`` before an item write.

        Raises :class:`~adapter.errors.ExportJobGone` if Pleo says the job ended, and
        :class:`~adapter.errors.UpstreamUnavailable` if Pleo cannot confirm the claim (nothing
        was written; the client retries).
        """
        if record.claimed:
            return
        if record.claim_unconfirmed:
            job = await self._reread_claim(tenant, company_id, record)
            if job.status == _IN_PROGRESS:
                self._claimed(company_id, record, confirmed_by_read=True)
                return
        event = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=record.job_id)
        try:
            await self._client.post_job_event(tenant.credential, event)
        except UpstreamAuthError:
            raise
        except UpstreamError as exc:
            if isinstance(exc, UpstreamRejected) and not is_upstream_type(
                exc, STATUS_CHANGE_REFUSED, EXPORT_NOT_FOUND
            ):
                raise
            record.claim_unconfirmed = True
            job = await self._reread_claim(tenant, company_id, record)
            if job.status != _IN_PROGRESS:
                self._report.event_refused(company_id, record.job_id, "started", job.status)
                msg = (
                    f"Pleo did not confirm that export job {record.job_id} was claimed; "
                    "nothing was written. Retry the request."
                )
                raise UpstreamUnavailable(
                    msg, error_type="CLAIM_UNCONFIRMED", headers={"Retry-After": "2"}
                ) from exc
            self._claimed(company_id, record, confirmed_by_read=True)
            return
        self._claimed(company_id, record)

    async def _reread_claim(
        self, tenant: Tenant, company_id: str, record: JobRecord
    ) -> ExportJobV3:
        try:
            return await self._rereads.job_or_gone(tenant, record)
        except ExportJobGone as gone:
            self._report.event_refused(company_id, record.job_id, "started", gone.job_status)
            raise

    def _claimed(
        self, company_id: str, record: JobRecord, *, confirmed_by_read: bool = False
    ) -> None:
        record.status = _IN_PROGRESS
        record.claim_unconfirmed = False
        confirmed = _IN_PROGRESS if confirmed_by_read else None
        self._report.job_claimed(company_id, record.job_id, confirmed_by_read=confirmed)

    async def close(self, tenant: Tenant, company_id: str, record: JobRecord) -> bool:
        """Close a claimed job whose items are all final; True once Pleo has it finished.

        False leaves ``record.close_pending`` set: the scheduled work retries promptly, and
        re-reads the job before sending anything again.
        """
        if record.finished:
            return True
        if not record.claimed or not record.all_final:
            return False
        if record.close_pending and await self._found_finished(tenant, company_id, record):
            return True
        kind = (
            ExportJobEventType.COMPLETED
            if record.all_successful
            else ExportJobEventType.COMPLETED_WITH_ERRORS
        )
        try:
            await self._client.post_job_event(
                tenant.credential, CreateExportJobEvent(event=kind, job_id=record.job_id)
            )
        except UpstreamError as exc:
            record.close_pending = True
            logger.warning(
                "closing export job %s failed (%s); re-reading it", record.job_id, exc.error_type
            )
            if isinstance(exc, UpstreamAuthError):
                return False
            found = await self._found_finished(tenant, company_id, record)
            if not found and is_upstream_type(exc, STATUS_CHANGE_REFUSED):
                # Pleo's items disagree with the proxy's: take Pleo's before trying again.
                record.control_suspect = True
            return found
        record.close_pending = False
        record.status = kind.value
        self._report.job_closed(company_id, record.job_id, kind.value)
        return True

    async def _found_finished(self, tenant: Tenant, company_id: str, record: JobRecord) -> bool:
        try:
            job = await self._rereads.job(tenant, record.job_id)
        except UpstreamError as exc:
            logger.warning("re-reading export job %s failed (%s)", record.job_id, exc.error_type)
            return False
        if job is not None and job.status not in FINISHED_JOB_STATUSES:
            record.status = job.status
            return False
        record.close_pending = False
        record.status = job.status if job is not None else "gone"
        self._report.job_closed(company_id, record.job_id, record.status, confirmed_by_read=True)
        return True

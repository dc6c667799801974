"""Asking Pleo what is true, once, when one of its answers contradicts the proxy's view.

Every "re-read, then act" path goes through here: a job event or an item write that Pleo
refused or left ambiguous makes the workflow read the job (and, if needed, its items) and
act on that, never on its own older copy and never by re-sending blindly.
"""

from __future__ import annotations

from adapter.errors import ExportJobGone, UpstreamError, UpstreamRejected
from adapter.export.client import ExportClient
from adapter.export.models import ExportJobStatus, ExportJobV3
from adapter.tenancy import Tenant
from adapter.workflow.records import FINISHED_JOB_STATUSES, ItemCodes, JobRecord

__all__ = ["JobRereads", "is_upstream_type", "job_gone"]

EXPORT_NOT_FOUND = "EXPORT_NOT_FOUND"
_EXPIRED = "job_expired"


def is_upstream_type(error: UpstreamError, *types: str) -> bool:
    """Whether Pleo's error ``type`` is one of ``types`` (compared case-insensitively)."""
    found = (error.upstream_type or "").upper()
    return any(found == t.upper() for t in types)


def job_gone(job_id: str, job: ExportJobV3 | None) -> ExportJobGone:
    """The legacy client's answer for expenses whose job ended without them."""
    status = "gone" if job is None else job.status
    back = (
        "Nothing was written; Pleo has put these expenses back in its export queue and they "
        "appear in GET /v1/expenses?status=QUEUED with its next export job."
    )
    if job is None or job.failure_reason_type == _EXPIRED:
        message = f"The export job {job_id} of these expenses expired in Pleo. {back}"
    elif job.status == ExportJobStatus.FAILED.value:
        message = f"The export job {job_id} of these expenses was failed in Pleo. {back}"
    else:
        message = (
            f"The export job {job_id} of these expenses was already closed in Pleo "
            f"({job.status}); nothing was written."
        )
    return ExportJobGone(message, job_id=job_id, job_status=status)


class JobRereads:
    def __init__(self, client: ExportClient, codes: ItemCodes) -> None:
        self._client = client
        self._codes = codes

    async def job(self, tenant: Tenant, job_id: str) -> ExportJobV3 | None:
        """The job as Pleo has it now; None if Pleo no longer knows it (404)."""
        try:
            return await self._client.get_job(tenant.credential, job_id)
        except UpstreamRejected as exc:
            if is_upstream_type(exc, EXPORT_NOT_FOUND) or exc.upstream_status == 404:
                return None
            raise

    async def job_or_gone(self, tenant: Tenant, record: JobRecord) -> ExportJobV3:
        """The job as Pleo has it now, or :class:`ExportJobGone` if it ended."""
        job = await self.job(tenant, record.job_id)
        if job is None or job.status in FINISHED_JOB_STATUSES:
            raise job_gone(record.job_id, job)
        record.status = job.status
        return job

    async def items(self, tenant: Tenant, record: JobRecord) -> None:
        """Take Pleo's item statuses for the whole job. Items Pleo no longer lists leave the
        view; a write that happened meanwhile wins (the record stays suspect instead)."""
        version = record.version
        items = await self._client.list_job_items(tenant.credential, record.job_id)
        if record.version != version:
            record.control_suspect = True
            return
        listed: set[int] = set()
        for item in items:
            position = record.ids.get(item.accounting_entry_id)
            if position is not None:
                record.set_status(position, item.status, self._codes)
                listed.add(position)
        for position in range(len(record.ids)):
            if position not in listed:
                record.drop_item(position)
        record.control_suspect = False

"""Reading a company's view from Pleo: discovery, loading a job, single-flight, retiring.

A refresh lists the company's eligible jobs, keeps working on the job it already holds if Pleo
still lists it, retires it at once if not (its data is released; a PUT of its ids then gets a
precise answer), and loads the next one (control and data layers, read concurrently). Concurrent
callers for one company share one refresh. In passthrough mode the first accepted answer for a
credential names its company (:mod:`companies`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from adapter.errors import MappingError, UpstreamAuthError, UpstreamError, UpstreamProtocolError
from adapter.export.client import ExportClient
from adapter.export.models import ExportJobStatus, ExportJobV3
from adapter.observability.context import company_hash
from adapter.single_flight import SingleFlight
from adapter.tenancy import Tenant
from adapter.workflow.activity import ActivityLog
from adapter.workflow.cache import CompanyView, ViewCache
from adapter.workflow.companies import CompanyDirectory
from adapter.workflow.expense_docs import EncodedExpense, ExpenseEncoder
from adapter.workflow.records import FINISHED_JOB_STATUSES, ItemCodes, JobRecord
from adapter.workflow.rereads import JobRereads

__all__ = ["CompanyViews", "select_current_job"]

logger = logging.getLogger("adapter.workflow")

_ELIGIBLE = (ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS)


def select_current_job(jobs: list[ExportJobV3]) -> ExportJobV3 | None:
    """A started job first (resume), else the oldest pending one; ties broken by id.

    Pleo: "always select the oldest eligible job. Never process jobs in parallel."
    """
    eligible = [j for j in jobs if j.status in (s.value for s in _ELIGIBLE)]
    if not eligible:
        return None
    return min(
        eligible,
        key=lambda j: (j.status != ExportJobStatus.IN_PROGRESS.value, j.created_at, j.id),
    )


class CompanyViews:
    def __init__(
        self,
        *,
        client: ExportClient,
        encoder: ExpenseEncoder,
        codes: ItemCodes,
        cache: ViewCache,
        directory: CompanyDirectory,
        rereads: JobRereads,
        activity: ActivityLog,
        clock: Callable[[], float],
    ) -> None:
        self._client = client
        self._encoder = encoder
        self._codes = codes
        self._cache = cache
        self._directory = directory
        self._rereads = rereads
        self._activity = activity
        self._clock = clock
        self._flights: SingleFlight[CompanyView | None] = SingleFlight()

    def cached(self, tenant: Tenant) -> CompanyView | None:
        company_id = self._directory.company_of(tenant)
        return None if company_id is None else self._cache.get(company_id)

    async def read(self, tenant: Tenant, *, max_age: float, background: bool) -> CompanyView | None:
        """The company's view, from cache if read from Pleo at most ``max_age`` seconds ago.

        None when the credential's company is not known and Pleo lists no job for it: there
        is nothing to show or act on, and nothing is remembered. ``background`` registers the
        credential for scheduled work once Pleo has accepted it.
        """
        company_id = self._directory.company_of(tenant)
        view = self._cache.get(company_id) if company_id is not None else None
        if (
            view is not None
            and self._clock() - view.refreshed_at < max_age
            and not (view.job is not None and view.job.control_suspect)
        ):
            return view
        key = company_id or f"credential:{tenant.credential.fingerprint}"
        try:
            return await self._flights.run(
                key, lambda: self._refresh(tenant, company_id, background=background)
            )
        except UpstreamAuthError:
            self._directory.refused(tenant)
            raise

    async def _refresh(
        self, tenant: Tenant, company_id: str | None, *, background: bool
    ) -> CompanyView | None:
        jobs = await self._client.list_jobs(
            tenant.credential, statuses=_ELIGIBLE, company_id=company_id
        )
        if company_id is None:
            companies = {job.company_id for job in jobs}
            if not companies:
                return None
            if len(companies) > 1:
                msg = "Pleo listed export jobs of several companies for one credential."
                raise UpstreamProtocolError(msg)
            company_id = companies.pop()
        self._directory.accepted(tenant, company_id, background=background)
        view = self._cache.get(company_id) or CompanyView(company_id, None, None, float("-inf"))
        if view.departed is not None:
            # The job that left the view is finished (this process closed it or saw it end);
            # a list read before that (a GET racing the closing PUT) must not bring it back.
            jobs = [job for job in jobs if job.id != view.departed.job_id]
        current = select_current_job(jobs)
        record = view.job
        if record is not None and (current is None or current.id != record.job_id):
            await self._retire(tenant, view, record)
            record = None  # let the released job go before the heap is trimmed
        if current is not None:
            if view.job is None:
                view.job = await self._load(tenant, company_id, current)
            else:
                if not (view.job.claimed and current.status == ExportJobStatus.PENDING.value):
                    # A job never goes back to pending: a list read before this process's
                    # `started` landed (a GET racing a PUT) must not undo the claim.
                    view.job.status = current.status
                if view.job.control_suspect:
                    await self._rereads.items(tenant, view.job)
        view.refreshed_at = self._clock()
        self._cache.put(view)
        return view

    async def _retire(self, tenant: Tenant, view: CompanyView, record: JobRecord) -> None:
        """Pleo no longer lists the view's job as eligible: find out why, then let it go."""
        reason = record.status if record.finished else "gone"
        if not record.finished:
            try:
                job = await self._rereads.job(tenant, record.job_id)
            except UpstreamError as exc:
                logger.warning(
                    "export job %s left the view; re-reading it failed (%s)",
                    record.job_id,
                    exc.error_type,
                )
                job = None
            if job is not None and job.status in FINISHED_JOB_STATUSES:
                reason = job.status
        logger.info(
            "export job %s of company %s left the view (%s)",
            record.job_id,
            company_hash(view.company_id),
            reason,
        )
        view.retire(reason)

    async def _load(self, tenant: Tenant, company_id: str, job: ExportJobV3) -> JobRecord:
        """Read a job's control and data layers and hold them in one record."""
        control, encoded = await asyncio.gather(
            self._item_codes(tenant, job.id), self._encoded_data(tenant, job.id)
        )
        rows = [(item_id, code, *encoded.pop(item_id, (None, None))) for item_id, code in control]
        return JobRecord.build(
            job_id=job.id,
            status=job.status,
            created_at=job.created_at,
            activity=await self._last_activity(company_id, job),
            items=rows,
            codes=self._codes,
        )

    async def _item_codes(self, tenant: Tenant, job_id: str) -> list[tuple[str, int]]:
        """The control layer page by page: each item's id and status code, no model kept past
        its page (10,000 job-item models alive at once were ~13 MB of short-lived objects
        interleaved with the job's long-lived ones)."""
        rows: list[tuple[str, int]] = []
        async for page in self._client.iter_job_items(tenant.credential, job_id):
            rows.extend((item.accounting_entry_id, self._codes.code(item.status)) for item in page)
        return rows

    async def _encoded_data(self, tenant: Tenant, job_id: str) -> dict[str, EncodedExpense]:
        """The data layer, translated page by page: only one page of models is alive at a
        time, which keeps both the peak memory and the garbage collector's work per item flat."""
        encoded: dict[str, EncodedExpense] = {}
        async for page in self._client.iter_export_items(tenant.credential, job_id):
            for item in page:
                try:
                    encoded[item.accounting_entry_id] = self._encoder.encode(item)
                except MappingError as exc:
                    # Never offered to the legacy client; the idle policy fails it with a reason.
                    logger.warning("an export item of job %s cannot be mapped: %s", job_id, exc)
        return encoded

    async def _last_activity(self, company_id: str, job: ExportJobV3) -> datetime:
        pleo = job.last_updated_at or job.started_at or job.created_at
        saved = await self._activity.recall(company_id, job.id)
        return pleo if saved is None else max(pleo, saved)

"""``JobWorkflow``: the Export API v3 job lifecycle behind the legacy routes (A.5).

This facade wires the parts and holds the rules that span them:

* A legacy GET never changes anything upstream; it reads the company's view (:mod:`company_view`)
  and, if Pleo cannot be read, may answer the last good view marked stale (not a PUT, ever).
* A PUT runs under the company's lease (:mod:`leases`): plan every change first
  (:mod:`item_writes`), claim the job its ids belong to (:mod:`claims`), write through, answer
  from Pleo's word, then close the job if every item is final. An answer from Pleo that
  contradicts the view makes the workflow re-read the job once and act on it (:mod:`rereads`).
* Scheduled work (:mod:`maintenance`) polls, closes what a lost ``completed`` left open, and
  applies the idle policy, per company, concurrently.
* ``preview`` / ``preview_ids`` serve shadow and compare modes: reads only, no registration, no
  activity.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from adapter.errors import (
    ExportJobGone,
    NotFound,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapter.export.client import ExportClient
from adapter.legacy.models import Receipt, StatusChange
from adapter.legacy.query import ExpenseQuery
from adapter.mapping import MappingTable
from adapter.observability.context import company_hash
from adapter.observability.metrics import Metrics
from adapter.store import Store
from adapter.tenancy import Tenant
from adapter.workflow.activity import ActivityLog
from adapter.workflow.cache import CompanyView, ViewCache
from adapter.workflow.claims import JobEvents
from adapter.workflow.companies import CompanyDirectory
from adapter.workflow.company_view import CompanyViews
from adapter.workflow.config import ExpensePage, ItemFailure, StatusUpdate, WorkflowSettings
from adapter.workflow.expense_docs import LEGACY_STATUSES, ExpenseEncoder
from adapter.workflow.filters import has_other_filters, matches
from adapter.workflow.item_writes import ItemWrites, plan_changes, unknown_ids
from adapter.workflow.leases import CompanyLeases
from adapter.workflow.maintenance import Maintenance
from adapter.workflow.records import ItemCodes, JobRecord
from adapter.workflow.reporting import WorkflowReport
from adapter.workflow.rereads import JobRereads

__all__ = ["JobWorkflow"]

logger = logging.getLogger("adapter.workflow")

# Failures after which the last good view may still be served to a GET (not auth, not refusals).
_STALE_READ_ON = (UpstreamUnavailable, UpstreamTimeout, UpstreamProtocolError)
_ALL_BUCKETS = tuple(range(len(LEGACY_STATUSES)))


class JobWorkflow:
    def __init__(
        self,
        *,
        client: ExportClient,
        store: Store,
        table: MappingTable,
        settings: WorkflowSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: Metrics | None = None,
        background_allowed: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """``background_allowed(company_id)``: whether scheduled work may act for a company
        now (the cutover policy says no for companies served in legacy or shadow mode)."""
        self._settings = settings = settings or WorkflowSettings()
        self._background_allowed = background_allowed
        self._table = table
        self._clock = clock
        self._now = now
        codes = ItemCodes(table.statuses.item_to_legacy, table.statuses.missing_item_status)
        report = WorkflowReport(metrics)
        rereads = JobRereads(client, codes)
        self._encoder = ExpenseEncoder(table)
        self._cache = ViewCache(settings.cache_max_bytes)
        self._directory = CompanyDirectory(
            max_passthrough=settings.max_passthrough_tenants, clock=clock
        )
        self._activity = ActivityLog(store, now)
        self._views = CompanyViews(
            client=client,
            encoder=self._encoder,
            codes=codes,
            cache=self._cache,
            directory=self._directory,
            rereads=rereads,
            activity=self._activity,
            clock=clock,
        )
        self._events = JobEvents(client, rereads, report)
        self._writes = ItemWrites(client, rereads, codes, report)
        self._leases = CompanyLeases(store, lease_seconds=settings.lease_seconds)
        self.maintenance = Maintenance(
            work=self._maintain_company,
            companies=self._directory.background,
            settings=settings,
            clock=clock,
        )

    def configure(self, tenant: Tenant) -> None:
        """A company from the tenants file: scheduled work covers it from start-up."""
        self._directory.configure(tenant)

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop (the app lifespan runs it until ``stop`` is set)."""
        await self.maintenance.run(stop)

    @property
    def cache(self) -> ViewCache:
        return self._cache

    def background_companies(self) -> list[tuple[str, Tenant]]:
        """The companies scheduled work covers, with the credential it uses for each."""
        return self._directory.background()

    # --- what the legacy routes call -------------------------------------------------------

    async def list_expenses(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        """``GET /v1/expenses``: one page of the company's current expenses. Never writes."""
        view, stale = await self._read(tenant, background=True)
        await self._touch(view)
        return self._page(view, query, stale)

    async def get_expense(self, tenant: Tenant, expense_id: str) -> bytes:
        """``GET /v1/expenses/{id}``: one expense, or :class:`NotFound`. Never writes."""
        view = await self._views.read(
            tenant, max_age=self._settings.discovery_min_interval_seconds, background=True
        )
        await self._touch(view)
        found = self._render(view, expense_id)
        if found is None:
            raise _not_found(expense_id)
        return found

    async def list_receipts(self, tenant: Tenant, expense_id: str) -> list[Receipt]:
        """``GET /v1/expenses/{id}/receipts``: the expense's files, as Pleo signed them."""
        view = await self._views.read(
            tenant, max_age=self._settings.discovery_min_interval_seconds, background=True
        )
        await self._touch(view)
        record = view.job if view is not None else None
        position = record.ids.get(expense_id) if record is not None else None
        if record is None or position is None or record.documents[position] is None:
            raise _not_found(expense_id)
        return self._encoder.receipts(record.receipts[position])

    async def set_statuses(self, tenant: Tenant, changes: Sequence[StatusChange]) -> StatusUpdate:
        """``PUT /v1/expenses``: write the changes through to Pleo, then answer.

        Nothing is sent upstream unless every change is known and allowed; never answered
        from cache alone.
        """
        company_id = self._directory.company_of(tenant)
        if company_id is None:
            view = await self._views.read(tenant, max_age=0, background=True)
            if view is None:
                raise _not_found(changes[0].expense_id)
            company_id = view.company_id
        async with self._leases.exclusive(company_id):
            return await self._write(tenant, company_id, changes)

    # --- shadow and compare modes: read only -----------------------------------------------

    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        """What ``list_expenses`` would answer, without registering the company for scheduled
        work or counting as client activity. Never writes, never claims."""
        view, stale = await self._read(tenant, background=False)
        return self._page(view, query, stale)

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        """The current expenses among ``ids``, in that order, each once; unknown ids are left
        out. Read only, like :meth:`preview`."""
        view = await self._views.read(
            tenant, max_age=self._settings.discovery_min_interval_seconds, background=False
        )
        rendered = (self._render(view, expense_id) for expense_id in dict.fromkeys(ids))
        return [expense for expense in rendered if expense is not None]

    # --- reads -----------------------------------------------------------------------------

    async def _read(
        self, tenant: Tenant, *, background: bool
    ) -> tuple[CompanyView | None, float | None]:
        """The view for a GET, or the last good one (and its age) if Pleo cannot be read."""
        try:
            view = await self._views.read(
                tenant, max_age=self._settings.discovery_min_interval_seconds, background=background
            )
        except _STALE_READ_ON as exc:
            last = self._views.cached(tenant)
            if last is None:
                raise
            age = self._clock() - last.refreshed_at
            if age > self._settings.stale_read_seconds:
                raise
            logger.warning(
                "serving company %s's view %.0f s old: Pleo could not be read (%s)",
                company_hash(last.company_id),
                age,
                exc.error_type,
            )
            return last, age
        return view, None

    def _page(
        self, view: CompanyView | None, query: ExpenseQuery, stale: float | None
    ) -> ExpensePage:
        record = view.job if view is not None else None
        if record is None:
            return ExpensePage([], 0, None, stale)
        buckets = [LEGACY_STATUSES.index(s) for s in query.statuses] or _ALL_BUCKETS
        end = query.page_offset + query.page_size
        if has_other_filters(query):
            candidates = record.index.page(buckets, 0, record.index.count(buckets))
            matching = [p for p in candidates if matches(query, _document(record, p))]
            total = len(matching)
            positions = matching[query.page_offset : end]
        else:
            total = record.index.count(buckets)
            positions = record.index.page(buckets, query.page_offset, query.page_size)
        expenses = self._encoder.render_many(record.documents, record.index.buckets, positions)
        return ExpensePage(expenses, total, end if end < total else None, stale)

    def _render(self, view: CompanyView | None, expense_id: str) -> bytes | None:
        record = view.job if view is not None else None
        if record is None:
            return None
        position = record.ids.get(expense_id)
        if position is None:
            return None
        document = record.documents[position]
        if document is None or not record.present(position):
            return None
        return self._encoder.render(document, record.index.bucket(position))

    async def _touch(self, view: CompanyView | None) -> None:
        """A legacy call for the company: note the activity, and bring forward the close of a
        claimed job whose items are all final (a restart or an unconfirmed close left it open;
        a passthrough company is unknown to scheduled work until its client calls again). The
        close is sent by scheduled work, never by a GET."""
        if view is not None and view.job is not None:
            await self._activity.touch(view.company_id, view.job)
            if view.job.claimed and view.job.all_final:
                self.maintenance.schedule(view.company_id, self._settings.close_retry_seconds)

    # --- writes ----------------------------------------------------------------------------

    async def _write(
        self, tenant: Tenant, company_id: str, changes: Sequence[StatusChange]
    ) -> StatusUpdate:
        view = await self._views.read(tenant, max_age=float("inf"), background=True)
        if unknown_ids(view, changes):
            # Ids the view does not hold: ask Pleo once before calling them unknown.
            view = await self._views.read(tenant, max_age=0, background=True)
        await self._touch(view)
        plan = plan_changes(view, changes, table=self._table, now=self._now())
        failures: list[ItemFailure] = []
        record = view.job if view is not None else None
        if plan.updates and record is not None and view is not None:
            try:
                await self._events.claim(tenant, company_id, record)
                failures = await self._writes.write(tenant, company_id, record, plan.updates)
            except ExportJobGone as gone:
                view.retire(gone.job_status)
                raise
            finally:
                self._cache.put(view)
        answer = [e for e in (self._render(view, i) for i in plan.requested) if e is not None]
        if record is not None and view is not None:
            await self._close_if_final(tenant, company_id, view, record)
        return StatusUpdate(answer, failures)

    async def _close_if_final(
        self, tenant: Tenant, company_id: str, view: CompanyView, record: JobRecord
    ) -> bool:
        """Close the job if all its items are final; True if it still needs closing."""
        if not record.claimed or not record.all_final:
            return False
        if await self._events.close(tenant, company_id, record):
            view.retire(record.status)
            self._cache.put(view)
            return False
        self.maintenance.schedule(company_id, self._settings.close_retry_seconds)
        return True

    # --- scheduled work --------------------------------------------------------------------

    async def _maintain_company(self, company_id: str, tenant: Tenant) -> bool:
        """One company's round: re-read, close what is final, apply the idle policy."""
        if self._background_allowed is not None and not await self._background_allowed(company_id):
            return False
        async with self._leases.exclusive(company_id):
            view = await self._views.read(tenant, max_age=0, background=True)
            record = view.job if view is not None else None
            if view is None or record is None or not record.claimed:
                return False
            try:
                if not record.all_final and self._idle(record):
                    await self._writes.fail_open_items(
                        tenant,
                        company_id,
                        record,
                        idle_seconds=int(self._settings.job_idle_seconds),
                    )
            except ExportJobGone as gone:
                view.retire(gone.job_status)
                return False
            finally:
                self._cache.put(view)
            return await self._close_if_final(tenant, company_id, view, record)

    def _idle(self, record: JobRecord) -> bool:
        if self._settings.idle_policy != "fail":
            return False
        quiet = self._now() - record.activity
        return quiet > timedelta(seconds=self._settings.job_idle_seconds)


def _document(record: JobRecord, position: int) -> bytes:
    document = record.documents[position]
    # Only positions from the status index are rendered, and it never holds hidden items.
    assert document is not None  # noqa: S101
    return document


def _not_found(expense_id: str) -> NotFound:
    return NotFound(f"Expense {expense_id} not found.", error_type="EXPENSE_NOT_FOUND")

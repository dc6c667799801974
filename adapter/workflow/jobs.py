"""``JobWorkflow``: discover, read, claim, write through, complete, idle out, recover.

The rules (pleo-api.md A.5, design.md "Job lifecycle rules"):

* A legacy GET never changes anything upstream: :meth:`JobWorkflow.view` only reads.
* One job per company at a time: a started one first (recovery), else the oldest pending.
* The first legacy write to one of a job's items claims it with ``started``. A lost answer to
  an event is never re-posted blindly: the job is re-read and the workflow acts on what it
  says. ``INVALID_EXPORT_JOB_STATUS_CHANGE`` means someone else moved the job.
* Every legacy status change is written to Pleo (batches of 100) before the call returns;
  per-item ``errors[]`` come back as :class:`ItemFailure` values, never as silent success.
* When every item is terminal: ``completed`` if all succeeded, else ``completed_with_errors``.
* A claimed job whose legacy client went quiet for ``job_idle_seconds`` has its open items
  failed and is closed (``idle_policy="fail"``), so nothing is left to Pleo's silent expiry.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from cachetools import TTLCache

from adapter import jsonio
from adapter.errors import (
    AdapterError,
    Conflict,
    ItemUpdateIncomplete,
    MappingError,
    NotFound,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
)
from adapter.export.client import ExportClient
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
    ExportJobStatus,
    ExportJobV3,
    ItemUpdateOutcome,
    UpdateExportJobItemV3,
)
from adapter.legacy.models import Expense, LegacyStatus, Receipt, StatusChange
from adapter.legacy.query import ExpenseQuery, paginate
from adapter.mapping import (
    MappingTable,
    legacy_status,
    plan_item_update,
    receipt_of,
    to_expense,
)
from adapter.observability.audit import (
    audit_idle_policy,
    audit_job_event,
    report_item_update,
)
from adapter.observability.metrics import Metrics
from adapter.store import Store
from adapter.tenancy import Tenant
from adapter.workflow.singleflight import KeyedLocks
from adapter.workflow.state import ItemFailure, JobState, TenantState, select_current_jobs

__all__ = ["ExpensePage", "JobWorkflow", "StatusUpdate", "UpdateResult", "WorkflowSettings"]

logger = logging.getLogger("adapter.workflow")

_ELIGIBLE = (ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS)
_FINISHED = frozenset(
    {ExportJobStatus.COMPLETED, ExportJobStatus.COMPLETED_WITH_ERRORS, ExportJobStatus.FAILED}
)
_STATUS_CHANGE_REFUSED = "invalid_export_job_status_change"
_IDLE_REASON = "Not processed by the legacy integration within {seconds} seconds."
# How long the control layer stays in the store after the last touch; Pleo rebuilds it anyway.
_STATE_TTL_SECONDS = 2 * 3600
# Finished jobs kept so a client retrying a PUT gets the same answer, not a 404.
_RECENT_JOBS = 5


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    job_idle_seconds: float = 900
    idle_policy: Literal["fail", "wait"] = "fail"
    discovery_min_interval_seconds: float = 2.0
    lease_seconds: float = 120.0
    max_tenants: int = 10_000
    max_cached_jobs: int = 64


@dataclass(frozen=True, slots=True)
class UpdateResult:
    expenses: list[Expense]
    failures: list[ItemFailure] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ExpensePage:
    """One page of legacy expenses, each already encoded as its JSON object."""

    expenses: list[bytes]
    total_count: int
    next_page_offset: int | None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """The answer to a legacy PUT: the requested expenses as they now stand (encoded), and
    the changes Pleo refused, per expense."""

    expenses: list[bytes]
    failures: list[ItemFailure]


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
    ) -> None:
        self._client = client
        self._metrics = metrics if metrics is not None else Metrics()
        self._store = store
        self._table = table
        self._settings = settings or WorkflowSettings()
        self._clock = clock
        self._now = now
        self._locks = KeyedLocks()
        self._owner = uuid.uuid4().hex
        self._states: TTLCache[str, TenantState] = TTLCache(
            maxsize=self._settings.max_tenants, ttl=_STATE_TTL_SECONDS
        )
        # Tenants seen recently, so background work can act for them. Process memory only:
        # credentials never go to the store.
        self._tenants: TTLCache[str, Tenant] = TTLCache(
            maxsize=self._settings.max_tenants, ttl=_STATE_TTL_SECONDS
        )
        self._configured: dict[str, Tenant] = {}
        # The mapped data layer: large (kilobytes per item), derivable, so process-local and
        # bounded in jobs; an evicted job is read again from Pleo when next needed.
        self._expenses: TTLCache[tuple[str, str], dict[str, Expense]] = TTLCache(
            maxsize=self._settings.max_cached_jobs, ttl=_STATE_TTL_SECONDS
        )
        self._receipts: TTLCache[tuple[str, str], dict[str, list[Receipt]]] = TTLCache(
            maxsize=self._settings.max_cached_jobs, ttl=_STATE_TTL_SECONDS
        )

    def register(self, tenant: Tenant, *, permanent: bool = False) -> None:
        """Include ``tenant`` in scheduled work (polling, recovery, idle).

        A tenant seen on a request is remembered for a while; a configured one for good.
        """
        if permanent:
            self._configured[tenant.key] = tenant
        elif tenant.key not in self._configured:
            self._tenants[tenant.key] = tenant

    # --- what the legacy routes call ------------------------------------------------------

    async def list_expenses(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        """``GET /v1/expenses``: one page of the tenant's current expenses. Never writes."""
        page = paginate(await self.view(tenant), query)
        return ExpensePage(
            [_encode(e) for e in page.items], page.total_count, page.next_page_offset
        )

    async def get_expense(self, tenant: Tenant, expense_id: str) -> bytes:
        """``GET /v1/expenses/{id}``: one expense, or :class:`NotFound`. Never writes."""
        return _encode(await self.expense(tenant, expense_id))

    async def list_receipts(self, tenant: Tenant, expense_id: str) -> list[Receipt]:
        """``GET /v1/expenses/{id}/receipts``: the expense's files, as Pleo signed them."""
        expense = await self.expense(tenant, expense_id)
        for (key, _job), receipts in self._receipts.items():
            if key == tenant.key and expense.id in receipts:
                return receipts[expense.id]
        return []

    async def set_statuses(self, tenant: Tenant, changes: Sequence[StatusChange]) -> StatusUpdate:
        """``PUT /v1/expenses``: write the changes through to Pleo, then answer."""
        result = await self.update_statuses(tenant, changes)
        return StatusUpdate([_encode(e) for e in result.expenses], result.failures)

    # --- reads (never change anything upstream) -------------------------------------------

    async def view(self, tenant: Tenant) -> list[Expense]:
        """The expenses of the tenant's current jobs, in Pleo's order, statuses current."""
        self.register(tenant)
        async with self._locks.hold(tenant.key):
            state = await self._fresh_state(tenant)
            return self._render(tenant, state)

    async def expense(self, tenant: Tenant, expense_id: str) -> Expense:
        for expense in await self.view(tenant):
            if expense.id == expense_id:
                return expense
        msg = f"Expense {expense_id} not found."
        raise NotFound(msg, error_type="EXPENSE_NOT_FOUND")

    # --- writes ---------------------------------------------------------------------------

    async def update_statuses(
        self, tenant: Tenant, changes: Sequence[StatusChange]
    ) -> UpdateResult:
        """Apply legacy status changes: validate all, claim, write through, maybe complete.

        Nothing is sent upstream unless every change is known and allowed (404 / 409).
        """
        self.register(tenant)
        async with self._locks.hold(tenant.key):
            lease = f"lease:{tenant.key}"
            if not await self._store.acquire_lease(
                lease, self._owner, ttl_seconds=self._settings.lease_seconds
            ):
                msg = "Another worker is exporting this company's expenses; retry shortly."
                raise Conflict(msg, error_type="EXPORT_IN_PROGRESS", headers={"Retry-After": "5"})
            try:
                return await self._update(tenant, changes)
            finally:
                await self._store.release_lease(lease, self._owner)

    async def _update(self, tenant: Tenant, changes: Sequence[StatusChange]) -> UpdateResult:
        # The proxy writes every change through, so its own view of known jobs is current;
        # Pleo is asked again only when the client names something that view does not hold.
        state = await self._fresh_state(tenant, max_age=float("inf"))
        if any(state.job_of(c.expense_id) is None for c in changes):
            state = await self._fresh_state(tenant)
        now = self._now()
        planned: dict[str, list[UpdateExportJobItemV3]] = {}
        jobs: dict[str, JobState] = {}
        requested: dict[str, LegacyStatus] = {}
        for change in changes:
            job = state.job_of(change.expense_id)
            if job is None:
                msg = f"Expense {change.expense_id} not found."
                raise NotFound(msg, error_type="EXPENSE_NOT_FOUND")
            previous = requested.get(change.expense_id)
            if previous is not None and previous != change.status:
                msg = f"Expense {change.expense_id} is listed twice with different statuses."
                raise Conflict(msg, error_type="CONFLICTING_STATUSES")
            requested[change.expense_id] = change.status
            update = plan_item_update(
                self._table,
                job.statuses[change.expense_id],
                change.status,
                accounting_entry_id=change.expense_id,
                now=now,
                extras=change.extras,
            )
            if update is not None and previous is None:
                planned.setdefault(job.job_id, []).append(update)
                jobs[job.job_id] = job

        failures: list[ItemFailure] = []
        try:
            for job_id, updates in planned.items():
                failures += await self._write_through(tenant, jobs[job_id], updates)
        finally:
            if any(j.status in _FINISHED for j in jobs.values()):
                state.stale = True  # the next job's items appear on the next GET
            await self._save(tenant, state)
        expenses = {e.id: e for e in self._render(tenant, state)}
        return UpdateResult([expenses[i] for i in requested if i in expenses], failures)

    async def _write_through(
        self, tenant: Tenant, job: JobState, updates: list[UpdateExportJobItemV3]
    ) -> list[ItemFailure]:
        if not job.claimed:
            await self._claim(tenant, job)
        sent = [(u.accounting_entry_id, u.status) for u in updates]
        try:
            outcome = await self._client.update_job_items(tenant.credential, job.job_id, updates)
        except ItemUpdateIncomplete as exc:
            # Keep what Pleo did apply before the failing batch; the client may retry the rest.
            self._record(job, exc.outcome)
            report_item_update(
                self._metrics,
                company_id=job.company_id,
                job_id=job.job_id,
                sent=sent,
                refused=exc.outcome.failed_ids,
                not_applied=exc.not_applied,
                error=exc.error_type,
            )
            job.last_activity = self._now()
            raise
        except UpstreamError as exc:
            report_item_update(
                self._metrics,
                company_id=job.company_id,
                job_id=job.job_id,
                sent=sent,
                not_applied=[i for i, _ in sent],
                error=exc.error_type,
            )
            raise
        report_item_update(
            self._metrics,
            company_id=job.company_id,
            job_id=job.job_id,
            sent=sent,
            refused=outcome.failed_ids,
        )
        failures = self._record(job, outcome)
        job.last_activity = self._now()
        if failures:
            # Pleo refused some items: its view differs from ours, so take its word for all.
            await self._resync(tenant, job)
        if job.all_terminal:
            await self._complete(tenant, job)
        return failures

    def _record(self, job: JobState, outcome: ItemUpdateOutcome) -> list[ItemFailure]:
        for item in outcome.items:
            if item.accounting_entry_id in job.statuses:
                job.statuses[item.accounting_entry_id] = item.status
        return [
            ItemFailure(e.accounting_entry_id, e.type, _item_error_message(e.type))
            for e in outcome.errors
        ]

    async def _resync(self, tenant: Tenant, job: JobState) -> None:
        items = await self._client.list_job_items(tenant.credential, job.job_id)
        job.statuses.update({i.accounting_entry_id: i.status for i in items})

    async def _claim(self, tenant: Tenant, job: JobState) -> None:
        event = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=job.job_id)
        try:
            await self._client.post_job_event(tenant.credential, event)
            audit_job_event(
                company_id=job.company_id, job_id=job.job_id, event=event.event, outcome="accepted"
            )
        except (UpstreamRejected, UpstreamTimeout) as exc:
            if isinstance(exc, UpstreamRejected) and not _is(exc, _STATUS_CHANGE_REFUSED):
                raise
            # Never re-post: read what Pleo now says and act on it.
            current = await self._client.get_job(tenant.credential, job.job_id)
            claimed = current.status == ExportJobStatus.IN_PROGRESS
            audit_job_event(
                company_id=job.company_id,
                job_id=job.job_id,
                event=event.event,
                outcome="confirmed" if claimed else "refused",
                job_status=current.status,
            )
            if not claimed:
                job.status = current.status
                msg = f"Export job {job.job_id} is {current.status}; it can no longer be claimed."
                raise Conflict(msg, error_type="EXPORT_JOB_UNAVAILABLE") from None
        self._metrics.count_job_claimed()
        job.status = ExportJobStatus.IN_PROGRESS.value

    async def _complete(self, tenant: Tenant, job: JobState) -> None:
        kind = (
            ExportJobEventType.COMPLETED
            if job.all_successful
            else ExportJobEventType.COMPLETED_WITH_ERRORS
        )
        try:
            await self._client.post_job_event(
                tenant.credential, CreateExportJobEvent(event=kind, job_id=job.job_id)
            )
            audit_job_event(
                company_id=job.company_id, job_id=job.job_id, event=kind, outcome="accepted"
            )
            job.status = kind.value
        except (UpstreamRejected, UpstreamTimeout) as exc:
            if isinstance(exc, UpstreamRejected) and not _is(exc, _STATUS_CHANGE_REFUSED):
                raise
            current = await self._client.get_job(tenant.credential, job.job_id)
            finished = current.status in _FINISHED
            audit_job_event(
                company_id=job.company_id,
                job_id=job.job_id,
                event=kind,
                outcome="confirmed" if finished else "refused",
                job_status=current.status,
            )
            if not finished:
                raise
            job.status = current.status
        self._metrics.count_job_closed(job.status)

    # --- background work --------------------------------------------------------------------

    async def maintain(self) -> None:
        """One round of scheduled work for every known tenant: poll, recover, idle out."""
        for key, tenant in [*self._configured.items(), *self._tenants.items()]:
            try:
                async with self._locks.hold(key):
                    state = await self._fresh_state(tenant, max_age=0)
                    await self._recover_and_idle(tenant, state)
                    await self._save(tenant, state)
            except AdapterError as exc:
                # One tenant's failure must not stop the others; the next round tries again.
                logger.warning(
                    "scheduled work for a tenant failed: %s (upstream status %s)",
                    type(exc).__name__,
                    getattr(exc, "upstream_status", None),
                )

    async def _recover_and_idle(self, tenant: Tenant, state: TenantState) -> None:
        idle_limit = timedelta(seconds=self._settings.job_idle_seconds)
        for job in state.jobs:
            if not job.claimed:
                continue
            if job.all_terminal:
                # A crash between the last item update and the final event (R4).
                await self._complete(tenant, job)
            elif (
                self._settings.idle_policy == "fail"
                and self._now() - job.last_activity > idle_limit
            ):
                await self._fail_open_items(tenant, job)
        if any(j.status in _FINISHED for j in state.jobs):
            state.stale = True

    async def _fail_open_items(self, tenant: Tenant, job: JobState) -> None:
        reason = _IDLE_REASON.format(seconds=int(self._settings.job_idle_seconds))
        updates = [
            UpdateExportJobItemV3(
                accounting_entry_id=item_id,
                status=ExportJobItemStatus.FAILED,
                failure_reason=reason,
                failure_reason_type=ExportJobItemFailureReasonType.UNEXPECTED_FAILURE,
            )
            for item_id in job.open_items()
        ]
        audit_idle_policy(
            company_id=job.company_id,
            job_id=job.job_id,
            item_count=len(updates),
            idle_seconds=int(self._settings.job_idle_seconds),
        )
        await self._write_through(tenant, job, updates)

    async def run(self, interval_seconds: float, stop: asyncio.Event) -> None:
        """Call :meth:`maintain` every ``interval_seconds`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
            except TimeoutError:
                try:
                    await self.maintain()
                except Exception:
                    # The loop must outlive any bug in one round; the next round retries.
                    logger.exception("scheduled workflow round failed")

    # --- state ------------------------------------------------------------------------------

    async def _fresh_state(self, tenant: Tenant, *, max_age: float | None = None) -> TenantState:
        """The tenant's state, discovered again if older than ``max_age`` (default: the
        on-demand discovery interval, which keeps a busy client from hammering Pleo)."""
        if max_age is None:
            max_age = self._settings.discovery_min_interval_seconds
        state = self._states.get(tenant.key)
        if state is None:
            raw = await self._store.get(f"state:{tenant.key}")
            state = TenantState.loads(raw) if raw is not None else TenantState()
        age = self._clock() - state.discovered_at
        if state.stale or age >= max_age:
            state = await self._discover(tenant, state)
            self._states[tenant.key] = state
            await self._save(tenant, state)
        self._states[tenant.key] = state
        return state

    async def _discover(self, tenant: Tenant, previous: TenantState) -> TenantState:
        listed = await self._client.list_jobs(
            tenant.credential, statuses=_ELIGIBLE, company_id=tenant.company_id
        )
        known = {j.job_id: j for j in previous.jobs}
        current = select_current_jobs(listed)
        jobs: list[JobState] = []
        for job in current:
            kept = known.get(job.id)
            if kept is not None and kept.status == job.status and kept.statuses:
                await self._ensure_data(tenant, kept)
                jobs.append(kept)
            else:
                jobs.append(await self._load_job(tenant, job))
        current_ids = {j.id for j in current}
        # Jobs that left Pleo's eligible list stay visible for a while, marked by what we last
        # knew; an unfinished one we did not close ourselves is dropped (expired or failed).
        recent = [j for j in previous.jobs if j.job_id not in current_ids and j.status in _FINISHED]
        return TenantState(jobs=jobs + recent[:_RECENT_JOBS], discovered_at=self._clock())

    async def _load_job(self, tenant: Tenant, job: ExportJobV3) -> JobState:
        items, _ = await asyncio.gather(
            self._client.list_job_items(tenant.credential, job.id),
            self._load_data(tenant, job.id),
        )
        last = job.last_updated_at or job.started_at or job.created_at
        return JobState(
            job_id=job.id,
            company_id=job.company_id,
            status=job.status,
            created_at=job.created_at,
            order=[i.accounting_entry_id for i in items],
            statuses={i.accounting_entry_id: i.status for i in items},
            last_activity=last,
        )

    async def _ensure_data(self, tenant: Tenant, job: JobState) -> None:
        if (tenant.key, job.job_id) not in self._expenses:
            await self._load_data(tenant, job.job_id)

    async def _load_data(self, tenant: Tenant, job_id: str) -> None:
        """Read the data layer and map it; an item that cannot be mapped is never offered."""
        items = await self._client.list_export_items(tenant.credential, job_id)
        mapped: dict[str, Expense] = {}
        receipts: dict[str, list[Receipt]] = {}
        for item in items:
            try:
                # The status is filled in at render time from the control layer.
                mapped[item.accounting_entry_id] = to_expense(
                    self._table, item, ExportJobItemStatus.PENDING.value
                )
            except MappingError as exc:
                # Never offered to the legacy client; the idle policy fails it with a reason.
                logger.warning("export item of job %s cannot be mapped: %s", job_id, exc)
            receipts[item.accounting_entry_id] = [receipt_of(f) for f in item.files or ()]
        self._expenses[(tenant.key, job_id)] = mapped
        self._receipts[(tenant.key, job_id)] = receipts

    async def _save(self, tenant: Tenant, state: TenantState) -> None:
        await self._store.set(f"state:{tenant.key}", state.dumps(), ttl_seconds=_STATE_TTL_SECONDS)

    def _render(self, tenant: Tenant, state: TenantState) -> list[Expense]:
        # Rendering is pure; the data layer must already be cached (see _ensure_data).
        rendered: list[Expense] = []
        for job in state.jobs:
            mapped = self._expenses.get((tenant.key, job.job_id), {})
            for item_id in job.order:
                expense = mapped.get(item_id)
                if expense is None:
                    continue
                status = job.statuses.get(item_id)
                rendered.append(self._with_status(expense, status))
        return rendered

    def _with_status(self, expense: Expense, item_status: str | None) -> Expense:
        wanted = legacy_status(self._table, item_status)
        return (
            expense if expense.status == wanted else expense.model_copy(update={"status": wanted})
        )


def _encode(expense: Expense) -> bytes:
    return jsonio.dumps(expense.model_dump())


def _is(error: UpstreamError, upstream_type: str) -> bool:
    return (error.upstream_type or "").lower() == upstream_type


def _item_error_message(error_type: str) -> str:
    # Pleo's own text for these types is known to be swapped; say what the type means.
    messages = {
        "accounting_entry_does_not_exist": "Pleo does not know this expense in the export job.",
        "export_entry_status_update_failed": "Pleo refused the status change for this expense.",
        "accounting_entry_update_failed": "Pleo could not update this expense.",
    }
    return messages.get(error_type.lower(), "Pleo did not apply the status change.")

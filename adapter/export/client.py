"""The typed async client for Pleo's Export API v3.

One :class:`ExportClient` per process wraps the one ``httpx.AsyncClient`` the app lifespan owns.
It adds what every call needs and httpx does not do by itself:

* an ``asyncio.Semaphore`` bounding requests in flight (httpx 0.28 slows down as concurrency
  rises; reliability.md §2.2 C);
* the tenant's ``Authorization`` header, sent only to the configured origin;
* every page of a paginated list, with a bound on the number of pages; the job's items (control
  and data layer) after the first page by ``offset``, concurrently (:mod:`adapter.export.paging`);
* item updates in batches of 100, concurrently;
* pydantic validation of every answer and a mapping of every failure to :mod:`adapter.errors`
  (see :mod:`adapter.export.errors`);
* one deadline per unit of work (:mod:`adapter.export.deadline`): every attempt's timeout is
  the smaller of its own and what remains, and nothing starts that cannot end in time;
* the retry policy of :mod:`adapter.export.retrying` (tenacity): calls safe to repeat are
  retried with ``Retry-After`` or capped full jitter, within the deadline and a retry budget;
  a job event only when it was certainly never sent;
* a circuit breaker on the origin (:mod:`adapter.export.breaker`): while it is open, calls
  fail at once with ``UpstreamCircuitOpen`` and ``Retry-After``; :meth:`upstream_health`
  says so for ``/readyz``;
* identical concurrent GETs sharing one upstream call (:mod:`adapter.export.coalesce`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from adapter import jsonio
from adapter.errors import (
    ConfigurationError,
    ItemUpdateIncomplete,
    UpstreamError,
    UpstreamProtocolError,
)
from adapter.export.breaker import BreakerState, CircuitBreaker, UpstreamHealth
from adapter.export.calls import UpstreamCalls
from adapter.export.models import (
    CreateExportJobEvent,
    CursorPage,
    DataResponse,
    ExportItemV3,
    ExportJobItemStatus,
    ExportJobItemUpdateErrorV3,
    ExportJobItemUpdateV3,
    ExportJobItemV3,
    ExportJobStatus,
    ExportJobV3,
    ItemUpdateOutcome,
    UpdateExportJobItemV3,
)
from adapter.export.paging import every_page
from adapter.export.retrying import Retry, RetryBudget, RetryPolicy, Sleep
from adapter.export.transport import Sender, build_http_client
from adapter.observability.metrics import Metrics
from adapter.tenancy import UpstreamCredential

__all__ = [
    "ExportClient",
    "ExportClientMetrics",
    "build_http_client",
]

T = TypeVar("T")

_log = logging.getLogger("adapter.export")

JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"
MAX_ITEMS_PER_UPDATE: Final = 100  # Pleo answers 413 EXPORT_JOB_ITEMS_UPDATE_LIMIT above this

# Ids go into URL paths; only plain identifier characters, so no ``..``, ``/``, ``?`` or ``@``.
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")

_JOB_PAGE: Final = TypeAdapter(CursorPage[ExportJobV3])
_JOB_ITEM_PAGE: Final = TypeAdapter(CursorPage[ExportJobItemV3])
_EXPORT_ITEM_PAGE: Final = TypeAdapter(CursorPage[ExportItemV3])
_JOB: Final = TypeAdapter(DataResponse[ExportJobV3])
_ITEM_UPDATE: Final = TypeAdapter(ExportJobItemUpdateV3)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ExportClientMetrics:
    """Counters since start: HTTP attempts by operation and outcome, retries, concurrency,
    GETs answered by a call another caller started, and the circuit breaker's state."""

    requests: dict[str, dict[str, int]]
    retries: dict[str, int]
    in_flight: int
    peak_in_flight: int
    max_in_flight: int
    shared: int = 0
    circuit: str = BreakerState.CLOSED.value


class ExportClient:
    """Pleo's Export API v3, one method per endpoint the workflow uses.

    Every public method runs under the open deadline (``request_deadline``), or, when none
    is open, under one of ``deadline_seconds`` of its own covering all its pages, batches,
    attempts and sleeps. See :mod:`adapter.export.calls` for what happens to each call.

    Args:
        http: the shared client (see :func:`build_http_client`); not closed here.
        base_url: the Export API origin, e.g. ``https://external.pleo.io``.
        max_in_flight: requests in flight at once through this client.
        page_limit: ``limit`` sent with every list request.
        retries: extra attempts for calls that may be retried (attempts = retries + 1).
        backoff_base, backoff_cap: full jitter, ``uniform(0, min(cap, base * 2**retry))``;
            a ``Retry-After`` is slept exactly if it fits in the deadline, else raised.
        max_pages: pages followed per list before the answer is called endless.
        max_response_bytes: a bigger body is refused (OWASP API10).
        deadline_seconds: the deadline of a call made outside any open deadline.
        circuit_failures, circuit_open_seconds: the breaker opens after this many consecutive
            failures, for this long times the number of consecutive openings (at most ten).
        retry_budget_percent, retry_budget_min: retries in progress may not exceed this share
            of calls in progress, or this many, whichever is more.
        sleep: awaited between attempts; clock: monotonic seconds (deadlines, breaker);
            wall_clock: now in UTC (``Retry-After`` dates). Tests pass fakes of all three.
        metrics: the app's series; a private registry if not given.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        max_in_flight: int = 16,
        page_limit: int = 100,
        retries: int = 2,
        backoff_base: float = 0.25,
        backoff_cap: float = 4.0,
        max_pages: int = 1000,
        max_response_bytes: int = 32 * 1024 * 1024,
        deadline_seconds: float = 30.0,
        circuit_failures: int = 5,
        circuit_open_seconds: float = 30.0,
        retry_budget_percent: float = 20.0,
        retry_budget_min: int = 3,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        if max_in_flight < 1 or page_limit < 1 or max_pages < 1 or max_response_bytes < 1:
            msg = "max_in_flight, page_limit, max_pages and max_response_bytes must be positive"
            raise ConfigurationError(msg)
        if not (math.isfinite(deadline_seconds) and deadline_seconds > 0):
            msg = "deadline_seconds must be a positive finite number"
            raise ConfigurationError(msg)
        base = httpx.URL(base_url)
        if (
            base.scheme not in ("http", "https")
            or not base.host
            or base.userinfo
            or base.query
            or base.fragment
        ):
            msg = "the Export API base URL must be http(s)://host[:port][/path], nothing more"
            raise ConfigurationError(msg)
        self._metrics = metrics if metrics is not None else Metrics()
        try:
            policy = RetryPolicy(
                attempts=retries + 1, backoff_base=backoff_base, backoff_cap=backoff_cap
            )
            budget = RetryBudget(percent=retry_budget_percent, min_concurrency=retry_budget_min)
            breaker = CircuitBreaker(
                failure_threshold=circuit_failures,
                open_seconds=circuit_open_seconds,
                max_open_seconds=10 * circuit_open_seconds,
                clock=clock,
                on_change=self._circuit_changed,
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._http = http
        self._base = str(base).rstrip("/")
        self._page_limit = page_limit
        self._max_pages = max_pages
        self._sender = Sender(
            http,
            origin=(base.scheme, base.host, base.port),
            max_in_flight=max_in_flight,
            max_response_bytes=max_response_bytes,
            metrics=self._metrics,
        )
        self._calls = UpstreamCalls(
            self._sender,
            policy=policy,
            budget=budget,
            breaker=breaker,
            deadline_seconds=deadline_seconds,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            metrics=self._metrics,
        )

    def _circuit_changed(self, state: BreakerState) -> None:
        self._metrics.set_circuit_state(state.value)
        level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
        _log.log(level, "circuit breaker on the Export API is now %s", state.value)

    def __repr__(self) -> str:
        return f"ExportClient(base_url={self._base!r}, max_in_flight={self._sender.max_in_flight})"

    # --- the endpoints -----------------------------------------------------------------------

    async def list_jobs(
        self,
        credential: UpstreamCredential,
        *,
        statuses: Sequence[ExportJobStatus],
        company_id: str | None = None,
    ) -> list[ExportJobV3]:
        """``GET /v3/export-jobs``, every page. Jobs of another company are a protocol error."""
        params = [("statuses", ExportJobStatus(status).value) for status in statuses]
        if company_id is not None:
            params.append(("company_id", company_id))
        jobs = await self._collect(
            self._pages("list_jobs", credential, "/v3/export-jobs", params, _JOB_PAGE)
        )
        if company_id is not None and any(
            job.company_id.lower() != company_id.lower() for job in jobs
        ):
            msg = "Pleo listed export jobs of another company."
            raise UpstreamProtocolError(msg)
        return jobs

    async def get_job(self, credential: UpstreamCredential, job_id: str) -> ExportJobV3:
        """``GET /v3/export-jobs/{jobId}``."""
        path = f"/v3/export-jobs/{_identifier(job_id)}"
        content = await self._call("get_job", credential, "GET", path, retry=Retry.SAFE)
        job = self._parse("get_job", _JOB, content).data
        if job.id.lower() != job_id.lower():
            msg = "Pleo answered get_job with a different export job."
            raise UpstreamProtocolError(msg)
        return job

    async def list_job_items(
        self,
        credential: UpstreamCredential,
        job_id: str,
        *,
        status: ExportJobItemStatus | None = None,
    ) -> list[ExportJobItemV3]:
        """``GET /v3/export-jobs/{jobId}/items``, every page (the control layer)."""
        return await self._collect(self.iter_job_items(credential, job_id, status=status))

    async def iter_job_items(
        self,
        credential: UpstreamCredential,
        job_id: str,
        *,
        status: ExportJobItemStatus | None = None,
    ) -> AsyncIterator[list[ExportJobItemV3]]:
        """``GET /v3/export-jobs/{jobId}/items`` one page at a time (the control layer), so a
        caller keeps only what it needs of each page; paged like :meth:`iter_export_items`.
        Items of another job are a protocol error."""
        path = f"/v3/export-jobs/{_identifier(job_id)}/items"
        params = [] if status is None else [("status", ExportJobItemStatus(status).value)]
        async for page in self._pages(
            "list_job_items", credential, path, params, _JOB_ITEM_PAGE, by_offset=True
        ):
            if any(item.export_job_id.lower() != job_id.lower() for item in page):
                msg = "Pleo listed items of another export job."
                raise UpstreamProtocolError(msg)
            yield page

    async def list_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportItemV3]:
        """``GET /v3/export-items?job_id=…``, every page (the data layer)."""
        return await self._collect(self.iter_export_items(credential, job_id))

    async def iter_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> AsyncIterator[list[ExportItemV3]]:
        """``GET /v3/export-items?job_id=…`` one page at a time, so a caller can translate and
        drop each page before the next arrives (a full item costs kilobytes as a model).

        The pages after the first are fetched by offset up to the in-flight cap ahead of the
        one handed out, so at most that many pages are alive at once. Each page request has
        the open deadline, or one of its own.
        """
        params = [("job_id", _identifier(job_id))]
        async for page in self._pages(
            "list_export_items",
            credential,
            "/v3/export-items",
            params,
            _EXPORT_ITEM_PAGE,
            by_offset=True,
        ):
            yield page

    async def update_job_items(
        self,
        credential: UpstreamCredential,
        job_id: str,
        updates: Sequence[UpdateExportJobItemV3],
    ) -> ItemUpdateOutcome:
        """``PUT /v3/export-jobs/{jobId}/items`` in batches of at most 100, sent concurrently.

        The batches are independent (an item-status PUT sets state), so up to the in-flight cap
        are in flight at once, started in request order; once one fails, no further batch is
        started. Per-item ``errors[]`` of every batch are collected in the outcome, in batch
        order. If a batch fails and another was applied, :class:`ItemUpdateIncomplete` says
        which ids were applied and which were not (failed or never sent). If no batch was
        applied, the first failed batch's own error is raised.
        """
        path = f"/v3/export-jobs/{_identifier(job_id)}/items"
        with self._calls.deadline():
            return await self._update_in_batches(credential, path, updates)

    async def _update_in_batches(
        self, credential: UpstreamCredential, path: str, updates: Sequence[UpdateExportJobItemV3]
    ) -> ItemUpdateOutcome:
        batches = [
            updates[start : start + MAX_ITEMS_PER_UPDATE]
            for start in range(0, len(updates), MAX_ITEMS_PER_UPDATE)
        ]
        answers: list[ExportJobItemUpdateV3 | UpstreamError | None] = [None] * len(batches)
        queue = iter(range(len(batches)))
        failed = False

        async def send_batches() -> None:
            nonlocal failed
            for index in queue:
                if failed:
                    return
                body = jsonio.dumps(
                    [
                        u.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for u in batches[index]
                    ]
                )
                try:
                    content = await self._call(
                        "update_job_items", credential, "PUT", path, body=body, retry=Retry.SAFE
                    )
                    answers[index] = self._parse("update_job_items", _ITEM_UPDATE, content)
                except UpstreamError as exc:
                    answers[index] = exc
                    failed = True

        senders = min(len(batches), self._sender.max_in_flight)
        await asyncio.gather(*(send_batches() for _ in range(senders)))
        return _batch_outcome(batches, answers)

    async def post_job_event(
        self, credential: UpstreamCredential, event: CreateExportJobEvent
    ) -> None:
        """``POST /v3/export-job-events`` (Pleo answers 202).

        Never retried once the request may have reached Pleo: after a timeout or a dropped
        connection, re-read the job with :meth:`get_job` and act on its status. Not even sent
        with less than a second of the deadline left (``UpstreamTimeout``, nothing sent), so
        a deadline rarely turns an event into an ambiguous one.
        """
        body = jsonio.dumps(event.model_dump(mode="json", by_alias=True, exclude_none=True))
        path = "/v3/export-job-events"
        await self._call(
            "post_job_event", credential, "POST", path, body=body, retry=Retry.IF_NEVER_SENT
        )

    def upstream_health(self) -> UpstreamHealth:
        """Whether calls to Pleo are let through now (the circuit breaker), for ``/readyz``."""
        return self._calls.health()

    def metrics_snapshot(self) -> ExportClientMetrics:
        requests: dict[str, dict[str, int]] = {}
        for (operation, outcome), count in sorted(self._sender.attempts.items()):
            requests.setdefault(operation, {})[outcome] = count
        return ExportClientMetrics(
            requests=requests,
            retries=dict(sorted(self._calls.retries.items())),
            in_flight=self._sender.in_flight,
            peak_in_flight=self._sender.peak_in_flight,
            max_in_flight=self._sender.max_in_flight,
            shared=self._calls.shared,
            circuit=self._calls.breaker.state.value,
        )

    # --- plumbing ----------------------------------------------------------------------------

    async def _collect(self, pages: AsyncIterator[list[T]]) -> list[T]:
        """Every page of a list, joined in order; all pages share one deadline (the pages are
        fetched as they are iterated, inside it)."""
        results: list[T] = []
        with self._calls.deadline():
            async for page in pages:
                results.extend(page)
        return results

    def _pages(
        self,
        operation: str,
        credential: UpstreamCredential,
        path: str,
        params: list[tuple[str, str]],
        adapter: TypeAdapter[CursorPage[T]],
        *,
        by_offset: bool = False,
    ) -> AsyncIterator[list[T]]:
        """Each page of a list, in order (:func:`adapter.export.paging.every_page`): with
        ``by_offset`` the pages after the first are fetched at once, up to the in-flight cap."""

        async def fetch(extra: Sequence[tuple[str, str]]) -> CursorPage[T]:
            query = [*params, ("limit", str(self._page_limit)), *extra]
            content = await self._call(
                operation, credential, "GET", path, params=query, retry=Retry.SAFE
            )
            return self._parse(operation, adapter, content)

        return every_page(
            fetch,
            operation=operation,
            max_pages=self._max_pages,
            window=self._sender.max_in_flight,
            by_offset=by_offset,
        )

    async def _call(
        self,
        operation: str,
        credential: UpstreamCredential,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        retry: Retry,
    ) -> bytes:
        """One logical call with its retries; returns the body of a 2xx answer."""
        headers = {"Authorization": credential.authorization, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = JSON_CONTENT_TYPE
        request = self._http.build_request(
            method,
            self._base + path,
            params=tuple(params) if params else None,
            content=body,
            headers=headers,
        )
        return await self._calls.call(
            operation, request, retry=retry, authorization=credential.authorization
        )

    def _parse(self, operation: str, adapter: TypeAdapter[T], content: bytes) -> T:
        """Validate a whole answer or refuse it (and count the refusal); never half-parsed."""
        try:
            return adapter.validate_json(content)
        except ValidationError as exc:
            self._metrics.count_contract_violation(operation)
            first: dict[str, Any] = dict(exc.errors(include_input=False, include_url=False)[0])
            where = ".".join(str(part) for part in first.get("loc", ())) or "body"
            msg = (
                f"Pleo's answer to {operation} breaks the contract "
                f"({exc.error_count()} errors; first at {where}: {first.get('type')})."
            )
            raise UpstreamProtocolError(msg) from None


def _batch_outcome(
    batches: Sequence[Sequence[UpdateExportJobItemV3]],
    answers: Sequence[ExportJobItemUpdateV3 | UpstreamError | None],
) -> ItemUpdateOutcome:
    """The joined outcome of the batches, or the error saying which ids were not applied."""
    items: list[ExportJobItemV3] = []
    errors: list[ExportJobItemUpdateErrorV3] = []
    applied: list[str] = []
    not_applied: list[str] = []
    first_error: UpstreamError | None = None
    for batch, answer in zip(batches, answers, strict=True):
        if isinstance(answer, ExportJobItemUpdateV3):
            items.extend(answer.data)
            errors.extend(answer.errors)
            refused = {error.accounting_entry_id for error in answer.errors}
            applied.extend(
                u.accounting_entry_id for u in batch if u.accounting_entry_id not in refused
            )
            continue
        if first_error is None and answer is not None:
            first_error = answer
        not_applied.extend(u.accounting_entry_id for u in batch)
    outcome = ItemUpdateOutcome(items=items, errors=errors)
    if first_error is None:
        return outcome
    if not any(isinstance(answer, ExportJobItemUpdateV3) for answer in answers):
        raise first_error
    raise ItemUpdateIncomplete(
        first_error,
        applied=applied,
        not_applied=not_applied,
        refused=len(errors),
        outcome=outcome,
    ) from first_error


def _identifier(value: str) -> str:
    if _IDENTIFIER.fullmatch(value) is None:
        msg = "an Export API id must be 1-128 letters, digits, '-' or '_'"
        raise ValueError(msg)
    return value

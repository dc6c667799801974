"""The typed async client for Pleo's Export API v3.

One :class:`ExportClient` per process wraps the one ``httpx.AsyncClient`` the app lifespan owns.
It adds what every call needs and httpx does not do by itself:

* an ``asyncio.Semaphore`` bounding requests in flight (httpx 0.28 slows down as concurrency
  rises; reliability.md §2.2 C);
* the tenant's ``Authorization`` header, sent only to the configured origin;
* every page of a cursor-paginated list, with a bound on the number of pages;
* pydantic validation of every answer and a mapping of every failure to :mod:`adapter.errors`
  (see :mod:`adapter.export.errors`);
* retries with capped full-jitter backoff for calls that are safe to repeat (GETs and the
  set-to-state item PUT). A job event is retried only when it was certainly never sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
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
from adapter.export.errors import (
    error_for_response,
    error_for_transport,
    parse_retry_after,
)
from adapter.export.health import UpstreamAnswers
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

# Answers worth another try for a call that is safe to repeat.
_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
# Failures that happen before any byte of the request left: safe to retry for any call.
_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Ids go into URL paths; only plain identifier characters, so no ``..``, ``/``, ``?`` or ``@``.
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")

_JOB_PAGE: Final = TypeAdapter(CursorPage[ExportJobV3])
_JOB_ITEM_PAGE: Final = TypeAdapter(CursorPage[ExportJobItemV3])
_EXPORT_ITEM_PAGE: Final = TypeAdapter(CursorPage[ExportItemV3])
_JOB: Final = TypeAdapter(DataResponse[ExportJobV3])
_ITEM_UPDATE: Final = TypeAdapter(ExportJobItemUpdateV3)

Sleep = Callable[[float], Awaitable[None]]


def build_http_client(
    *,
    timeout_seconds: float,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The process's one upstream client: explicit timeouts and pool, redirects never followed.

    It has no ``base_url``: :class:`ExportClient` joins its fixed paths to its own. The caller
    (the app lifespan) owns it and closes it.
    """
    if timeout_seconds <= 0:
        msg = "timeout_seconds must be positive"
        raise ConfigurationError(msg)
    if max_connections < 1:
        msg = "max_connections must be at least 1"
        raise ConfigurationError(msg)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        follow_redirects=False,
        transport=transport,
    )


@dataclass(frozen=True, slots=True)
class ExportClientMetrics:
    """Counters since start: HTTP attempts by operation and outcome, retries, concurrency."""

    requests: dict[str, dict[str, int]]
    retries: dict[str, int]
    in_flight: int
    peak_in_flight: int
    max_in_flight: int


class ExportClient:
    """Pleo's Export API v3, one method per endpoint the workflow uses.

    Args:
        http: the shared client (see :func:`build_http_client`); not closed here.
        base_url: the Export API origin, e.g. ``https://external.pleo.io``.
        max_in_flight: requests in flight at once through this client.
        page_limit: ``limit`` sent with every list request.
        retries: extra attempts for calls that may be retried.
        backoff_base, backoff_cap: full jitter, ``uniform(0, min(cap, base * 2**attempt))``;
            a ``Retry-After`` up to ``backoff_cap`` is slept exactly, a longer one is raised.
        max_pages: pages followed per list before the answer is called endless.
        max_response_bytes: a bigger body is refused (OWASP API10).
        sleep: awaited between attempts; tests pass a recorder.
        metrics: the app's Prometheus series (default: a private set).
        answers: the record of Pleo's last answers behind ``/readyz`` (default: a new one).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        max_in_flight: int = 8,
        page_limit: int = 100,
        retries: int = 2,
        backoff_base: float = 0.2,
        backoff_cap: float = 2.0,
        max_pages: int = 1000,
        max_response_bytes: int = 32 * 1024 * 1024,
        sleep: Sleep = asyncio.sleep,
        metrics: Metrics | None = None,
        answers: UpstreamAnswers | None = None,
    ) -> None:
        if max_in_flight < 1 or page_limit < 1 or max_pages < 1 or max_response_bytes < 1:
            msg = "max_in_flight, page_limit, max_pages and max_response_bytes must be positive"
            raise ConfigurationError(msg)
        if retries < 0 or backoff_base < 0 or backoff_cap < 0:
            msg = "retries and backoff must not be negative"
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
        self._http = http
        self._base = str(base).rstrip("/")
        self._origin = (base.scheme, base.host, base.port)
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._max_in_flight = max_in_flight
        self._page_limit = page_limit
        self._retries = retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_pages = max_pages
        self._max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._metrics = metrics if metrics is not None else Metrics()
        self.answers = answers if answers is not None else UpstreamAnswers()
        self._rng = random.Random()  # noqa: S311 -- backoff jitter, not a secret
        self._requests: Counter[tuple[str, str]] = Counter()
        self._retry_counts: Counter[str] = Counter()
        self._in_flight = 0
        self._peak_in_flight = 0

    def __repr__(self) -> str:
        return f"ExportClient(base_url={self._base!r}, max_in_flight={self._max_in_flight})"

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
        jobs = await self._collect("list_jobs", credential, "/v3/export-jobs", params, _JOB_PAGE)
        if company_id is not None and any(
            job.company_id.lower() != company_id.lower() for job in jobs
        ):
            msg = "Pleo listed export jobs of another company."
            raise UpstreamProtocolError(msg)
        return jobs

    async def get_job(self, credential: UpstreamCredential, job_id: str) -> ExportJobV3:
        """``GET /v3/export-jobs/{jobId}``."""
        path = f"/v3/export-jobs/{_identifier(job_id)}"
        content = await self._call("get_job", credential, "GET", path, idempotent=True)
        job = _parse("get_job", _JOB, content).data
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
        path = f"/v3/export-jobs/{_identifier(job_id)}/items"
        params = [] if status is None else [("status", ExportJobItemStatus(status).value)]
        items = await self._collect("list_job_items", credential, path, params, _JOB_ITEM_PAGE)
        if any(item.export_job_id.lower() != job_id.lower() for item in items):
            msg = "Pleo listed items of another export job."
            raise UpstreamProtocolError(msg)
        return items

    async def list_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportItemV3]:
        """``GET /v3/export-items?job_id=…``, every page (the data layer)."""
        params = [("job_id", _identifier(job_id))]
        return await self._collect(
            "list_export_items", credential, "/v3/export-items", params, _EXPORT_ITEM_PAGE
        )

    async def iter_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> AsyncIterator[list[ExportItemV3]]:
        """``GET /v3/export-items?job_id=…`` one page at a time, so a caller can translate and
        drop each page before the next arrives (a full item costs kilobytes as a model)."""
        params = [("job_id", _identifier(job_id))]
        async for page in self._pages(
            "list_export_items", credential, "/v3/export-items", params, _EXPORT_ITEM_PAGE
        ):
            yield page

    async def update_job_items(
        self,
        credential: UpstreamCredential,
        job_id: str,
        updates: Sequence[UpdateExportJobItemV3],
    ) -> ItemUpdateOutcome:
        """``PUT /v3/export-jobs/{jobId}/items`` in sequential batches of at most 100.

        Per-item ``errors[]`` of every batch are collected in the outcome. If a batch fails
        after an earlier one was applied, :class:`ItemUpdateIncomplete` says which ids were.
        If the first batch fails, its own error is raised: nothing was applied.
        """
        path = f"/v3/export-jobs/{_identifier(job_id)}/items"
        items: list[ExportJobItemV3] = []
        errors: list[ExportJobItemUpdateErrorV3] = []
        applied: list[str] = []
        for start in range(0, len(updates), MAX_ITEMS_PER_UPDATE):
            batch = updates[start : start + MAX_ITEMS_PER_UPDATE]
            body = jsonio.dumps(
                [u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in batch]
            )
            try:
                content = await self._call(
                    "update_job_items", credential, "PUT", path, body=body, idempotent=True
                )
                answer = _parse("update_job_items", _ITEM_UPDATE, content)
            except UpstreamError as exc:
                if start == 0:
                    raise
                not_applied = [u.accounting_entry_id for u in updates[start:]]
                outcome = ItemUpdateOutcome(items=items, errors=errors)
                raise ItemUpdateIncomplete(
                    exc,
                    applied=applied,
                    not_applied=not_applied,
                    refused=len(errors),
                    outcome=outcome,
                ) from exc
            items.extend(answer.data)
            errors.extend(answer.errors)
            failed = {error.accounting_entry_id for error in answer.errors}
            applied.extend(
                u.accounting_entry_id for u in batch if u.accounting_entry_id not in failed
            )
        return ItemUpdateOutcome(items=items, errors=errors)

    async def post_job_event(
        self, credential: UpstreamCredential, event: CreateExportJobEvent
    ) -> None:
        """``POST /v3/export-job-events`` (Pleo answers 202).

        Never retried once the request may have reached Pleo: after a timeout or a dropped
        connection, re-read the job with :meth:`get_job` and act on its status.
        """
        body = jsonio.dumps(event.model_dump(mode="json", by_alias=True, exclude_none=True))
        path = "/v3/export-job-events"
        await self._call("post_job_event", credential, "POST", path, body=body, idempotent=False)

    def metrics_snapshot(self) -> ExportClientMetrics:
        requests: dict[str, dict[str, int]] = {}
        for (operation, outcome), count in sorted(self._requests.items()):
            requests.setdefault(operation, {})[outcome] = count
        return ExportClientMetrics(
            requests=requests,
            retries=dict(sorted(self._retry_counts.items())),
            in_flight=self._in_flight,
            peak_in_flight=self._peak_in_flight,
            max_in_flight=self._max_in_flight,
        )

    # --- plumbing ----------------------------------------------------------------------------

    async def _collect(
        self,
        operation: str,
        credential: UpstreamCredential,
        path: str,
        params: list[tuple[str, str]],
        adapter: TypeAdapter[CursorPage[T]],
    ) -> list[T]:
        """Every page of a list, joined."""
        results: list[T] = []
        async for page in self._pages(operation, credential, path, params, adapter):
            results.extend(page)
        return results

    async def _pages(
        self,
        operation: str,
        credential: UpstreamCredential,
        path: str,
        params: list[tuple[str, str]],
        adapter: TypeAdapter[CursorPage[T]],
    ) -> AsyncIterator[list[T]]:
        """Each page of a list: ``after=<endCursor>`` while ``hasNextPage``, bounded."""
        seen: set[str] = set()
        after: str | None = None
        for _ in range(self._max_pages):
            query = [*params, ("limit", str(self._page_limit))]
            if after is not None:
                query.append(("after", after))
            content = await self._call(
                operation, credential, "GET", path, params=query, idempotent=True
            )
            page = _parse(operation, adapter, content)
            yield page.data
            if not page.pagination.has_next_page:
                return
            after = page.pagination.end_cursor
            if not after:
                msg = f"Pleo's answer to {operation} has a next page but no cursor."
                raise UpstreamProtocolError(msg)
            if after in seen:
                msg = f"Pleo's answer to {operation} repeated a page cursor."
                raise UpstreamProtocolError(msg)
            seen.add(after)
        msg = f"Pleo's answer to {operation} ran past {self._max_pages} pages."
        raise UpstreamProtocolError(msg)

    async def _call(
        self,
        operation: str,
        credential: UpstreamCredential,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        idempotent: bool,
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
        attempt = 0
        while True:
            error: UpstreamError
            try:
                response, content = await self._send(operation, request)
            except httpx.RequestError as exc:
                error = error_for_transport(operation, exc)
                if attempt >= self._retries or not (idempotent or isinstance(exc, _NEVER_SENT)):
                    raise error from exc
                delay = self._backoff(attempt)
            else:
                if response.is_success:
                    return content
                error = error_for_response(operation, response, content)
                if (
                    attempt >= self._retries
                    or not idempotent
                    or response.status_code not in _RETRY_STATUSES
                ):
                    raise error
                retry_after = parse_retry_after(error.headers.get("Retry-After"))
                if retry_after is None:
                    delay = self._backoff(attempt)
                elif retry_after <= self._backoff_cap:
                    delay = float(retry_after)
                else:
                    raise error  # Pleo asks for longer than a caller should wait here
            attempt += 1
            self._retry_counts[operation] += 1
            self._metrics.count_retry(operation)
            _log.debug("retrying %s in %.3f s (attempt %d): %s", operation, delay, attempt, error)
            await self._sleep(delay)

    async def _send(self, operation: str, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        """One HTTP attempt inside the semaphore; the body is read whole, up to the cap."""
        if (request.url.scheme, request.url.host, request.url.port) != self._origin:
            # Unreachable while URLs are base + fixed path; kept so a change cannot leak tokens.
            msg = "refusing to send a credential outside the configured Export API origin"
            raise UpstreamProtocolError(msg)
        async with self._semaphore:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            started = time.perf_counter()
            outcome = "error"
            status: int | None = None
            try:
                response = await self._http.send(request, stream=True, follow_redirects=False)
                status = response.status_code
                try:
                    content = await self._read(operation, response)
                finally:
                    await response.aclose()
                outcome = str(response.status_code)
            except (httpx.RequestError, UpstreamError) as exc:
                outcome = type(exc).__name__
                raise
            finally:
                self._in_flight -= 1
                elapsed = time.perf_counter() - started
                elapsed_ms = elapsed * 1000
                self._requests[(operation, _outcome_class(outcome))] += 1
                self._metrics.observe_upstream(operation, status, elapsed)
                self.answers.record(status)
                _log.debug("%s %s -> %s in %.1f ms", operation, request.method, outcome, elapsed_ms)
        return response, content

    async def _read(self, operation: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_response_bytes:
            msg = f"Pleo's answer to {operation} is larger than {self._max_response_bytes} bytes."
            raise UpstreamProtocolError(msg, upstream_status=response.status_code)
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content += chunk
            if len(content) > self._max_response_bytes:
                msg = (
                    f"Pleo's answer to {operation} is larger than {self._max_response_bytes} bytes."
                )
                raise UpstreamProtocolError(msg, upstream_status=response.status_code)
        return bytes(content)

    def _backoff(self, attempt: int) -> float:
        return self._rng.uniform(0.0, min(self._backoff_cap, self._backoff_base * 2**attempt))


def _outcome_class(outcome: str) -> str:
    """``200`` → ``2xx`` and so on, 429 kept apart; failures keep their exception name."""
    if outcome.isdigit() and outcome != "429":
        return f"{outcome[0]}xx"
    return outcome


def _identifier(value: str) -> str:
    if _IDENTIFIER.fullmatch(value) is None:
        msg = "an Export API id must be 1-128 letters, digits, '-' or '_'"
        raise ValueError(msg)
    return value


def _parse(operation: str, adapter: TypeAdapter[T], content: bytes) -> T:
    """Validate a whole answer or refuse it; never a half-parsed page."""
    try:
        return adapter.validate_json(content)
    except ValidationError as exc:
        first: dict[str, Any] = dict(exc.errors(include_input=False, include_url=False)[0])
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        msg = (
            f"Pleo's answer to {operation} breaks the contract "
            f"({exc.error_count()} errors; first at {where}: {first.get('type')})."
        )
        raise UpstreamProtocolError(msg) from None

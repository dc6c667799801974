"""One logical call to the Export API: deadline, shared GETs, retries, circuit breaker.

For each call :class:`UpstreamCalls` does, in this order:

1. take the open deadline (:mod:`adapter.export.deadline`), or open one of its own;
2. for a GET, join an identical call already in flight (:mod:`adapter.export.coalesce`);
3. run attempts under the retry policy (:mod:`adapter.export.retrying`); each attempt

   * is not started with less than the policy's headroom left (``UpstreamTimeout``,
     nothing sent),
   * asks the circuit breaker (:mod:`adapter.export.breaker`); refused, it raises
     ``UpstreamCircuitOpen`` with ``Retry-After`` at once, and is not retried,
   * is sent with every timeout lowered to what the deadline leaves
     (:mod:`adapter.export.transport`),
   * is judged: a 2xx body is returned; anything else becomes the mapped error
     (:mod:`adapter.export.errors`), retryable or not, and a verdict for the breaker.

Why cooperative deadlines rather than cancelling the caller: a cancelled coroutine stops
wherever it is, possibly between two writes whose bookkeeping belongs together (an item
batch applied but not yet recorded). Here the client refuses to start what cannot finish and
raises an ordinary exception at a well-defined point; ``ItemUpdateIncomplete`` can then still
say exactly which batches landed. The only cut inside an attempt is the attempt's own timeout,
which httpx turns into an error like any other timeout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx

from adapter.errors import UpstreamCircuitOpen, UpstreamError, UpstreamTimeout
from adapter.export.breaker import CircuitBreaker, UpstreamHealth
from adapter.export.coalesce import Coalescer
from adapter.export.deadline import Deadline, current_deadline, request_deadline
from adapter.export.errors import error_for_response, error_for_transport, parse_retry_after
from adapter.export.retrying import (
    AttemptFailed,
    Retry,
    RetryBudget,
    RetryPolicy,
    Sleep,
    headroom,
    retryable_status,
    retryable_transport_error,
)
from adapter.export.transport import Sender
from adapter.observability.metrics import Metrics

__all__ = ["UpstreamCalls"]

# A timeout after less than this says more about the caller's deadline than about Pleo.
_MIN_TIMEOUT_VERDICT_SECONDS = 1.0
# Failures on this side: they say nothing about Pleo's health.
_NO_VERDICT = (httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.LocalProtocolError)


class UpstreamCalls:
    """Runs logical calls through one :class:`Sender` with the resilience described above."""

    def __init__(
        self,
        sender: Sender,
        *,
        policy: RetryPolicy,
        budget: RetryBudget,
        breaker: CircuitBreaker,
        deadline_seconds: float,
        sleep: Sleep,
        clock: Callable[[], float],
        wall_clock: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self._sender = sender
        self._policy = policy
        self._budget = budget
        self._breaker = breaker
        self._deadline_seconds = deadline_seconds
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._metrics = metrics
        self._coalescer = Coalescer()
        self.retries: dict[str, int] = {}

    @property
    def shared(self) -> int:
        """GETs answered by a call another caller had started."""
        return self._coalescer.shared

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    def health(self) -> UpstreamHealth:
        return self._breaker.health()

    @contextmanager
    def deadline(self) -> Iterator[Deadline]:
        """The open deadline, or one of ``deadline_seconds`` for work outside any."""
        deadline = current_deadline()
        if deadline is not None:
            yield deadline
            return
        with request_deadline(self._deadline_seconds, clock=self._clock) as own:
            yield own

    async def call(
        self, operation: str, request: httpx.Request, *, retry: Retry, authorization: str
    ) -> bytes:
        """The body of a 2xx answer to ``request``, or the mapped error of the last attempt."""
        with self.deadline() as deadline:
            if request.method != "GET":
                return await self._with_retries(operation, request, retry, deadline)
            return await self._coalescer.run(
                Coalescer.key(str(request.url), authorization),
                lambda: self._with_retries(operation, request, retry, deadline),
                wait_seconds=deadline.remaining(),
                operation=operation,
            )

    async def _with_retries(
        self, operation: str, request: httpx.Request, retry: Retry, deadline: Deadline
    ) -> bytes:
        return await self._policy.run(
            lambda: self._attempt(operation, request, retry, deadline),
            operation=operation,
            retry=retry,
            deadline=deadline,
            budget=self._budget,
            sleep=self._sleep,
            on_retry=self._count_retry,
            on_budget_spent=self._metrics.count_retry_budget_exhausted,
        )

    def _count_retry(self, operation: str) -> None:
        self.retries[operation] = self.retries.get(operation, 0) + 1
        self._metrics.count_retry(operation)

    async def _attempt(
        self, operation: str, request: httpx.Request, retry: Retry, deadline: Deadline
    ) -> bytes:
        """One HTTP attempt, judged: the body of a 2xx, or :class:`AttemptFailed`."""
        left = deadline.remaining()
        if left < headroom(retry):
            msg = (
                f"No time was left to call Pleo for {operation} within the "
                f"{deadline.seconds:g} s deadline; nothing was sent."
            )
            raise AttemptFailed(UpstreamTimeout(msg), retryable=False)
        admission = self._breaker.allow()
        if not admission.granted:
            wait = max(1, math.ceil(admission.retry_after))
            msg = f"Pleo is failing; {operation} was not sent. Try again in {wait} s."
            raise AttemptFailed(
                UpstreamCircuitOpen(msg, headers={"Retry-After": str(wait)}), retryable=False
            )
        healthy: bool | None = None
        try:
            response, content = await self._sender.send(operation, request, left)
            healthy = response.status_code < 500
        except httpx.RequestError as exc:
            healthy = self._verdict(exc, left)
            raise AttemptFailed(
                error_for_transport(operation, exc),
                retryable=retryable_transport_error(exc, retry),
            ) from exc
        except UpstreamError as exc:  # refused on this side: too large, wrong origin
            raise AttemptFailed(exc, retryable=False) from None
        finally:
            self._breaker.record(admission, healthy)
        if response.is_success:
            return content
        now = self._wall_clock()
        error = error_for_response(operation, response, content, now=now)
        if not retryable_status(response.status_code, retry):
            raise AttemptFailed(error, retryable=False)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=now)
        raise AttemptFailed(
            error,
            retryable=True,
            retry_after=None if retry_after is None else float(retry_after),
        )

    def _verdict(self, exc: httpx.RequestError, left: float) -> bool | None:
        """What a request that got no answer says about Pleo's health (for the breaker).

        A timeout counts against Pleo unless the attempt had less than a second: that one
        was cut short by the caller's deadline rather than by Pleo's slowness.
        """
        if isinstance(exc, _NO_VERDICT) or not isinstance(exc, httpx.TransportError):
            return None
        if isinstance(exc, httpx.TimeoutException) and left < _MIN_TIMEOUT_VERDICT_SECONDS:
            return None
        return False

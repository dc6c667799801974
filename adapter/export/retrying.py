"""The one retry policy of the Export API client, on tenacity.

Which calls are retried, and when (reliability.md §1.2-1.4, pleo-api.md §6.4):

* GETs and the set-to-state item PUT (``Retry.SAFE``): after connect errors, timeouts, resets
  and the answers 429, 500, 502, 503 and 504;
* job events (``Retry.IF_NEVER_SENT``): only after a failure that proves the request never
  left (connect error, connect timeout, pool timeout). After anything else the event may have
  landed; the caller re-reads the job instead.

How long to wait: Pleo's ``Retry-After`` (seconds or HTTP-date) when it sends one; otherwise
full jitter, ``uniform(0, min(cap, base * 2**(retry - 1)))`` (AWS' "full jitter", tenacity's
``wait_random_exponential``).

When to stop, checked before every sleep, first reason wins:

1. ``attempts`` made (default 3);
2. the sleep plus the shortest useful attempt would not end before the deadline (so a
   ``Retry-After`` longer than what remains ends the call at once, carrying the header);
3. the retry budget is spent: retries in progress may not exceed 20 % of the calls in
   progress, or 3, whichever is more (Envoy's ``retry_budget``). A call refused a retry fails
   fast with its last error, and the refusal is counted.

Why tenacity 9.2.1 and not stamina 26.1.0 (which is built on it): stamina's backoff is
``min(max, initial * 2**n + uniform(0, jitter))``, not full jitter; its sleep cannot be
injected (its test mode sets every wait to 0, so a test could not check that ``Retry-After: 2``
waits two seconds); its ``timeout`` is its own clock rather than the request's deadline and
cannot see the coming sleep; and its configuration and instrumentation are process-global.
tenacity takes a ``sleep``, computes the next wait before asking ``stop`` (so ``stop`` can
compare wait and deadline), and its ``wait_random_exponential`` is full jitter.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, TypeVar

import httpx
import tenacity

from adapter.errors import UpstreamError
from adapter.export.deadline import Deadline

__all__ = [
    "MIN_ATTEMPT_SECONDS",
    "MIN_WRITE_SECONDS",
    "AttemptFailed",
    "Retry",
    "RetryBudget",
    "RetryPolicy",
    "Sleep",
    "headroom",
    "retryable_status",
    "retryable_transport_error",
]

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]

_log = logging.getLogger("adapter.export")

MIN_ATTEMPT_SECONDS: Final = 0.1
"""An attempt with less time than this left is not started: it could not get an answer."""
MIN_WRITE_SECONDS: Final = 1.0
"""A job event is not sent with less time than this left. Cut short after sending, it would
be ambiguous (did it land?); refused before sending, the caller knows it did not."""


class Retry(enum.Enum):
    SAFE = "safe"
    """Repeating the request changes nothing (GET, set-to-state PUT)."""
    IF_NEVER_SENT = "if_never_sent"
    """Repeat only if the request certainly never left (POST of a job event)."""


# Answers worth another try for a call that is safe to repeat.
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
# Failures that happen before any byte of the request left: safe to retry for any call.
_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures a second attempt may not meet: no answer in time, a dropped or reset connection.
_TRANSIENT: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def retryable_status(status: int, retry: Retry) -> bool:
    """Whether an answer with this status is worth another attempt of this call."""
    return retry is Retry.SAFE and status in _RETRY_STATUSES


def retryable_transport_error(exc: httpx.RequestError, retry: Retry) -> bool:
    """Whether a request that got no answer is worth another attempt of this call."""
    if isinstance(exc, _NEVER_SENT):
        return True
    return retry is Retry.SAFE and isinstance(exc, _TRANSIENT)


def headroom(retry: Retry) -> float:
    """The least time left for which an attempt of this call is started."""
    return MIN_ATTEMPT_SECONDS if retry is Retry.SAFE else MIN_WRITE_SECONDS


class AttemptFailed(Exception):
    """One failed attempt: the error to raise if it is the last, and what the policy needs."""

    def __init__(
        self, error: UpstreamError, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


class RetryBudget:
    """Envoy's retry budget: retries in progress may not exceed ``percent`` of the calls in
    progress, or ``min_concurrency``, whichever is more. One per client; no awaits inside."""

    def __init__(self, *, percent: float = 20.0, min_concurrency: int = 3) -> None:
        if not 0 <= percent <= 100 or min_concurrency < 0:
            msg = "percent must be within 0-100 and min_concurrency not negative"
            raise ValueError(msg)
        self._percent = percent
        self._min = min_concurrency
        self.calls = 0
        self.retries = 0

    @contextmanager
    def call(self) -> Iterator[None]:
        """Count one logical call (with all its attempts) as in progress."""
        self.calls += 1
        try:
            yield
        finally:
            self.calls -= 1

    def try_acquire(self) -> bool:
        """Take a retry slot, or refuse if the budget is spent."""
        limit = max(self._min, math.floor(self.calls * self._percent / 100))
        if self.retries >= limit:
            return False
        self.retries += 1
        return True

    def release(self) -> None:
        self.retries -= 1


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts and backoff; the deadline and the budget come per call and per client."""

    attempts: int = 3
    backoff_base: float = 0.25
    backoff_cap: float = 4.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff_base < 0 or self.backoff_cap < 0:
            msg = "attempts must be at least 1 and the backoff not negative"
            raise ValueError(msg)

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        operation: str,
        retry: Retry,
        deadline: Deadline,
        budget: RetryBudget,
        sleep: Sleep,
        on_retry: Callable[[str], None],
        on_budget_spent: Callable[[str], None],
    ) -> T:
        """Await ``attempt`` until it returns, or raise the last attempt's error.

        ``attempt`` raises :class:`AttemptFailed` for a failure the policy judges; anything
        else (a bug, a cancellation) goes straight through.
        """
        holding = False  # a budget slot taken for the attempt about to run

        def release() -> None:
            nonlocal holding
            if holding:
                budget.release()
                holding = False

        def should_stop(state: tenacity.RetryCallState) -> bool:
            nonlocal holding
            if state.attempt_number >= self.attempts:
                return True
            if state.upcoming_sleep + headroom(retry) > deadline.remaining():
                return True
            if not budget.try_acquire():
                on_budget_spent(operation)
                return True
            holding = True
            return False

        def before_sleep(state: tenacity.RetryCallState) -> None:
            on_retry(operation)
            _log.debug(
                "retrying %s in %.3f s (attempt %d): %s",
                operation,
                state.upcoming_sleep,
                state.attempt_number + 1,
                _failure(state).error,
            )

        async def attempt_once() -> T:
            try:
                return await attempt()
            finally:
                release()

        retrying = tenacity.AsyncRetrying(
            sleep=sleep,
            retry=tenacity.retry_if_exception(
                lambda exc: isinstance(exc, AttemptFailed) and exc.retryable
            ),
            wait=_RetryAfterOr(
                tenacity.wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_cap)
            ),
            stop=should_stop,
            before_sleep=before_sleep,
            reraise=True,
        )
        with budget.call():
            try:
                return await retrying(attempt_once)
            except AttemptFailed as failed:
                raise failed.error from failed.__cause__
            finally:
                release()  # cancelled during a backoff sleep


class _RetryAfterOr(tenacity.wait.wait_base):
    """Pleo's ``Retry-After`` if the failure carried one, else the given backoff."""

    def __init__(self, backoff: tenacity.wait.wait_base) -> None:
        self._backoff = backoff

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        retry_after = _failure(retry_state).retry_after
        if retry_after is not None:
            return retry_after
        return self._backoff(retry_state)


def _failure(state: tenacity.RetryCallState) -> AttemptFailed:
    # Only AttemptFailed is ever retried (see ``retry=`` above), so only it reaches here.
    exc = state.outcome.exception() if state.outcome is not None else None
    assert isinstance(exc, AttemptFailed)  # noqa: S101 -- guaranteed by the retry predicate
    return exc

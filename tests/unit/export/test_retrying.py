"""The retry policy: what is retried, and the budget that keeps retries from piling up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapter.errors import UpstreamUnavailable
from adapter.export.retrying import (
    Retry,
    RetryBudget,
    RetryPolicy,
    retryable_status,
    retryable_transport_error,
)
from adapter.tenancy import UpstreamCredential
from tests.support.export_rig import Rig
from tests.support.faults import Status, until

JOB_IDS = [f"0b0b0b0b-0000-4000-8000-0000000000{n:02d}" for n in range(10)]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_answers_are_retried_only_for_calls_safe_to_repeat(status: int) -> None:
    """429 and 500/502/503/504 are worth another GET or item PUT, never another job event."""
    assert retryable_status(status, Retry.SAFE)
    assert not retryable_status(status, Retry.IF_NEVER_SENT)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 501, 505])
def test_answers_a_retry_cannot_fix_are_never_retried(status: int) -> None:
    """Client errors and 501/505 are final for every call."""
    assert not retryable_status(status, Retry.SAFE)


@pytest.mark.parametrize(
    ("exc", "safe", "event"),
    [
        (httpx.ConnectError("refused"), True, True),
        (httpx.ConnectTimeout("slow"), True, True),
        (httpx.PoolTimeout("busy"), True, True),
        (httpx.ReadTimeout("silent"), True, False),
        (httpx.WriteTimeout("stuck"), True, False),
        (httpx.ReadError("reset"), True, False),
        (httpx.WriteError("broken pipe"), True, False),
        (httpx.RemoteProtocolError("cut"), True, False),
        (httpx.DecodingError("bad gzip"), False, False),
        (httpx.LocalProtocolError("our bug"), False, False),
    ],
)
def test_no_answer_is_retried_when_the_request_is_safe_or_never_left(
    exc: httpx.RequestError, safe: bool, event: bool
) -> None:
    """A failure before the request left is retried for every call; after it may have left,
    only for calls safe to repeat; a deterministic failure never."""
    assert retryable_transport_error(exc, Retry.SAFE) is safe
    assert retryable_transport_error(exc, Retry.IF_NEVER_SENT) is event


def test_the_budget_allows_twenty_percent_of_calls_in_progress_or_three() -> None:
    """With 5 calls in progress 3 retries may run (the minimum); with 30, 6 (20 %)."""
    budget = RetryBudget()
    with budget.call(), budget.call(), budget.call(), budget.call(), budget.call():
        assert [budget.try_acquire() for _ in range(4)] == [True, True, True, False]
        budget.release()
        assert budget.try_acquire() is True
    for _ in range(3):
        budget.release()

    many = RetryBudget()
    for _ in range(30):
        many.calls += 1
    assert sum(many.try_acquire() for _ in range(10)) == 6


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"backoff_base": -1.0}, {"backoff_cap": -0.5}],
)
def test_a_policy_that_cannot_work_is_refused(options: dict[str, Any]) -> None:
    """Zero attempts or a negative backoff is refused at construction."""
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(**options)


async def test_when_the_budget_is_spent_calls_fail_fast_and_it_is_counted(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """Ten calls failing at once with 503: three are retried (and succeed), seven fail fast
    with their 503, and the seven refusals are counted."""
    gate = asyncio.Event()
    r = rig([Status(503)] * 10, gate=gate, max_in_flight=10, circuit_failures=50)

    calls = asyncio.gather(
        *(r.client.get_job(credential, job_id) for job_id in JOB_IDS), return_exceptions=True
    )
    await until(lambda: r.transport.in_flight == 10)
    gate.set()
    outcomes = await calls

    failed = [o for o in outcomes if isinstance(o, UpstreamUnavailable)]
    assert (len(failed), len(outcomes) - len(failed)) == (7, 3)
    assert len(r.transport.requests) == 13
    spent = r.sample("adapter_upstream_retry_budget_exhausted_total", operation="get_job")
    assert spent == 7

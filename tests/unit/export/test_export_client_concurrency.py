"""In-flight requests are bounded by the client's semaphore, and the counters say so."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import UpstreamRejected
from adapter.export.client import ExportClient
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import JOB_ID, job_json


async def test_the_semaphore_caps_requests_in_flight(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """Twenty concurrent calls for different jobs with max_in_flight=3 never have more than
    three at Pleo at once."""
    in_flight = 0
    peak = 0

    async def slow_pleo(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"data": job_json(request.url.path.rsplit("/", 1)[1])})

    httpx_mock.add_callback(slow_pleo, is_reusable=True)
    client = make_client(max_in_flight=3)

    job_ids = [f"{JOB_ID[:-2]}{n:02d}" for n in range(20)]
    jobs = await asyncio.gather(*(client.get_job(credential, job_id) for job_id in job_ids))

    assert len(jobs) == 20
    assert peak == 3
    metrics = client.metrics_snapshot()
    assert (metrics.peak_in_flight, metrics.in_flight, metrics.max_in_flight) == (3, 0, 3)


async def test_metrics_count_attempts_by_operation_and_outcome(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Each HTTP attempt is counted under its operation with its status class or failure."""
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "0"})
    httpx_mock.add_exception(httpx.ConnectError("refused"))
    httpx_mock.add_response(json={"data": job_json()})
    httpx_mock.add_response(status_code=404)

    await client.get_job(credential, JOB_ID)
    with pytest.raises(UpstreamRejected):
        await client.get_job(credential, JOB_ID)

    metrics = client.metrics_snapshot()
    assert metrics.requests == {"get_job": {"2xx": 1, "429": 1, "4xx": 1, "ConnectError": 1}}
    assert metrics.retries == {"get_job": 2}

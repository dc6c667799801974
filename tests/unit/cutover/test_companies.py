"""The company of a request: configured, learnt from Pleo's job lists, or unknown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pytest_httpx import HTTPXMock

from adapter.cutover import CompanyCache, CompanyLearningClient, company_of
from adapter.export.client import build_http_client
from adapter.export.models import ExportJobStatus
from adapter.tenancy import Tenant, UpstreamCredential
from tests.support.clocks import FakeClock
from tests.support.pleo_payloads import BASE_URL, COMPANY_ID, job_json, page_json, url

KEY = UpstreamCredential.api_key("v3-canary")
OTHER_COMPANY = "0c0c0c0c-0000-4000-8000-000000000002"


@pytest.fixture
def cache() -> CompanyCache:
    return CompanyCache(maxsize=2)


@pytest.fixture
async def client(cache: CompanyCache) -> AsyncIterator[CompanyLearningClient]:
    async with build_http_client(timeout_seconds=5.0, max_connections=4) as http:
        yield CompanyLearningClient(http, base_url=BASE_URL, companies=cache)


def jobs_url() -> object:
    return url("/v3/export-jobs", [("statuses", "pending"), ("limit", "100")])


def test_credentials_mode_names_the_company() -> None:
    """A configured tenant's company is its own, lower-cased; nothing to learn."""
    tenant = Tenant(KEY, company_id=COMPANY_ID.upper())

    assert company_of(tenant, CompanyCache()) == COMPANY_ID


async def test_a_credentials_company_is_learnt_from_its_first_job_list(
    httpx_mock: HTTPXMock, client: CompanyLearningClient, cache: CompanyCache
) -> None:
    """Unknown until Pleo lists the credential's jobs; then known by its fingerprint only."""
    httpx_mock.add_response(url=jobs_url(), json=page_json([job_json()]))
    tenant = Tenant(KEY)
    before = company_of(tenant, cache)

    await client.list_jobs(KEY, statuses=[ExportJobStatus.PENDING])

    assert before is None
    assert company_of(tenant, cache) == COMPANY_ID
    assert company_of(Tenant(UpstreamCredential.api_key("another")), cache) is None


async def test_no_jobs_or_jobs_of_several_companies_teach_nothing(
    httpx_mock: HTTPXMock, client: CompanyLearningClient, cache: CompanyCache
) -> None:
    """An empty list, or one naming two companies, leaves the company unknown."""
    httpx_mock.add_response(url=jobs_url(), json=page_json([]))
    mixed = [job_json(), job_json("0b0b0b0b-0000-4000-8000-000000000009", OTHER_COMPANY)]
    httpx_mock.add_response(url=jobs_url(), json=page_json(mixed))

    await client.list_jobs(KEY, statuses=[ExportJobStatus.PENDING])
    await client.list_jobs(KEY, statuses=[ExportJobStatus.PENDING])

    assert len(cache) == 0


def test_the_cache_is_bounded_in_size_and_age(clock: FakeClock) -> None:
    """The oldest credential goes when the cache is full; any goes when it is too old."""
    cache = CompanyCache(maxsize=2, ttl_seconds=60, clock=clock)
    keys = [UpstreamCredential.api_key(f"key-{n}") for n in range(3)]
    for key in keys:
        cache.learn(key, COMPANY_ID)

    assert [cache.learnt(k) for k in keys] == [None, COMPANY_ID, COMPANY_ID]
    clock.advance(61)
    assert cache.learnt(keys[2]) is None

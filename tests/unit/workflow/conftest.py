"""Fixtures of the workflow unit tests: a scripted Pleo (pytest-httpx) and a workflow over it
with clocks the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pytest_httpx import HTTPXMock

from adapter.export.client import ExportClient, build_http_client
from adapter.mapping import load_mapping_table
from adapter.observability.metrics import Metrics
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow, WorkflowSettings
from tests.support.clocks import FakeClock, FakeNow
from tests.support.openapi import documents_available, validate_request_of
from tests.support.pleo_payloads import BASE_URL, COMPANY_ID
from tests.support.workflow_fakes import FakePleo


@pytest.fixture
def pleo(httpx_mock: HTTPXMock) -> FakePleo:
    return FakePleo(httpx_mock)


@pytest.fixture
def now() -> FakeNow:
    return FakeNow()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(CollectorRegistry())


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client(timeout_seconds=5.0, max_connections=8) as client:
        yield client


@pytest.fixture
def make_workflow(
    http: httpx.AsyncClient, store: MemoryStore, clock: FakeClock, now: FakeNow, metrics: Metrics
) -> Callable[..., JobWorkflow]:
    def make(**settings: Any) -> JobWorkflow:
        return JobWorkflow(
            client=ExportClient(http, base_url=BASE_URL, retries=0),
            store=store,
            table=load_mapping_table(),
            settings=WorkflowSettings(**settings),
            clock=clock,
            now=now,
            metrics=metrics,
        )

    return make


@pytest.fixture
def workflow(make_workflow: Callable[..., JobWorkflow]) -> JobWorkflow:
    return make_workflow()


@pytest.fixture
def tenant() -> Tenant:
    """A configured tenant (credentials mode) of COMPANY_ID."""
    return Tenant(UpstreamCredential.api_key("key-one"), company_id=COMPANY_ID)


@pytest.fixture(autouse=True)
def requests_follow_the_contract(httpx_mock: HTTPXMock) -> Iterator[None]:
    """After each test, every request the workflow sent must satisfy Pleo's OpenAPI."""
    yield
    if not documents_available():
        return
    for request in httpx_mock.get_requests():
        validate_request_of(request)

"""Fixtures for the Export API client tests: Pleo is faked at the transport by pytest-httpx.

Every request a test sends through ``httpx_mock`` is checked at teardown against Pleo's
published OpenAPI (``tests/contract/openapi.py``): parameters, security, media type and body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.export.client import ExportClient, build_http_client
from adapter.tenancy import UpstreamCredential
from tests.support.openapi import documents_available, validate_request_of
from tests.support.pleo_payloads import BASE_URL, CANARY


@pytest.fixture
def credential() -> UpstreamCredential:
    return UpstreamCredential.bearer(CANARY)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with build_http_client(timeout_seconds=5.0, max_connections=16) as client:
        yield client


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the client asked to sleep, in order; nothing really waits."""
    return []


@pytest.fixture
def make_client(http: httpx.AsyncClient, sleeps: list[float]) -> Callable[..., ExportClient]:
    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    def make(**options: Any) -> ExportClient:
        return ExportClient(http, base_url=BASE_URL, sleep=fake_sleep, **options)

    return make


@pytest.fixture
def client(make_client: Callable[..., ExportClient]) -> ExportClient:
    return make_client()


@pytest.fixture(autouse=True)
def requests_follow_the_contract(httpx_mock: HTTPXMock) -> Iterator[None]:
    """After each test, every request sent to the fake Pleo must satisfy Pleo's OpenAPI."""
    yield
    if not documents_available():
        return
    for request in httpx_mock.get_requests():
        if request.url.path.startswith("/v3/"):
            validate_request_of(request)

"""Fixtures for the Export API client tests: Pleo is faked at the transport by pytest-httpx,
or by :class:`FakePleo` behind the fault transport (``rig``) for seeded sequences of faults.

Every request a test sends through either is checked at teardown against Pleo's published
OpenAPI (``tests/contract/openapi.py``): parameters, security, media type and body.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.export.client import ExportClient, build_http_client
from adapter.observability.metrics import Metrics
from adapter.tenancy import UpstreamCredential
from tests.support.clocks import VirtualTime
from tests.support.export_rig import FakePleo, Rig
from tests.support.faults import FaultTransport
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


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def rig(vt: VirtualTime) -> AsyncIterator[Callable[..., Rig]]:
    """``rig(plan, **client_options)``: a client in front of a FakePleo behind a FaultTransport.

    At teardown every request that reached the transport must satisfy Pleo's OpenAPI."""
    transports: list[FaultTransport] = []
    async with contextlib.AsyncExitStack() as stack:

        def make(
            plan: Any = (), *, pleo: FakePleo | None = None, gate: Any = None, **options: Any
        ) -> Rig:
            pleo = pleo or FakePleo()
            transport = FaultTransport(pleo, plan, sleep=vt.elapse, now=vt.utc, gate=gate)
            transports.append(transport)
            http = build_http_client(timeout_seconds=15.0, max_connections=64, transport=transport)
            stack.push_async_callback(http.aclose)
            metrics = Metrics()
            client = ExportClient(
                http,
                base_url=BASE_URL,
                sleep=vt.sleep,
                clock=vt.monotonic,
                wall_clock=vt.utc,
                metrics=metrics,
                **options,
            )
            return Rig(client, transport, pleo, vt, metrics)

        yield make
    if documents_available():
        for transport in transports:
            for request in transport.requests:
                validate_request_of(request)

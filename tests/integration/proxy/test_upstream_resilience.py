"""The proxy in front of a misbehaving Pleo (the sandbox behind the fault transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file
from tests.support.faults import Fault, FaultTransport, Status, rate_limited
from tests.support.harness import PROXY, SANDBOX
from tests.support.legacy_errors import assert_legacy_error


@dataclass
class Faulty:
    proxy: httpx.AsyncClient
    faults: FaultTransport
    plan: list[Fault | None]
    token: str

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
async def faulty(tmp_path: Path) -> AsyncIterator[Faulty]:
    """The proxy (one attempt per call, 5 s deadline) whose Pleo is the sandbox behind a
    fault transport; the test appends faults to ``plan``."""
    sandbox = create_sandbox_app(SandboxConfig(seed=3, companies=1, jobs_per_company=1))
    plan: list[Fault | None] = []
    faults = FaultTransport(httpx.ASGITransport(app=sandbox), plan)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
    settings = Settings(
        export_api_url=SANDBOX,
        auth_mode="credentials",
        credentials_file=write_credentials_file(tmp_path / "credentials.toml", companies),
        discovery_min_interval_seconds=0,
        poll_interval_seconds=3600,
        upstream_retry_attempts=1,
        request_deadline_seconds=5,
    )
    app = create_app(settings, export_transport=faults)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=PROXY) as proxy,
    ):
        yield Faulty(proxy, faults, plan, companies[0]["legacyToken"])


async def test_a_legacy_request_shares_one_deadline_with_its_upstream_calls(
    faulty: Faulty,
) -> None:
    """With a 5 s request deadline, every call to Pleo is sent with at most 5 s of timeout
    (the configured 15 s is lowered), so the whole GET cannot outlast its deadline."""
    response = await faulty.proxy.get("/v1/expenses", headers=faulty.auth())

    assert response.status_code == 200
    assert faulty.faults.sent
    assert all(0 < (sent.timeout["read"] or 0) <= 5 for sent in faulty.faults.sent)


async def test_a_long_retry_after_reaches_the_legacy_client_at_once(faulty: Faulty) -> None:
    """F3: Pleo's 429 with Retry-After: 120 beyond the deadline becomes an immediate legacy
    503 carrying Retry-After: 120."""
    faulty.plan.append(rate_limited(120))

    response = await faulty.proxy.get("/v1/expenses", headers=faulty.auth())

    assert_legacy_error(response, 503, "rate limiting")
    assert response.headers["Retry-After"] == "120"
    assert len(faulty.faults.requests) == 1


async def test_an_open_circuit_answers_503_and_readyz_says_not_ready(faulty: Faulty) -> None:
    """F5: five 503s from Pleo open the circuit: the next GET is a legacy 503 with Retry-After
    that reaches nothing upstream, and /readyz answers 503 with the reason."""
    faulty.plan.extend([Status(503)] * 5)
    for _ in range(5):
        failed = await faulty.proxy.get("/v1/expenses", headers=faulty.auth())
        assert_legacy_error(failed, 503, "HTTP 503")

    refused = await faulty.proxy.get("/v1/expenses", headers=faulty.auth())
    readiness = await faulty.proxy.get("/readyz")

    assert_legacy_error(refused, 503, "not sent")
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert len(faulty.faults.requests) == 5
    assert readiness.status_code == 503
    assert readiness.json()["status"] == "not_ready"
    assert readiness.json()["checks"]["exportApi"].startswith("failing: circuit open")

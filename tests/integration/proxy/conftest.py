"""Fixtures of the in-process proxy tests: a sandbox and the proxy in front of it (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file
from tests.support.harness import PROXY, SANDBOX, Harness
from tests.support.recording import Recorder, RecordingTransport


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=7, companies=2, jobs_per_company=2, items_per_job=6)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def harness(
    tmp_path: Path, sandbox_config: SandboxConfig, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    sandbox = create_sandbox_app(sandbox_config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
        settings = Settings(
            export_api_url=SANDBOX,
            auth_mode="credentials",
            credentials_file=write_credentials_file(tmp_path / "credentials.toml", companies),
            **{
                "discovery_min_interval_seconds": 0,
                "poll_interval_seconds": 3600,
                # Scheduled rounds only when a test runs them (workflow.maintenance).
                "close_retry_seconds": 300,
                **settings_overrides,
            },
        )
        # The sandbox serves the legacy API too: used when a test sets legacy_api_url.
        legacy_answers = Recorder()
        proxy_app = create_app(
            settings,
            export_transport=httpx.ASGITransport(app=sandbox),
            legacy_transport=RecordingTransport(httpx.ASGITransport(app=sandbox), legacy_answers),
        )
        async with (
            LifespanManager(proxy_app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=PROXY
            ) as proxy,
        ):
            yield Harness(sandbox, admin, companies, proxy_app, proxy, settings, legacy_answers)


@pytest.fixture
def restart(harness: Harness) -> Callable[[], Any]:
    """Start a second proxy (fresh process state) against the same sandbox."""

    def _start() -> Any:
        app = create_app(
            harness.settings, export_transport=httpx.ASGITransport(app=harness.sandbox)
        )
        return LifespanManager(app)

    return _start

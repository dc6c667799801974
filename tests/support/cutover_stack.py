"""The proxy in front of an in-process sandbox (v3 and legacy API), with a cutover file.

Like :mod:`tests.support.harness`, in one event loop over ASGI, plus what the cutover tests
need: a recorder on each upstream (every request, headers and body), a gate that can hold the
Export API's answers (to prove a client never waits for a shadow comparison), a stand-in for
the legacy API when the sandbox's own will not do, and the proxy's metrics by name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from adapter.app import create_app
from adapter.cutover import Cutover
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file
from tests.support.cutover import write_cutover_file
from tests.support.harness import PROXY, SANDBOX
from tests.support.metrics_text import sample_value
from tests.support.recording import Recorder, RecordingTransport
from tests.support.sandbox import START as SANDBOX_START

__all__ = ["V3_WRITES", "CutoverStack", "Recorder", "cutover_stack"]

# Pleo's operations that change anything (sandbox operation names).
V3_WRITES = frozenset({"createExportJobEventV3", "updateExportJobItemsV3", "createExportJobV3"})


@dataclass
class CutoverStack:
    app: Starlette
    proxy: httpx.AsyncClient
    admin: httpx.AsyncClient
    companies: list[dict[str, Any]]
    cutover_file: Path
    legacy: Recorder
    v3: Recorder

    def auth(self, company: int = 0) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.companies[company]['legacyToken']}"}

    def company_id(self, company: int = 0) -> str:
        company_id: str = self.companies[company]["companyId"]
        return company_id

    def write(self, text: str) -> None:
        write_cutover_file(self.cutover_file, text)

    @property
    def cutover(self) -> Cutover:
        cutover: Cutover = self.app.state.cutover
        return cutover

    async def drain(self) -> None:
        """Wait until every shadow comparison started so far has finished."""
        await self.cutover.runner.drain()

    async def operations(self) -> dict[str, int]:
        """Requests the sandbox served, by operation (admin calls left out)."""
        stats = (await self.admin.get("/sandbox/stats")).json()["byOperation"]
        return {k: v for k, v in stats.items() if not k.startswith("admin")}

    async def ledger(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self.admin.get("/sandbox/ledger")).json()["entries"]
        return entries

    async def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of ``GET /metrics`` (0 when it is not there yet)."""
        return sample_value((await self.proxy.get("/metrics")).text, name, **labels)


@contextlib.asynccontextmanager
async def cutover_stack(
    tmp_path: Path,
    cutover: str,
    *,
    legacy: httpx.AsyncBaseTransport | None = None,
    v3_gate: asyncio.Event | None = None,
    sandbox_config: SandboxConfig | None = None,
    **settings: Any,
) -> AsyncIterator[CutoverStack]:
    """A proxy whose cutover file starts as ``cutover``; ``legacy`` stands in for the
    sandbox's legacy API; ``settings`` override the proxy's (credentials mode by default)."""
    sandbox = create_sandbox_app(
        # A fixed start: two stacks made seconds apart seed the same dates, so an answer taken
        # from one can be compared with the other's.
        sandbox_config
        or SandboxConfig(
            seed=7, companies=2, jobs_per_company=2, items_per_job=6, start_time=SANDBOX_START
        )
    )
    legacy_requests, v3_requests = Recorder(), Recorder()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
        cutover_file = write_cutover_file(tmp_path / "cutover.toml", cutover)
        values: dict[str, Any] = {
            "export_api_url": SANDBOX,
            "legacy_api_url": SANDBOX,
            "credentials_file": write_credentials_file(tmp_path / "tenants.toml", companies),
            "cutover_file": cutover_file,
            # Every request looks at the file: "the next request" is exact in these tests.
            "cutover_check_seconds": 0,
            "discovery_min_interval_seconds": 0,
            "poll_interval_seconds": 3600,
            **settings,
        }
        app = create_app(
            Settings(**values),
            export_transport=RecordingTransport(
                httpx.ASGITransport(app=sandbox), v3_requests, v3_gate
            ),
            legacy_transport=RecordingTransport(
                legacy or httpx.ASGITransport(app=sandbox), legacy_requests
            ),
        )
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                # A crash is the client's 500, as a server would send it, not a test error.
                transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
                base_url=PROXY,
            ) as proxy,
        ):
            yield CutoverStack(
                app, proxy, admin, companies, cutover_file, legacy_requests, v3_requests
            )

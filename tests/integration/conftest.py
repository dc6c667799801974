"""An in-process Pleo sandbox with the proxy in front of it, both reached through ASGI.

The proxy's upstream client is wired to the sandbox app with ``httpx.ASGITransport``, so a
whole export runs in one event loop with no sockets; the sandbox's ledger and stats say
exactly what reached "Pleo".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from adapter.app import create_app
from adapter.auth import hash_legacy_token
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings

SANDBOX = "http://sandbox.test"
PROXY = "http://proxy.test"


@dataclass
class Harness:
    sandbox: Starlette
    admin: httpx.AsyncClient
    companies: list[dict[str, Any]]
    proxy_app: Starlette
    proxy: httpx.AsyncClient
    settings: Settings
    _extra: list[Any] = field(default_factory=list)

    def auth(self, company: int = 0) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.companies[company]['legacyToken']}"}

    async def ledger(self, company: int | None = None) -> list[dict[str, Any]]:
        params = {} if company is None else {"company_id": self.companies[company]["companyId"]}
        entries: list[dict[str, Any]] = (
            await self.admin.get("/sandbox/ledger", params=params)
        ).json()["entries"]
        return entries

    async def upstream_calls(self) -> dict[str, int]:
        stats = (await self.admin.get("/sandbox/stats")).json()
        return {k: v for k, v in stats["byOperation"].items() if not k.startswith("admin")}

    async def queued(self, company: int = 0, **params: Any) -> list[dict[str, Any]]:
        response = await self.proxy.get(
            "/v1/expenses",
            params={"status": "QUEUED", "pageSize": 1000, **params},
            headers=self.auth(company),
        )
        assert response.status_code == 200, response.text
        expenses: list[dict[str, Any]] = response.json()["expenses"]
        return expenses

    async def put(self, ids: list[str], status: str, company: int = 0) -> httpx.Response:
        return await self.proxy.put(
            "/v1/expenses", json={"expenseIds": ids, "status": status}, headers=self.auth(company)
        )


def credentials_file(path: Path, companies: list[dict[str, Any]]) -> Path:
    path.write_text(
        "\n".join(
            "[[tenants]]\n"
            f'company_id = "{c["companyId"]}"\n'
            f'legacy_token_sha256 = "{hash_legacy_token(c["legacyToken"])}"\n'
            f'api_key = "{c["apiKey"]}"\n'
            for c in companies
        ),
        encoding="utf-8",
    )
    return path


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
            credentials_file=credentials_file(tmp_path / "credentials.toml", companies),
            **{
                "discovery_min_interval_seconds": 0,
                "poll_interval_seconds": 3600,
                **settings_overrides,
            },
        )
        proxy_app = create_app(settings, export_transport=httpx.ASGITransport(app=sandbox))
        async with (
            LifespanManager(proxy_app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=PROXY
            ) as proxy,
        ):
            yield Harness(sandbox, admin, companies, proxy_app, proxy, settings)


@pytest.fixture
def restart(harness: Harness) -> Callable[[], Any]:
    """Start a second proxy (fresh process state) against the same sandbox."""

    def _start() -> Any:
        app = create_app(
            harness.settings, export_transport=httpx.ASGITransport(app=harness.sandbox)
        )
        return LifespanManager(app)

    return _start

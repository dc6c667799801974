"""An in-process Pleo sandbox with the proxy in front of it, both reached through ASGI.

The proxy's upstream client is wired to the sandbox app with ``httpx.ASGITransport``, so a
whole export runs in one event loop with no sockets; the sandbox's ledger and stats say
exactly what reached "Pleo".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from adapter.settings import Settings
from tests.support.recording import Recorder

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
    legacy_answers: Recorder
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

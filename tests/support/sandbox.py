"""Helpers shared by the sandbox's behaviour and contract tests."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette

from adapter.sandbox import SandboxConfig, SandboxRuntime, create_sandbox_app

PLEO_JSON = "application/json;charset=UTF-8"
START = datetime(2026, 5, 4, 12, 0, 0, tzinfo=UTC)


def make_app(**overrides: Any) -> Starlette:
    """A sandbox with a frozen clock (it only moves through ``POST /sandbox/clock``)."""
    settings: dict[str, Any] = {
        "seed": 7,
        "start_time": START,
        "clock_follows_real_time": False,
    }
    settings.update(overrides)
    return create_sandbox_app(SandboxConfig(**settings))


def runtime_of(app: Starlette) -> SandboxRuntime:
    """The runtime behind an app made by ``create_sandbox_app``."""
    runtime = app.state.sandbox
    assert isinstance(runtime, SandboxRuntime)
    return runtime


@asynccontextmanager
async def client_for(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client (no network)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield client


def basic(api_key: str) -> dict[str, str]:
    """HTTP Basic with the API key as username and an empty password."""
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    """``Authorization: Bearer <token>``."""
    return {"Authorization": f"Bearer {token}"}


def legacy_auth(company: dict[str, Any]) -> dict[str, str]:
    """A seeded company's legacy API token as ``Authorization: Bearer``."""
    return bearer(company["legacyToken"])


def json_body(body: Any) -> dict[str, Any]:
    """Keyword arguments for an httpx call sending ``body`` as Pleo's request media type."""
    return {"content": orjson.dumps(body), "headers": {"Content-Type": PLEO_JSON}}


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    auth: dict[str, str],
    *,
    body: Any = None,
    params: Any = None,
) -> httpx.Response:
    """Send a request with credentials and, when given, a JSON body in Pleo's media type."""
    headers = dict(auth)
    content = None
    if body is not None:
        content = orjson.dumps(body)
        headers["Content-Type"] = PLEO_JSON
    return await client.request(method, url, headers=headers, content=content, params=params)


async def start_job(client: httpx.AsyncClient, auth: dict[str, str], job_id: str) -> None:
    """Claim a job with a ``started`` event."""
    response = await send(
        client, "POST", "/v3/export-job-events", auth, body={"event": "started", "jobId": job_id}
    )
    assert response.status_code == 202, response.text

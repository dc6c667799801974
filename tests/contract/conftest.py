"""Fixtures for the contract tests: an in-process sandbox and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.sandbox.support import client_for, make_app


@pytest.fixture
def sandbox_app() -> Starlette:
    """A sandbox of 2 companies x 4 jobs x 25 items with a frozen clock."""
    return make_app(jobs_per_company=4)


@pytest.fixture
async def client(sandbox_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client driving the sandbox in-process."""
    async with client_for(sandbox_app) as http:
        yield http


@pytest.fixture
async def companies(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The seeded companies and their credentials."""
    response = await client.get("/sandbox/companies")
    assert response.status_code == 200
    result: list[dict[str, Any]] = response.json()
    return result

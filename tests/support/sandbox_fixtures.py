"""Fixtures for tests that drive an in-process sandbox; each folder's conftest sets ``sandbox_app``.

Registered as a plugin by the root ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.sandbox import client_for


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

"""Fixtures for the contract tests: an in-process sandbox and a client for it."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.support.sandbox import make_app


@pytest.fixture
def sandbox_app() -> Starlette:
    """A sandbox of 2 companies x 4 jobs x 25 items with a frozen clock."""
    return make_app(jobs_per_company=4)

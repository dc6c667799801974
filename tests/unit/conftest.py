"""Fixtures shared by the unit tests: a clean ``ADAPTER_*`` environment and a fake clock."""

from __future__ import annotations

import os

import pytest

from tests.support.clocks import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``ADAPTER_*`` variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("ADAPTER_"):
            monkeypatch.delenv(name)
    return monkeypatch

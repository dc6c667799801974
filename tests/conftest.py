"""Fixtures every test may use; the sandbox fixtures are a plugin in ``tests/support``."""

from __future__ import annotations

pytest_plugins = ["tests.support.sandbox_fixtures"]

"""Fixtures every test may use; the log and sandbox fixtures are plugins in ``tests/support``."""

from __future__ import annotations

pytest_plugins = ["tests.support.log_fixtures", "tests.support.sandbox_fixtures"]

"""An in-process fake of Pleo: Export API v3 and the legacy Expenses API over one seeded dataset.

Start it with ``pleo-export-adapter sandbox`` or build it in a test with
``create_sandbox_app(SandboxConfig(...))`` and drive it through ``httpx.ASGITransport``.
"""

from __future__ import annotations

from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["SandboxConfig", "SandboxRuntime", "create_sandbox_app"]

"""An in-process fake of Pleo: Export API v3 and the whole legacy API over one seeded dataset.

Start it with ``pleo-export-adapter sandbox`` or build it in a test with
``create_sandbox_app(SandboxConfig(...))`` and drive it through ``httpx.ASGITransport``.

- ``/v3/...``: the Export API as published (``export_routes``; rules in ``state``).
- ``/v1/...``: every operation of Pleo's legacy document (``legacy_operations``): expenses and
  receipts (``legacy_expenses``, rendered by ``legacy_render`` with the legacy-only values of
  ``legacy_facts``), reference resources (``legacy_resource_table`` over ``legacy_directory``),
  health, balance and team membership (``legacy_company``); legacy errors and paging in
  ``legacy_http``. The legacy view holds what the real legacy API holds and v3 does not, has
  documented noise (``updatedAt`` of every 7th expense moves on each read) and a fault knob
  (``POST /sandbox/legacy/disagreements``), so a legacy-vs-proxy comparison has something real
  to find.
- ``/sandbox/...``: admin routes (``admin_routes``), open on loopback, behind a Bearer admin
  token otherwise (``admin_auth``).
- Statistics name v3 calls by Pleo's operationId and legacy calls ``legacy:<operationId>``
  (``operations``). Data: ``reference`` (constants), ``companies``, ``dataset`` (entries).
"""

from __future__ import annotations

from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["SandboxConfig", "SandboxRuntime", "create_sandbox_app"]

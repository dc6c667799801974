"""The proxy once shutdown has begun (what SIGTERM starts, see tests/e2e/test_shutdown.py):
readiness says stopping, new legacy work is refused with the legacy 503, probes still answer."""

from __future__ import annotations

from tests.support.harness import Harness
from tests.support.legacy_errors import assert_legacy_error


async def test_once_shutdown_began_readyz_says_stopping_and_legacy_calls_get_503(
    harness: Harness,
) -> None:
    """After shutdown begins, /readyz answers 503 "stopping", /livez still 200, and a legacy
    GET gets the legacy 503 with Retry-After without anything reaching Pleo."""
    assert (await harness.proxy.get("/readyz")).status_code == 200
    before = await harness.upstream_calls()

    harness.proxy_app.state.shutdown.begin()

    ready = await harness.proxy.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "stopping"
    assert (await harness.proxy.get("/livez")).status_code == 200
    refused = await harness.proxy.get("/v1/expenses", headers=harness.auth())
    assert_legacy_error(refused, 503, "shutting down")
    assert refused.headers["Retry-After"] == "1"
    assert await harness.upstream_calls() == before

"""Pleo unreachable, against the real ``serve`` process: 503 at once, and /readyz says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.credentials import write_credentials_file
from tests.support.legacy_errors import assert_legacy_error
from tests.support.processes import HOST, ManagedProcess, free_port, start_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

COMPANY = {
    "companyId": "0c0c0c0c-0000-4000-8000-000000000001",
    "legacyToken": "legacy-token-of-a-company-whose-pleo-is-down",
    "apiKey": "api-key-never-sent-anywhere",
}


@pytest.fixture
def proxy_without_pleo(tmp_path: Path) -> Iterator[ManagedProcess]:
    """The proxy with ADAPTER_EXPORT_API_URL on a loopback port where nothing listens."""
    credentials = write_credentials_file(tmp_path / "credentials.toml", [COMPANY])
    proxy = start_proxy(
        tmp_path / "logs",
        sandbox_url=f"http://{HOST}:{free_port()}",
        credentials_file=credentials,
        extra_env={"ADAPTER_UPSTREAM_RETRY_ATTEMPTS": "1"},
    )
    try:
        yield proxy
    finally:
        proxy.stop()


def test_a_refused_connection_is_503_and_opens_the_circuit(
    proxy_without_pleo: ManagedProcess,
) -> None:
    """Connection refused answers 503 (not 502); after five failures the circuit opens: calls
    answer 503 with Retry-After without trying, and /readyz reports not ready."""
    auth = {"Authorization": f"Bearer {COMPANY['legacyToken']}"}
    with httpx.Client(base_url=proxy_without_pleo.url, timeout=30) as client:
        assert client.get("/readyz").status_code == 200
        for _ in range(5):
            refused = client.get("/v1/expenses", params={"status": "QUEUED"}, headers=auth)
            assert_legacy_error(refused, 503, "could not be reached")

        open_circuit = client.get("/v1/expenses", params={"status": "QUEUED"}, headers=auth)
        readiness = client.get("/readyz")

    assert_legacy_error(open_circuit, 503, "not sent")
    assert 1 <= int(open_circuit.headers["Retry-After"]) <= 30
    assert readiness.status_code == 503
    assert "circuit open" in readiness.json()["checks"]["exportApi"]

"""The real ``serve`` process: JSON lines on stdout, one per request with its id, and /metrics."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import ManagedProcess, Sandbox

pytestmark = pytest.mark.e2e


def _log_lines(proxy: ManagedProcess) -> list[dict[str, Any]]:
    """Every line the process wrote, each parsed as JSON (a line that is not fails the test)."""
    text = proxy.log_path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_serve_writes_one_json_access_line_per_request_and_serves_metrics(
    sandbox: Sandbox, proxy: ManagedProcess
) -> None:
    """After an export, stdout holds one JSON access line per request and /metrics counts it."""
    company = sandbox.companies[0]
    auth = {"Authorization": f"Bearer {company['legacyToken']}"}
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        queued = client.get(
            "/v1/expenses",
            params={"status": "QUEUED", "pageSize": 1000},
            headers={**auth, "X-Request-Id": "e2e-list"},
        )
        ids = [e["id"] for e in queued.json()["expenses"]]
        for status in ("EXPORTING", "EXPORTED"):
            response = client.put(
                "/v1/expenses",
                json={"expenseIds": ids, "status": status},
                headers={**auth, "X-Request-Id": f"e2e-{status.lower()}"},
            )
            assert response.status_code == 200
        metrics = client.get("/metrics")
    # An access line is written just after its response is sent: stop the process to read all.
    proxy.stop()

    lines = _log_lines(proxy)
    access = [line for line in lines if line.get("logger") == "adapter.access"]
    assert [(a["request_id"], a["method"], a["route"], a["status"]) for a in access] == [
        ("e2e-list", "GET", "/v1/expenses", 200),
        ("e2e-exporting", "PUT", "/v1/expenses", 200),
        ("e2e-exported", "PUT", "/v1/expenses", 200),
    ]
    assert all(isinstance(a["duration_ms"], float) and a["timestamp"] for a in access)
    audit_ids = {line.get("request_id") for line in lines if line.get("audit")}
    assert audit_ids == {"e2e-exporting", "e2e-exported"}
    assert company["legacyToken"] not in proxy.log_path.read_text(encoding="utf-8")

    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.text)
        for s in family.samples
    }
    put = (("method", "PUT"), ("route", "/v1/expenses"), ("status_class", "2xx"))
    assert samples[("adapter_http_requests_total", put)] == 2
    assert samples[("adapter_export_jobs_claimed_total", ())] == 1
    upstream = (("operation", "post_job_event"), ("status_class", "2xx"))
    assert samples[("adapter_upstream_requests_total", upstream)] == 2

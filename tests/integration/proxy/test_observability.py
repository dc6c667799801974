"""What an operator sees of a whole export: /metrics series, access and audit lines, /readyz."""

from __future__ import annotations

import re
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from adapter.app import create_app
from adapter.observability.context import company_hash
from adapter.observability.metrics import CONTENT_TYPE
from adapter.settings import Settings
from tests.support.harness import SANDBOX, Harness
from tests.support.log_fixtures import CapturedLogs

_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
# Longer runs of letters and digits than any label value the proxy sets: ids, keys, tokens.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_+/=-]{25,}")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _export_everything(harness: Harness) -> list[str]:
    """GET QUEUED, PUT EXPORTING, PUT EXPORTED for the first company; the expense ids."""
    ids = [e["id"] for e in await harness.queued()]
    assert (await harness.put(ids, "EXPORTING")).status_code == 200
    assert (await harness.put(ids, "EXPORTED")).status_code == 200
    return ids


async def _samples(harness: Harness) -> Samples:
    response = await harness.proxy.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of ``name`` over every series whose labels include ``labels``."""
    return sum(
        value
        for (sample, series), value in samples.items()
        if sample == name and set(labels.items()) <= set(series)
    )


async def test_metrics_after_an_export_count_requests_upstream_calls_and_jobs(
    harness: Harness,
) -> None:
    """After one export, /metrics shows non-zero request, upstream, job and item series."""
    ids = await _export_everything(harness)
    samples = await _samples(harness)
    requests = "adapter_http_requests_total"
    assert _total(samples, requests, route="/v1/expenses", method="GET", status_class="2xx") == 1
    assert _total(samples, requests, route="/v1/expenses", method="PUT", status_class="2xx") == 2
    upstream = "adapter_upstream_requests_total"
    for operation in ("list_jobs", "list_job_items", "list_export_items", "update_job_items"):
        assert _total(samples, upstream, operation=operation, status_class="2xx") >= 1, operation
    assert _total(samples, upstream, operation="post_job_event", status_class="2xx") == 2
    assert _total(samples, "adapter_upstream_request_duration_seconds_count") > 0
    assert _total(samples, "adapter_export_jobs_claimed_total") == 1
    assert _total(samples, "adapter_export_jobs_closed_total", outcome="completed") == 1
    items = "adapter_export_items_updated_total"
    assert _total(samples, items, status="in_progress") == len(ids)
    assert _total(samples, items, status="successful") == len(ids)
    assert _total(samples, "adapter_http_request_duration_seconds_count") == 3


async def test_metric_labels_never_hold_ids_or_credentials(harness: Harness) -> None:
    """No label value looks like an id or a token, and none is a tenant's secret or company."""
    await _export_everything(harness)
    await harness.proxy.get(
        "/v1/expenses/3c90c3cc-0d44-4b50-8888-8dd25736052a", headers=harness.auth()
    )
    await harness.proxy.get("/v1/no-such-route/12345678-aaaa-bbbb-cccc-1234567890ab")
    secrets = {
        str(company[key])
        for company in harness.companies
        for key in ("companyId", "apiKey", "bearerToken", "legacyToken")
    }
    values = {value for (_, labels) in await _samples(harness) for _, value in labels}
    assert "/v1/expenses/{expenseId}" in values
    assert "unmatched" in values
    for value in values:
        assert not _UUID.search(value), value
        assert not _TOKEN_LIKE.search(value), value
        assert value not in secrets


async def test_each_request_has_one_access_line_and_its_id_on_every_line(
    harness: Harness, logs: CapturedLogs
) -> None:
    """Every line written while a request runs carries its id; each request has one access line."""
    ids = [e["id"] for e in await harness.queued()]
    response = await harness.proxy.put(
        "/v1/expenses",
        json={"expenseIds": ids, "status": "EXPORTING"},
        headers={**harness.auth(), "X-Request-Id": "put-exporting-1"},
    )
    assert response.status_code == 200
    await harness.proxy.get("/readyz")
    await harness.proxy.get("/metrics")
    access = logs.events("request", logger="adapter.access")
    assert [(line["method"], line["route"], line["status"]) for line in access] == [
        ("GET", "/v1/expenses", 200),
        ("PUT", "/v1/expenses", 200),
    ]
    assert access[1]["request_id"] == "put-exporting-1"
    assert access[0]["request_id"] != access[1]["request_id"]
    company = company_hash(harness.companies[0]["companyId"])
    assert {line["company_hash"] for line in access} == {company}
    of_put = [line for line in logs.lines() if line.get("request_id") == "put-exporting-1"]
    audited = [line for line in of_put if line["logger"] == "adapter.audit"]
    assert [(a["event"], a.get("job_event"), a.get("item_count")) for a in audited] == [
        ("job event", "started", None),
        ("item status change", None, len(ids)),
    ]
    assert all(a["company_hash"] == company and a["outcome"] == "accepted" for a in audited)
    assert harness.companies[0]["companyId"] not in logs.text


async def test_an_export_audits_every_status_change_sent_to_pleo(
    harness: Harness, logs: CapturedLogs
) -> None:
    """started, each item status, completed: one audit line each, as the sandbox's ledger has."""
    ids = await _export_everything(harness)
    audit = [line for line in logs.lines() if line.get("audit")]
    assert [
        (a.get("job_event"), a.get("item_status"), a.get("item_count"), a["outcome"]) for a in audit
    ] == [
        ("started", None, None, "accepted"),
        (None, "in_progress", len(ids), "accepted"),
        (None, "successful", len(ids), "accepted"),
        ("completed", None, None, "accepted"),
    ]
    ledger = await harness.ledger(0)
    assert len({a["job_id"] for a in audit}) == 1
    assert {e["jobId"] for e in ledger} == {audit[0]["job_id"]}


async def test_a_canary_token_sent_as_authorization_never_reaches_the_logs(
    harness: Harness, logs: CapturedLogs
) -> None:
    """A token or API key a client sends is in no log line, refused or forwarded to Pleo."""
    canary = "canary-7f3b9e2a41d8c6"
    api_key = harness.companies[0]["apiKey"]
    # Passthrough: the client's own credential goes to Pleo (the sandbox) as it came.
    app = create_app(
        Settings(export_api_url=SANDBOX, auth_mode="passthrough"),
        export_transport=httpx.ASGITransport(app=harness.sandbox),
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://passthrough.test"
        ) as proxy,
    ):
        refused = await proxy.get("/v1/expenses", headers={"Authorization": f"Bearer {canary}"})
        ok = await proxy.get("/v1/expenses", auth=httpx.BasicAuth(api_key, ""))
    # Credentials mode: an unknown legacy token is refused before anything goes upstream.
    unknown = await harness.proxy.get("/v1/expenses", headers={"Authorization": canary})
    assert (refused.status_code, ok.status_code, unknown.status_code) == (401, 200, 401)
    assert len(logs.events("request", logger="adapter.access")) == 3
    assert canary not in logs.text
    assert api_key not in logs.text
    assert "company_hash" not in logs.events("request")[1]  # passthrough: only Pleo knows it


async def test_readyz_reports_the_store_and_the_export_api(harness: Harness) -> None:
    """/readyz is 'unknown' on the Export API before any call, then 'ok' once Pleo answered."""
    before = await harness.proxy.get("/readyz")
    assert (before.status_code, before.json()) == (
        200,
        {"status": "ready", "checks": {"store": "ok", "exportApi": "unknown"}},
    )
    await harness.queued()
    after = await harness.proxy.get("/readyz")
    assert after.json()["checks"] == {"store": "ok", "exportApi": "ok"}


async def test_readyz_is_not_ready_while_pleo_keeps_failing_and_recovers(
    harness: Harness,
) -> None:
    """Five failed attempts in a row make the proxy not ready; Pleo's next answer undoes it."""
    await harness.queued()
    fault: dict[str, Any] = {
        "status": 503,
        "count": 6,
        "path": "export-jobs$",
        "method": "GET",
        "headers": {"Retry-After": "0"},  # retried at once: no real sleeping in the test
    }
    assert (await harness.admin.post("/sandbox/faults", json=fault)).status_code == 201
    for _ in range(2):  # three attempts each (two retries), every one a 503
        failed = await harness.proxy.get("/v1/expenses", headers=harness.auth())
        assert failed.status_code == 503
    not_ready = await harness.proxy.get("/readyz")
    assert not_ready.status_code == 503
    body = not_ready.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["store"] == "ok"
    assert body["checks"]["exportApi"].startswith("failing: the last 6 attempts")
    assert "HTTP 503" in body["checks"]["exportApi"]
    await harness.queued()
    assert (await harness.proxy.get("/readyz")).json()["status"] == "ready"


async def test_a_start_pleo_refuses_is_audited_with_the_jobs_real_status(
    harness: Harness, logs: CapturedLogs
) -> None:
    """When another client started the job first, the audit line says so: confirmed, in_progress."""
    ids = [e["id"] for e in await harness.queued()]
    v3 = {"Authorization": f"Bearer {harness.companies[0]['bearerToken']}"}
    jobs = (await harness.admin.get("/v3/export-jobs", headers=v3)).json()["data"]
    oldest = min(jobs, key=lambda job: job["createdAt"])["id"]
    started = await harness.admin.post(
        "/v3/export-job-events", json={"event": "started", "jobId": oldest}, headers=v3
    )
    assert started.status_code == 202
    assert (await harness.put(ids, "EXPORTING")).status_code == 200
    (event,) = [line for line in logs.lines() if line.get("job_event") == "started"]
    assert (event["job_id"], event["outcome"], event["job_status"]) == (
        oldest,
        "confirmed",
        "in_progress",
    )
    assert _total(await _samples(harness), "adapter_export_jobs_claimed_total") == 1


async def test_items_pleo_did_not_take_are_audited_as_not_applied_and_not_counted(
    harness: Harness, logs: CapturedLogs
) -> None:
    """A failed item update leaves an audit line with its error, and no item is counted."""
    ids = [e["id"] for e in await harness.queued()]
    fault = {"status": 503, "count": 3, "path": "/items$", "method": "PUT"}
    fault["headers"] = {"Retry-After": "0"}
    assert (await harness.admin.post("/sandbox/faults", json=fault)).status_code == 201
    assert (await harness.put(ids, "EXPORTING")).status_code == 503
    (line,) = [line for line in logs.lines() if line.get("item_status")]
    assert (line["item_count"], line["outcome"], line["error"]) == (
        len(ids),
        "not_applied",
        "UPSTREAM_UNAVAILABLE",
    )
    assert line["level"] == "warning"
    samples = await _samples(harness)
    assert _total(samples, "adapter_export_items_updated_total") == 0
    assert _total(samples, "adapter_upstream_retries_total", operation="update_job_items") == 2

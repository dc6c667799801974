"""Behaviour of the sandbox's admin endpoints: jobs from the queue, ledger, faults, RTT, stats."""

from __future__ import annotations

from typing import Any

from tests.support.openapi import assert_exception_info, validate_exchange
from tests.support.sandbox import basic, runtime_of, send, start_job


async def test_healthz_answers_ok(client):
    """The readiness endpoint answers 200 {"status": "ok"}."""
    response = await client.get("/sandbox/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_companies_list_credentials(client, companies):
    """Each seeded company has an id and three distinct credentials."""
    assert len(companies) == 2
    for company in companies:
        assert {"companyId", "apiKey", "bearerToken", "legacyToken"} <= set(company)
        assert len({company["apiKey"], company["bearerToken"], company["legacyToken"]}) == 3


async def test_create_job_takes_queued_entries_not_in_any_job(client, companies):
    """An admin-created job is pending, newest, and holds queued entries no other job has."""
    company = companies[0]
    auth = basic(company["apiKey"])
    url = f"/sandbox/companies/{company['companyId']}/export-jobs"
    first = await client.post(url, json={"count": 5, "vendorBasedBookkeeping": True})
    assert first.status_code == 201
    job = first.json()["data"]
    assert job["status"] == "pending"
    assert job["numberOfItems"] == 5
    assert job["vendorBasedBookkeeping"] is True
    listed = await send(client, "GET", "/v3/export-jobs", auth)
    validate_exchange(listed)
    assert listed.json()["data"][-1]["id"] == job["id"]
    rest = await client.post(url)
    assert rest.json()["data"]["numberOfItems"] == 15
    empty = await client.post(url)
    assert_exception_info(empty, 409, "NO_QUEUED_ENTRIES")
    in_jobs: list[str] = []
    for listed_job in (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"]:
        detail = await client.get(f"/sandbox/jobs/{listed_job['id']}")
        in_jobs.extend(item["accountingEntryId"] for item in detail.json()["items"])
    assert len(in_jobs) == len(set(in_jobs)) == 2 * 25 + 20


async def test_big_job_of_2500_items_pages_validly(client, companies):
    """2,500 extra entries become one 2,500-item job whose export items page validly."""
    company = companies[1]
    added = await client.post(
        f"/sandbox/companies/{company['companyId']}/entries", json={"count": 2500}
    )
    assert added.status_code == 201
    assert added.json()["count"] == 2500
    job = (
        await client.post(
            f"/sandbox/companies/{company['companyId']}/export-jobs", json={"count": 2500}
        )
    ).json()["data"]
    assert job["numberOfItems"] == 2500
    auth = basic(company["apiKey"])
    first = await send(
        client, "GET", "/v3/export-items", auth, params={"job_id": job["id"], "limit": 100}
    )
    validate_exchange(first)
    assert first.json()["pagination"]["total"] == 2500


async def test_ledger_records_events_and_item_updates_in_order(client, companies):
    """The ledger lists events and item updates with sequence, company, outcome and statuses."""
    auth = basic(companies[0]["apiKey"])
    job_id = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"][0]["id"]
    await start_job(client, auth, job_id)
    entry = (await client.get(f"/sandbox/jobs/{job_id}")).json()["items"][0]["accountingEntryId"]
    await send(
        client,
        "PUT",
        f"/v3/export-jobs/{job_id}/items",
        auth,
        body=[
            {"accountingEntryId": entry, "status": "successful"},
            {"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "failed"},
        ],
    )
    await send(
        client, "POST", "/v3/export-job-events", auth, body={"event": "started", "jobId": job_id}
    )
    ledger = (await client.get("/sandbox/ledger")).json()["entries"]
    assert [entry["seq"] for entry in ledger] == list(range(1, len(ledger) + 1))
    kinds = [(e["kind"], e["outcome"], e["errorType"]) for e in ledger]
    assert kinds == [
        ("job_event", "accepted", None),
        ("item_update", "accepted", None),
        ("item_update", "rejected", "ACCOUNTING_ENTRY_DOES_NOT_EXIST"),
        ("job_event", "rejected", "INVALID_EXPORT_JOB_STATUS_CHANGE"),
    ]
    update = ledger[1]
    assert update["companyId"] == companies[0]["companyId"]
    assert update["jobId"] == job_id
    assert update["accountingEntryId"] == entry
    assert (update["requestedStatus"], update["previousStatus"], update["resultingStatus"]) == (
        "successful",
        "pending",
        "successful",
    )
    assert ledger[0]["jobStatusBefore"] == "pending"
    assert ledger[0]["jobStatusAfter"] == "in_progress"
    other = (await client.get(f"/sandbox/ledger?company_id={companies[1]['companyId']}")).json()
    assert other["entries"] == []


async def test_faults_answer_the_next_matching_requests_then_stop(client, companies):
    """A fault with count 2 answers two matching requests with its status and headers."""
    auth = basic(companies[0]["apiKey"])
    fault = {
        "status": 503,
        "count": 2,
        "path": "^/v3/export-jobs$",
        "headers": {"Retry-After": "1"},
    }
    assert (await client.post("/sandbox/faults", json=fault)).status_code == 201
    for _ in range(2):
        response = await send(client, "GET", "/v3/export-jobs", auth)
        assert_exception_info(response, 503, "SERVICE_UNAVAILABLE")
        assert response.headers["Retry-After"] == "1"
    assert (await send(client, "GET", "/v3/export-jobs", auth)).status_code == 200
    await client.post("/sandbox/faults", json={"status": 500, "count": 5, "method": "PUT"})
    assert (await send(client, "GET", "/v3/export-jobs", auth)).status_code == 200
    assert len((await client.get("/sandbox/faults")).json()["faults"]) == 1
    await client.delete("/sandbox/faults")
    assert (await client.get("/sandbox/faults")).json()["faults"] == []


async def test_rtt_and_latency_faults_delay_non_admin_requests(client, companies, sandbox_app):
    """``POST /sandbox/rtt`` and a latency-only fault add delay to API calls, not admin calls."""
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    runtime_of(sandbox_app).sleep = record
    auth = basic(companies[0]["apiKey"])
    await client.post("/sandbox/rtt", json={"ms": 60})
    assert (await send(client, "GET", "/v3/export-jobs", auth)).status_code == 200
    await client.get("/sandbox/healthz")
    assert slept == [0.06]
    await client.post("/sandbox/faults", json={"latencyMs": 80, "path": "export-jobs"})
    assert (await send(client, "GET", "/v3/export-jobs", auth)).status_code == 200
    await client.post("/sandbox/rtt", json={"ms": 0})
    assert (await send(client, "GET", "/v3/export-jobs", auth)).status_code == 200
    assert slept == [0.06, 0.14]


async def test_stats_count_requests_by_operation_and_status(client, companies, sandbox_app):
    """Stats count non-admin requests per operationId and status; reset zeroes them."""
    auth = basic(companies[0]["apiKey"])
    jobs = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"]
    await send(client, "GET", f"/v3/export-jobs/{jobs[0]['id']}", auth)
    await send(client, "GET", f"/v3/export-jobs/{jobs[0]['id']}/items", auth)
    await send(client, "GET", "/v3/export-items", auth, params={"job_id": jobs[0]["id"]})
    await send(client, "GET", "/v3/export-jobs", {})
    await client.get(
        "/v1/expenses", headers={"Authorization": f"Bearer {companies[0]['legacyToken']}"}
    )
    stats: dict[str, Any] = (await client.get("/sandbox/stats")).json()
    assert stats["byOperation"] == {
        "getExportItemsV3": 1,
        "getExportJobByIdV3": 1,
        "getExportJobItemsV3": 1,
        "getExportJobsListV3": 2,
        "legacy:getExpenses": 1,
    }
    assert stats["byStatus"] == {"200": 5, "401": 1}
    assert stats["byOperationAndStatus"]["getExportJobsListV3"] == {"200": 1, "401": 1}
    assert stats["total"] == 6
    reset = (await client.post("/sandbox/stats/reset")).json()
    assert reset["total"] == 0
    assert runtime_of(sandbox_app).stats.to_json()["byOperation"] == {}


async def test_clock_reads_and_moves_forward_only(client):
    """``GET /sandbox/clock`` reads the clock; POST advances it and refuses to go back."""
    before = (await client.get("/sandbox/clock")).json()
    assert before == {"now": "2026-05-04T12:00:00Z", "offsetSeconds": 0.0}
    after = (await client.post("/sandbox/clock", json={"advanceSeconds": 90})).json()
    assert after["now"] == "2026-05-04T12:01:30Z"
    backwards = await client.post("/sandbox/clock", json={"advanceSeconds": -5})
    assert_exception_info(backwards, 400, "BAD_REQUEST")


async def test_admin_job_view_ignores_credentials_and_404s_unknown_jobs(client, companies):
    """``GET /sandbox/jobs/{id}`` shows any job with its items; unknown ids are 404."""
    auth = basic(companies[1]["apiKey"])
    job_id = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"][0]["id"]
    view = (await client.get(f"/sandbox/jobs/{job_id}")).json()
    assert view["job"]["id"] == job_id
    assert len(view["items"]) == 25
    missing = await client.get("/sandbox/jobs/3c90c3cc-0d44-4b50-8888-8dd25736052a")
    assert_exception_info(missing, 404, "EXPORT_NOT_FOUND")

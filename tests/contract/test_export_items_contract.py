"""Contract tests: job items, item updates, export items, job events and expiry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.openapi import (
    ContractViolation,
    assert_exception_info,
    validate_exchange,
    validate_request_of,
)
from tests.support.sandbox import basic, send, start_job


@pytest.fixture
def auth(companies: list[dict[str, Any]]) -> dict[str, str]:
    """The first company's API key as Basic credentials."""
    return basic(companies[0]["apiKey"])


async def _jobs(client: httpx.AsyncClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = await send(client, "GET", "/v3/export-jobs", auth)
    validate_exchange(response)
    jobs: list[dict[str, Any]] = response.json()["data"]
    return jobs


async def _job(client: httpx.AsyncClient, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    response = await send(client, "GET", f"/v3/export-jobs/{job_id}", auth)
    validate_exchange(response)
    job: dict[str, Any] = response.json()["data"]
    return job


async def _items(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, **params: Any
) -> list[dict[str, Any]]:
    collected: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 10, **params}
    while True:
        response = await send(client, "GET", f"/v3/export-jobs/{job_id}/items", auth, params=query)
        assert response.status_code == 200, response.text
        validate_exchange(response)
        body = response.json()
        collected.extend(body["data"])
        if not body["pagination"]["hasNextPage"]:
            return collected
        query = {"limit": 10, **params, "after": body["pagination"]["endCursor"]}


async def _put(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, body: Any
) -> httpx.Response:
    return await send(client, "PUT", f"/v3/export-jobs/{job_id}/items", auth, body=body)


async def _event(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, event: str, **extra: Any
) -> httpx.Response:
    body = {"event": event, "jobId": job_id, **extra}
    response = await send(client, "POST", "/v3/export-job-events", auth, body=body)
    validate_exchange(response)
    return response


async def test_job_items_page_through_all_items_and_filter_by_status(client, auth):
    """Items come back over several pages; ``status`` narrows them to one state."""
    job = (await _jobs(client, auth))[0]
    items = await _items(client, auth, job["id"])
    assert len(items) == 25
    assert all(item["status"] == "pending" for item in items)
    await start_job(client, auth, job["id"])
    ids = [item["accountingEntryId"] for item in items]
    response = await _put(
        client,
        auth,
        job["id"],
        [{"accountingEntryId": i, "status": "in_progress"} for i in ids[:3]],
    )
    validate_exchange(response)
    in_progress = await _items(client, auth, job["id"], status="in_progress")
    assert [item["accountingEntryId"] for item in in_progress] == ids[:3]
    assert len(await _items(client, auth, job["id"], status="pending")) == 22
    bad = await send(
        client, "GET", f"/v3/export-jobs/{job['id']}/items", auth, params={"status": "done"}
    )
    assert_exception_info(bad, 400, "BAD_REQUEST")
    with pytest.raises(ContractViolation):
        validate_request_of(bad.request)


async def test_item_put_updates_statuses_and_moves_last_updated_at(client, auth, sandbox_app):
    """A valid PUT answers 200 with the updated items, no errors, and a fresh lastUpdatedAt."""
    job = (await _jobs(client, auth))[0]
    await start_job(client, auth, job["id"])
    await client.post("/sandbox/clock", json={"advanceSeconds": 120})
    ids = [item["accountingEntryId"] for item in await _items(client, auth, job["id"])]
    body = [
        {"accountingEntryId": ids[0], "status": "in_progress"},
        {
            "accountingEntryId": ids[1],
            "status": "successful",
            "exportedAt": "2026-05-04T12:01:00Z",
            "externalId": "ERP-1",
            "externalUrl": "https://erp.invalid/1",
        },
        {
            "accountingEntryId": ids[2],
            "status": "failed",
            "failureReason": "Vendor not found in ERP",
            "failureReasonType": "vendor_unknown",
        },
    ]
    response = await _put(client, auth, job["id"], body)
    assert response.status_code == 200
    validate_exchange(response)
    result = response.json()
    assert result["errors"] == []
    assert [item["status"] for item in result["data"]] == ["in_progress", "successful", "failed"]
    assert result["data"][1]["externalId"] == "ERP-1"
    assert result["data"][1]["exportedAt"] == "2026-05-04T12:01:00Z"
    assert result["data"][2]["failureReasonType"] == "vendor_unknown"
    after = await _job(client, auth, job["id"])
    assert after["lastUpdatedAt"] == "2026-05-04T12:02:00Z"
    assert after["expiresIn"] == 3600


async def test_item_put_reports_per_item_errors_in_a_200(client, auth):
    """Unknown entries and changes to terminal items are per-item errors; repeats are accepted."""
    job, other_job = (await _jobs(client, auth))[:2]
    await start_job(client, auth, job["id"])
    ids = [item["accountingEntryId"] for item in await _items(client, auth, job["id"])]
    foreign_entry = (await _items(client, auth, other_job["id"]))[0]["accountingEntryId"]
    first = await _put(
        client,
        auth,
        job["id"],
        [
            {"accountingEntryId": ids[0], "status": "successful"},
            {"accountingEntryId": ids[1], "status": "in_progress"},
        ],
    )
    validate_exchange(first)
    response = await _put(
        client,
        auth,
        job["id"],
        [
            {"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "successful"},
            {"accountingEntryId": foreign_entry, "status": "successful"},
            {"accountingEntryId": ids[0], "status": "failed"},
            {"accountingEntryId": ids[0], "status": "successful"},
            {"accountingEntryId": ids[1], "status": "pending"},
            {"accountingEntryId": ids[2], "status": "abandoned"},
            {"accountingEntryId": ids[3], "status": "successful"},
        ],
    )
    assert response.status_code == 200
    validate_exchange(response)
    result = response.json()
    assert [(e["accountingEntryId"], e["type"]) for e in result["errors"]] == [
        ("3c90c3cc-0d44-4b50-8888-8dd25736052a", "ACCOUNTING_ENTRY_DOES_NOT_EXIST"),
        (foreign_entry, "ACCOUNTING_ENTRY_DOES_NOT_EXIST"),
        (ids[0], "EXPORT_ENTRY_STATUS_UPDATE_FAILED"),
        (ids[1], "EXPORT_ENTRY_STATUS_UPDATE_FAILED"),
        (ids[2], "EXPORT_ENTRY_STATUS_UPDATE_FAILED"),
    ]
    assert [(i["accountingEntryId"], i["status"]) for i in result["data"]] == [
        (ids[0], "successful"),
        (ids[3], "successful"),
    ]


async def test_item_put_over_100_items_is_413(client, auth):
    """More than 100 updates in one PUT is 413 EXPORT_JOB_ITEMS_UPDATE_LIMIT."""
    job = (await _jobs(client, auth))[0]
    await start_job(client, auth, job["id"])
    entry = (await _items(client, auth, job["id"]))[0]["accountingEntryId"]
    response = await _put(
        client, auth, job["id"], [{"accountingEntryId": entry, "status": "in_progress"}] * 101
    )
    assert_exception_info(response, 413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT")
    validate_exchange(response)


async def test_item_put_on_finished_or_unclaimed_job_is_422(client, auth):
    """PUT on a finished job, or on a pending job not yet started, is 422."""
    pending, finished = (await _jobs(client, auth))[:2]
    entry = (await _items(client, auth, pending["id"]))[0]["accountingEntryId"]
    update = [{"accountingEntryId": entry, "status": "in_progress"}]
    unclaimed = await _put(client, auth, pending["id"], update)
    assert_exception_info(unclaimed, 422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    validate_exchange(unclaimed)
    await _event(client, auth, finished["id"], "failed", failureReasonType="validation_failure")
    done_entry = (await _items(client, auth, finished["id"]))[0]["accountingEntryId"]
    response = await _put(
        client, auth, finished["id"], [{"accountingEntryId": done_entry, "status": "successful"}]
    )
    assert_exception_info(response, 422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    validate_exchange(response)


@pytest.mark.parametrize(
    "body",
    [
        {"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "successful"},
        [{"accountingEntryId": "not-a-uuid", "status": "successful"}],
        [{"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "done"}],
        [{"status": "successful"}],
        [{"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "failed",
          "failureReasonType": "bad_luck"}],
        [{"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "successful",
          "exportedAt": "yesterday"}],
        [{"accountingEntryId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "successful",
          "externalId": None}],
    ],
)  # fmt: skip
async def test_item_put_with_malformed_body_is_400(client, auth, body):
    """A body that is not an array of valid UpdateExportJobItemV3 is 400 BAD_REQUEST."""
    job = (await _jobs(client, auth))[0]
    await start_job(client, auth, job["id"])
    response = await _put(client, auth, job["id"], body)
    assert_exception_info(response, 400, "BAD_REQUEST")
    with pytest.raises(ContractViolation):
        validate_request_of(response.request)


async def test_item_put_with_unparseable_json_is_400(client, auth):
    """Bytes that are not JSON are 400 BAD_REQUEST."""
    job = (await _jobs(client, auth))[0]
    response = await client.put(
        f"/v3/export-jobs/{job['id']}/items",
        content=b"[{",
        headers={**auth, "Content-Type": "application/json;charset=UTF-8"},
    )
    assert_exception_info(response, 400, "BAD_REQUEST")


async def test_export_items_validate_for_every_running_job(client, companies):
    """Every export item of every seeded job matches ExportItemV3, vendor data only with VBB."""
    for company in companies:
        auth = basic(company["apiKey"])
        for job in await _jobs(client, auth):
            response = await send(
                client, "GET", "/v3/export-items", auth, params={"job_id": job["id"], "limit": 100}
            )
            assert response.status_code == 200
            validate_exchange(response)
            data = response.json()["data"]
            assert len(data) == job["numberOfItems"]
            has_vendor = any("vendor" in item or "bookkeeping" in item for item in data)
            assert has_vendor == job["vendorBasedBookkeeping"]


async def test_export_items_without_job_id_pages_over_all_running_jobs(client, auth):
    """Without ``job_id`` the items of all the caller's running jobs are paged, in job order."""
    jobs = await _jobs(client, auth)
    await _event(client, auth, jobs[0]["id"], "failed")
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 40}
    while True:
        response = await send(client, "GET", "/v3/export-items", auth, params=params)
        validate_exchange(response)
        body = response.json()
        seen.extend(item["accountingEntryId"] for item in body["data"])
        if not body["pagination"]["hasNextPage"]:
            break
        params = {"limit": 40, "after": body["pagination"]["endCursor"]}
    expected = [
        item["accountingEntryId"]
        for job in jobs[1:]
        for item in await _items(client, auth, job["id"])
    ]
    assert seen == expected


async def test_export_items_of_a_finished_job_is_422(client, auth):
    """Export items of a job that is no longer running are 422 EXPORT_JOB_STATUS_UNPROCESSABLE."""
    job = (await _jobs(client, auth))[0]
    await _event(client, auth, job["id"], "failed")
    response = await send(client, "GET", "/v3/export-items", auth, params={"job_id": job["id"]})
    assert_exception_info(response, 422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    validate_exchange(response)


async def _finish_items(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, statuses: list[str]
) -> None:
    ids = [item["accountingEntryId"] for item in await _items(client, auth, job_id)]
    cycle = [statuses[i % len(statuses)] for i in range(len(ids))]
    body = [{"accountingEntryId": i, "status": s} for i, s in zip(ids, cycle, strict=True)]
    response = await _put(client, auth, job_id, body)
    assert response.status_code == 200
    assert response.json()["errors"] == []


async def test_events_walk_the_happy_path_to_completed(client, auth):
    """started then completed (all items successful) answer 202 and set the timestamps."""
    job = (await _jobs(client, auth))[0]
    assert (await _event(client, auth, job["id"], "started")).status_code == 202
    started = await _job(client, auth, job["id"])
    assert started["status"] == "in_progress"
    assert started["startedAt"] is not None
    await _finish_items(client, auth, job["id"], ["successful"])
    assert (await _event(client, auth, job["id"], "completed")).status_code == 202
    done = await _job(client, auth, job["id"])
    assert done["status"] == "completed"
    assert done["completedAt"] is not None
    assert done["expiresIn"] == 0


async def test_events_complete_with_errors_when_all_items_are_terminal(client, auth):
    """completed_with_errors is accepted once every item is successful or failed."""
    job = (await _jobs(client, auth))[0]
    await _event(client, auth, job["id"], "started")
    await _finish_items(client, auth, job["id"], ["successful", "failed"])
    response = await _event(client, auth, job["id"], "completed_with_errors")
    assert response.status_code == 202
    assert (await _job(client, auth, job["id"]))["status"] == "completed_with_errors"


async def test_failed_event_abandons_open_items(client, auth):
    """failed from pending is 202; the job keeps its reason and open items become abandoned."""
    job = (await _jobs(client, auth))[0]
    response = await _event(
        client,
        auth,
        job["id"],
        "failed",
        failureReason="ERP down",
        failureReasonType="accounting_system_unreachable",
    )
    assert response.status_code == 202
    failed = await _job(client, auth, job["id"])
    assert failed["status"] == "failed"
    assert failed["failureReasonType"] == "accounting_system_unreachable"
    assert failed["failureReason"] == "ERP down"
    assert {item["status"] for item in await _items(client, auth, job["id"])} == {"abandoned"}


async def _to_state(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, state: str
) -> None:
    steps = {
        "pending": [],
        "in_progress": ["started"],
        "in_progress_partly_done": ["started", "+some"],
        "in_progress_all_failed": ["started", "+failed"],
        "completed": ["started", "+successful", "completed"],
        "completed_with_errors": ["started", "+failed", "completed_with_errors"],
        "failed": ["failed"],
    }[state]
    for step in steps:
        if step == "+some":
            ids = [item["accountingEntryId"] for item in await _items(client, auth, job_id)]
            await _put(
                client, auth, job_id, [{"accountingEntryId": ids[0], "status": "successful"}]
            )
        elif step.startswith("+"):
            await _finish_items(client, auth, job_id, [step[1:]])
        else:
            assert (await _event(client, auth, job_id, step)).status_code == 202


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("pending", "completed"),
        ("pending", "completed_with_errors"),
        ("in_progress", "started"),
        ("in_progress_partly_done", "completed"),
        ("in_progress_partly_done", "completed_with_errors"),
        ("in_progress_all_failed", "completed"),
        ("completed", "started"),
        ("completed", "completed"),
        ("completed", "completed_with_errors"),
        ("completed", "failed"),
        ("completed_with_errors", "started"),
        ("completed_with_errors", "failed"),
        ("failed", "started"),
        ("failed", "completed"),
        ("failed", "completed_with_errors"),
        ("failed", "failed"),
    ],
)
async def test_illegal_event_is_422_and_changes_nothing(client, auth, state, event):
    """Every transition outside Pleo's lifecycle is 422 INVALID_EXPORT_JOB_STATUS_CHANGE."""
    job = (await _jobs(client, auth))[0]
    await _to_state(client, auth, job["id"], state)
    before = await _job(client, auth, job["id"])
    response = await _event(client, auth, job["id"], event)
    assert_exception_info(response, 422, "INVALID_EXPORT_JOB_STATUS_CHANGE")
    assert response.json()["message"] == "Export Job status change failed"
    after = await _job(client, auth, job["id"])
    assert after["status"] == before["status"]
    assert after["lastUpdatedAt"] == before["lastUpdatedAt"]


@pytest.mark.parametrize(
    "body",
    [
        {"event": "canceled", "jobId": "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
        {"event": "started"},
        {"event": "started", "jobId": "nope"},
        {"event": "failed", "jobId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
         "failureReasonType": "job_exploded"},
        [],
    ],
)  # fmt: skip
async def test_malformed_event_is_400(client, auth, body):
    """An event body that breaks CreateExportJobEvent is 400 BAD_REQUEST."""
    response = await send(client, "POST", "/v3/export-job-events", auth, body=body)
    assert_exception_info(response, 400, "BAD_REQUEST")
    with pytest.raises(ContractViolation):
        validate_request_of(response.request)


async def test_jobs_expire_one_hour_after_the_last_update(client, auth):
    """A running job idle for over an hour becomes failed/job_expired with items abandoned."""
    quiet, busy = (await _jobs(client, auth))[:2]
    await start_job(client, auth, busy["id"])
    created = await _job(client, auth, quiet["id"])
    await client.post("/sandbox/clock", json={"advanceSeconds": created["expiresIn"] - 60})
    entry = (await _items(client, auth, busy["id"]))[0]["accountingEntryId"]
    kept_alive = await _put(
        client, auth, busy["id"], [{"accountingEntryId": entry, "status": "in_progress"}]
    )
    assert kept_alive.status_code == 200
    assert (await _job(client, auth, quiet["id"]))["expiresIn"] == 60
    await client.post("/sandbox/clock", json={"advanceSeconds": 61})

    expired = await _job(client, auth, quiet["id"])
    assert expired["status"] == "failed"
    assert expired["failureReasonType"] == "job_expired"
    assert expired["expiredAt"] is not None
    assert expired["expiresIn"] == 0
    assert {item["status"] for item in await _items(client, auth, quiet["id"])} == {"abandoned"}
    assert (await _job(client, auth, busy["id"]))["status"] == "in_progress"
    late = await _event(client, auth, quiet["id"], "started")
    assert_exception_info(late, 422, "INVALID_EXPORT_JOB_STATUS_CHANGE")
    items = await send(client, "GET", "/v3/export-items", auth, params={"job_id": quiet["id"]})
    assert_exception_info(items, 422, "EXPORT_JOB_STATUS_UNPROCESSABLE")

    await client.post("/sandbox/clock", json={"advanceSeconds": 3600})
    busy_after = await _job(client, auth, busy["id"])
    assert busy_after["failureReasonType"] == "job_expired"
    statuses = [item["status"] for item in await _items(client, auth, busy["id"])]
    assert statuses.count("abandoned") == 25

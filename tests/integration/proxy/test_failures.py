"""What a legacy client sees when it sends bad input or when Pleo fails."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.harness import Harness
from tests.support.legacy_errors import assert_legacy_error


async def _fault(harness: Harness, **rule: Any) -> None:
    response = await harness.admin.post("/sandbox/faults", json=rule)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("content", "content_type", "status", "mentions"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b'{"expenseIds": ["a"], "status": "DONE"}', "application/json", 422, "'DONE'"),
        (b'{"expenseIds": [], "status": "EXPORTED"}', "application/json", 400, "No expenses"),
        (b'{"status": "EXPORTED"}', "application/json", 400, "expenseIds"),
        (b"status=EXPORTED", "application/x-www-form-urlencoded", 415, "application/json"),
    ],
)
async def test_bad_put_bodies_get_a_specific_4xx_and_nothing_upstream(
    harness: Harness, content: bytes, content_type: str, status: int, mentions: str
) -> None:
    """Malformed, unknown-status, empty and non-JSON bodies are refused before any upstream call."""
    response = await harness.proxy.put(
        "/v1/expenses",
        content=content,
        headers={**harness.auth(), "Content-Type": content_type},
    )
    assert_legacy_error(response, status, mentions)
    assert await harness.upstream_calls() == {}


async def test_too_many_ids_and_oversized_bodies_get_413(harness: Harness) -> None:
    """More ids than allowed, or a body over the cap, get 413 without an upstream call."""
    ids = [f"id-{n}" for n in range(harness.settings.max_ids_per_put + 1)]
    too_many = await harness.put(ids, "EXPORTED")
    assert_legacy_error(too_many, 413, f"at most {harness.settings.max_ids_per_put}")
    huge = (
        b'{"expenseIds": ["' + b"x" * harness.settings.max_body_bytes + b'"], "status": "EXPORTED"}'
    )
    oversized = await harness.proxy.put(
        "/v1/expenses", content=huge, headers={**harness.auth(), "Content-Type": "application/json"}
    )
    assert_legacy_error(oversized, 413, "larger than")
    assert await harness.upstream_calls() == {}


@pytest.mark.parametrize(
    ("params", "status"),
    [({"pageOffset": "-1"}, 400), ({"pageSize": "0"}, 400), ({"status": "SHIPPED"}, 400)],
)
async def test_out_of_range_queries_get_400(
    harness: Harness, params: dict[str, str], status: int
) -> None:
    """Negative offsets, zero page sizes and unknown statuses are refused in the legacy shape."""
    response = await harness.proxy.get("/v1/expenses", params=params, headers=harness.auth())
    assert_legacy_error(response, status, next(iter(params)))


async def test_a_huge_page_size_is_clamped(harness: Harness) -> None:
    """pageSize far above the maximum is not refused; pageSize reports what the page holds."""
    response = await harness.proxy.get(
        "/v1/expenses", params={"pageSize": 10**9}, headers=harness.auth()
    )
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"]["pageInfo"]["pageSize"] == len(body["expenses"]) > 0
    assert body["metadata"]["pageInfo"]["nextPageOffset"] is None


@pytest.mark.parametrize(
    ("upstream_status", "legacy_status", "mentions"),
    [
        (503, 503, "HTTP 503"),
        (429, 503, "rate limiting"),
        (500, 503, "HTTP 500"),
        (401, 401, "did not accept the credential"),
        (403, 403, "did not allow"),
    ],
)
async def test_upstream_failures_are_mapped_to_legacy_errors(
    harness: Harness, upstream_status: int, legacy_status: int, mentions: str
) -> None:
    """Pleo failing on job discovery gives the client a mapped legacy error, never Pleo's body."""
    await _fault(
        harness,
        status=upstream_status,
        count=10,
        path="^/v3/export-jobs$",
        headers={"Retry-After": "30"},
    )
    response = await harness.proxy.get("/v1/expenses", headers=harness.auth())
    assert_legacy_error(response, legacy_status, mentions)
    if legacy_status == 503:
        assert response.headers["Retry-After"] == "30"


async def test_a_failed_write_is_reported_and_can_be_retried(harness: Harness) -> None:
    """If Pleo fails an item update the client gets 503, and a retry of the same PUT succeeds."""
    ids = [e["id"] for e in await harness.queued()]
    await _fault(harness, status=503, count=100, path="/items$", method="PUT")
    failed = await harness.put(ids, "EXPORTING")
    assert failed.status_code == 503
    await harness.admin.delete("/sandbox/faults")
    retried = await harness.put(ids, "EXPORTING")
    assert retried.status_code == 200
    assert {e["status"] for e in retried.json()["expenses"]} == {"EXPORTING"}
    events = [e["event"] for e in await harness.ledger() if e["kind"] == "job_event"]
    assert events == ["started"]


async def test_per_item_errors_from_pleo_are_not_a_silent_success(harness: Harness) -> None:
    """When Pleo refuses one item in a 200 (errors[]), the legacy answer lists that item."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids, "EXPORTING")
    # Someone else finishes one item behind the proxy's back.
    key = {"Authorization": f"Bearer {harness.companies[0]['bearerToken']}"}
    job_id = (await harness.ledger())[0]["jobId"]
    behind = await harness.admin.put(
        f"/v3/export-jobs/{job_id}/items",
        json=[{"accountingEntryId": ids[0], "status": "failed"}],
        headers=key,
    )
    assert behind.status_code == 200
    response = await harness.put(ids[:2], "EXPORTED")
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [e["id"] for e in errors] == [ids[0]]
    statuses = {e["id"]: e["status"] for e in response.json()["expenses"]}
    assert statuses[ids[1]] == "EXPORTED"
    # The proxy takes Pleo's word for the refused item instead of its own stale view.
    assert statuses[ids[0]] == "NOT_EXPORTED"


async def test_a_get_while_pleo_is_down_answers_the_last_view_marked_stale(
    harness: Harness,
) -> None:
    """With Pleo failing, GET answers the last good view with Warning and its age; a PUT
    is not answered from it."""
    fresh = await harness.queued()
    await _fault(harness, status=503, count=10, path="^/v3/export-jobs$")
    response = await harness.proxy.get(
        "/v1/expenses", params={"status": "QUEUED", "pageSize": 1000}, headers=harness.auth()
    )
    assert response.status_code == 200
    assert response.json()["expenses"] == fresh
    assert response.headers["Warning"] == '110 - "Response is Stale"'
    assert int(response.headers["X-Adapter-Stale-Seconds"]) >= 0
    await _fault(harness, status=503, count=10, path="export-job-events", method="POST")
    await _fault(harness, status=503, count=10, path="^/v3/export-jobs/[^/]+$")
    put = await harness.put([fresh[0]["id"]], "EXPORTING")
    assert put.status_code == 503

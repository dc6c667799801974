"""Contract tests: export-job listing, lookup and authentication against Pleo's OpenAPI."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.support.openapi import (
    ContractViolation,
    assert_exception_info,
    validate_exchange,
    validate_request_of,
)
from tests.support.sandbox import basic, bearer, send


async def _list(client: httpx.AsyncClient, auth: dict[str, str], params: Any) -> dict[str, Any]:
    response = await send(client, "GET", "/v3/export-jobs", auth, params=params)
    assert response.status_code == 200, response.text
    validate_exchange(response)
    body: dict[str, Any] = response.json()
    return body


async def test_jobs_list_pages_to_the_end_with_after_cursor(client, companies):
    """Following endCursor while hasNextPage visits every job once, oldest createdAt first."""
    auth = basic(companies[0]["apiKey"])
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1}
    pages = 0
    while True:
        body = await _list(client, auth, params)
        pages += 1
        seen.extend(body["data"])
        if not body["pagination"]["hasNextPage"]:
            break
        params = {"limit": 1, "after": body["pagination"]["endCursor"]}
    assert pages == 4
    assert len({job["id"] for job in seen}) == 4
    assert [job["createdAt"] for job in seen] == sorted(job["createdAt"] for job in seen)
    assert len(set(job["createdAt"] for job in seen)) == 4
    assert all(job["companyId"] == companies[0]["companyId"] for job in seen)


async def test_jobs_list_before_cursor_returns_the_previous_page(client, companies):
    """``before=<startCursor>`` of the second page returns the first page."""
    auth = basic(companies[0]["apiKey"])
    first = await _list(client, auth, {"limit": 2})
    second = await _list(client, auth, {"limit": 2, "after": first["pagination"]["endCursor"]})
    back = await _list(client, auth, {"limit": 2, "before": second["pagination"]["startCursor"]})
    assert [job["id"] for job in back["data"]] == [job["id"] for job in first["data"]]
    assert second["pagination"]["hasPreviousPage"] is True
    assert back["pagination"]["hasPreviousPage"] is False


async def test_jobs_list_limit_defaults_to_50_and_clamps_to_100(client, companies):
    """Without ``limit`` the page size is 50; a larger ``limit`` is clamped to 100."""
    auth = basic(companies[0]["apiKey"])
    default = await _list(client, auth, None)
    clamped = await _list(client, auth, {"limit": 5000})
    assert default["pagination"]["currentRequestPagination"]["limit"] == 50
    assert clamped["pagination"]["currentRequestPagination"]["limit"] == 100
    assert default["pagination"]["total"] == 4


async def test_jobs_list_filters_by_repeated_statuses(client, companies):
    """``statuses`` filters jobs, and repeated values are ORed."""
    auth = basic(companies[0]["apiKey"])
    jobs = (await _list(client, auth, None))["data"]
    started = await send(
        client,
        "POST",
        "/v3/export-job-events",
        auth,
        body={"event": "started", "jobId": jobs[1]["id"]},
    )
    validate_exchange(started)
    running = await _list(client, auth, {"statuses": "in_progress"})
    assert [job["id"] for job in running["data"]] == [jobs[1]["id"]]
    pending = await _list(client, auth, {"statuses": "pending"})
    assert jobs[1]["id"] not in {job["id"] for job in pending["data"]}
    both = await _list(client, auth, [("statuses", "pending"), ("statuses", "in_progress")])
    assert len(both["data"]) == 4
    assert both["pagination"]["currentRequestPagination"]["parameters"] == {
        "statuses": ["pending", "in_progress"]
    }


async def test_jobs_list_accepts_own_company_id_and_forbids_another(client, companies):
    """``company_id`` of the caller's company is 200; another company's id is 403."""
    auth = basic(companies[0]["apiKey"])
    own = await _list(client, auth, {"company_id": companies[0]["companyId"]})
    assert len(own["data"]) == 4
    other = await send(
        client, "GET", "/v3/export-jobs", auth, params={"company_id": companies[1]["companyId"]}
    )
    validate_request_of(other.request)
    assert_exception_info(other, 403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("params", "spec_rejects"),
    [
        ({"company_id": "not-a-uuid"}, True),
        ({"statuses": "finished"}, True),
        ({"statuses": "pending,in_progress"}, True),
        ({"after": "abc"}, True),
        ({"after": "MZXW6==="}, False),
        ({"limit": "-1"}, True),
        ({"limit": "ten"}, True),
        ({"offset": "-3"}, True),
        ({"after": "GE======", "offset": "0"}, False),
        ({"sorting_keys": "createdAt"}, False),
    ],
)
async def test_jobs_list_rejects_invalid_parameters_with_400(
    client, companies, params, spec_rejects
):
    """Malformed uuids, statuses, cursors, numbers and parameter combinations are 400."""
    response = await send(
        client, "GET", "/v3/export-jobs", basic(companies[0]["apiKey"]), params=params
    )
    assert_exception_info(response, 400, "BAD_REQUEST")
    if spec_rejects:
        with pytest.raises(ContractViolation):
            validate_request_of(response.request)
    else:
        validate_request_of(response.request)


async def test_get_job_by_id_returns_the_job(client, companies):
    """``GET /v3/export-jobs/{id}`` answers ``{"data": ExportJobV3}`` with a full countdown."""
    auth = bearer(companies[0]["bearerToken"])
    job = (await _list(client, auth, {"limit": 1}))["data"][0]
    response = await send(client, "GET", f"/v3/export-jobs/{job['id']}", auth)
    assert response.status_code == 200
    validate_exchange(response)
    data = response.json()["data"]
    assert data["id"] == job["id"]
    assert data["numberOfItems"] == 25
    assert 0 < data["expiresIn"] <= 3600


async def test_foreign_and_unknown_jobs_are_404_on_every_job_endpoint(client, companies):
    """Another company's job answers 404 EXPORT_NOT_FOUND, exactly like an unknown id."""
    theirs = (await _list(client, basic(companies[1]["apiKey"]), {"limit": 1}))["data"][0]["id"]
    unknown = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    auth = basic(companies[0]["apiKey"])
    for job_id in (theirs, unknown):
        for method, url, body in (
            ("GET", f"/v3/export-jobs/{job_id}", None),
            ("GET", f"/v3/export-jobs/{job_id}/items", None),
            ("PUT", f"/v3/export-jobs/{job_id}/items", []),
        ):
            response = await send(client, method, url, auth, body=body)
            assert_exception_info(response, 404, "EXPORT_NOT_FOUND")
            validate_exchange(response)
        items = await send(client, "GET", "/v3/export-items", auth, params={"job_id": job_id})
        assert_exception_info(items, 404, "EXPORT_NOT_FOUND")
        event = await send(
            client,
            "POST",
            "/v3/export-job-events",
            auth,
            body={"event": "started", "jobId": job_id},
        )
        assert_exception_info(event, 404, "EXPORT_NOT_FOUND")
        validate_request_of(event.request)
    state = await client.get(f"/sandbox/jobs/{theirs}")
    assert state.json()["job"]["status"] == "pending"


async def test_both_auth_forms_are_accepted(client, companies):
    """Basic with the API key and an empty password, and Bearer with the token, both work."""
    for auth in (basic(companies[1]["apiKey"]), bearer(companies[1]["bearerToken"])):
        body = await _list(client, auth, None)
        assert {job["companyId"] for job in body["data"]} == {companies[1]["companyId"]}


def _bad_credentials(company: dict[str, Any]) -> list[dict[str, str]]:
    with_password = base64.b64encode(f"{company['apiKey']}:secret".encode()).decode()
    return [
        {},
        basic("plp_wrong_key"),
        bearer("wrong-token"),
        {"Authorization": f"Basic {with_password}"},
        {"Authorization": "Basic !!!not-base64"},
        bearer(company["legacyToken"]),
        basic(company["bearerToken"]),
        {"Authorization": f"Token {company['apiKey']}"},
        {"Authorization": "Bearer"},
    ]


async def test_missing_or_wrong_credentials_are_401_exception_info(client, companies):
    """Every missing, wrong or misused credential is 401 UNAUTHORIZED in ExceptionInfo shape."""
    job_id = (await _list(client, basic(companies[0]["apiKey"]), {"limit": 1}))["data"][0]["id"]
    for auth in _bad_credentials(companies[0]):
        for method, url in (
            ("GET", "/v3/export-jobs"),
            ("GET", f"/v3/export-jobs/{job_id}"),
            ("GET", f"/v3/export-jobs/{job_id}/items"),
            ("GET", "/v3/export-items"),
        ):
            response = await send(client, method, url, auth)
            assert_exception_info(response, 401, "UNAUTHORIZED")
            assert "WWW-Authenticate" in response.headers
    missing = await send(client, "GET", "/v3/export-jobs", {})
    with pytest.raises(ContractViolation, match="Security"):
        validate_request_of(missing.request)

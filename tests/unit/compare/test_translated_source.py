"""The translated view: the Export API read with GETs only and mapped as the proxy would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pytest_httpx import HTTPXMock

from adapter.compare.translated_source import ExportApiSource, JobScope
from adapter.export.client import ExportClient, build_http_client
from adapter.mapping import MappingTable
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import (
    BASE_URL,
    COMPANY_ID,
    JOB_ID,
    entry_id,
    export_item_json,
    job_item_json,
    job_json,
    page_json,
    url,
)

OLDER_JOB = "0b0b0b0b-0000-4000-8000-0000000000a1"
JOBS_QUERY = [
    ("statuses", "pending"),
    ("statuses", "in_progress"),
    ("company_id", COMPANY_ID),
    ("limit", "100"),
]


@pytest.fixture
async def client() -> AsyncIterator[ExportClient]:
    async with build_http_client(timeout_seconds=5.0, max_connections=4) as http:
        yield ExportClient(http, base_url=BASE_URL)


def source(
    client: ExportClient, table: MappingTable, jobs: JobScope = "current"
) -> ExportApiSource:
    credential = UpstreamCredential.api_key("v3-canary")
    return ExportApiSource(client, table, credential=credential, company_id=COMPANY_ID, jobs=jobs)


def serve_job(httpx_mock: HTTPXMock, job_id: str, numbers: list[int], statuses: list[str]) -> None:
    items = [job_item_json(n, job_id, s) for n, s in zip(numbers, statuses, strict=True)]
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{job_id}/items", [("limit", "100")]), json=page_json(items)
    )
    httpx_mock.add_response(
        url=url("/v3/export-items", [("job_id", job_id), ("limit", "100")]),
        json=page_json([export_item_json(n) for n in numbers]),
    )


def serve_two_jobs(httpx_mock: HTTPXMock) -> None:
    jobs = [job_json(JOB_ID), job_json(OLDER_JOB, createdAt="2026-01-01T09:00:00Z")]
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json(jobs))


async def test_the_current_job_is_translated_with_item_statuses(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """The oldest pending job is read; each item gets the legacy status of its job item."""
    serve_two_jobs(httpx_mock)
    serve_job(httpx_mock, OLDER_JOB, [1, 2], ["pending", "in_progress"])

    expenses = await source(client, table).read_all([])

    assert [(e["id"], e["status"]) for e in expenses] == [
        (entry_id(1), "QUEUED"),
        (entry_id(2), "EXPORTING"),
    ]
    assert expenses[0]["amountSettled"] == {"value": Decimal("123.45"), "currency": "DKK"}
    assert {r.method for r in httpx_mock.get_requests()} == {"GET"}


async def test_every_eligible_job_and_a_status_filter(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """jobs='eligible' reads both jobs, oldest first; the status filter keeps QUEUED only."""
    serve_two_jobs(httpx_mock)
    serve_job(httpx_mock, OLDER_JOB, [1, 2], ["pending", "in_progress"])
    serve_job(httpx_mock, JOB_ID, [3], ["pending"])

    expenses = await source(client, table, "eligible").read_all(["QUEUED"])

    assert [e["id"] for e in expenses] == [entry_id(1), entry_id(3)]
    assert {r.method for r in httpx_mock.get_requests()} == {"GET"}


async def test_an_untranslatable_item_is_left_out_with_its_reason(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """An item the table refuses is not offered, as the proxy does, and the reason is kept."""
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json([job_json()]))
    serve_job(httpx_mock, JOB_ID, [1, 2], ["pending", "sideways"])
    translated = source(client, table)

    expenses = await translated.read_all([])

    assert [e["id"] for e in expenses] == [entry_id(1)]
    assert "sideways" in translated.untranslatable[entry_id(2)]


async def test_items_without_data_are_not_offered(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """A job item the data layer does not return is skipped, like the proxy skips it."""
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json([job_json()]))
    items = [job_item_json(1), job_item_json(2)]
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{JOB_ID}/items", [("limit", "100")]), json=page_json(items)
    )
    httpx_mock.add_response(
        url=url("/v3/export-items", [("job_id", JOB_ID), ("limit", "100")]),
        json=page_json([export_item_json(2)]),
    )
    progress: list[tuple[int, int | None]] = []
    translated = ExportApiSource(
        client,
        table,
        credential=UpstreamCredential.api_key("v3-canary"),
        company_id=COMPANY_ID,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert [e["id"] for e in await translated.read_all([])] == [entry_id(2)]
    assert progress == [(1, 3)]


async def test_no_job_means_no_expense(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """A company without an eligible job has an empty translated view."""
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json([]))
    assert await source(client, table).read_all(["QUEUED"]) == []
    assert len(httpx_mock.get_requests()) == 1

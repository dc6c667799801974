"""The translated read of shadow mode: the workflow's preview, and nothing that writes."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pytest_httpx import HTTPXMock

from adapter.cutover import PreviewOnly
from adapter.cutover.reader import whole_list
from adapter.export.client import ExportClient, build_http_client
from adapter.legacy.models import LegacyStatus
from adapter.legacy.query import ExpenseQuery
from adapter.mapping import MappingTable
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow
from tests.support.import_graph import module_graph
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

TENANT = Tenant(UpstreamCredential.api_key("v3-canary"), company_id=COMPANY_ID)
JOBS_QUERY = [
    ("statuses", "pending"),
    ("statuses", "in_progress"),
    ("company_id", COMPANY_ID),
    ("limit", "100"),
]
WRITES = {"update_job_items", "post_job_event", "create_job"}


@pytest.fixture
async def client() -> AsyncIterator[ExportClient]:
    async with build_http_client(timeout_seconds=5.0, max_connections=4) as http:
        yield ExportClient(http, base_url=BASE_URL)


def serve_job(httpx_mock: HTTPXMock, statuses: list[str]) -> None:
    numbers = range(1, len(statuses) + 1)
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json([job_json()]))
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{JOB_ID}/items", [("limit", "100")]),
        json=page_json(
            [job_item_json(n, JOB_ID, s) for n, s in zip(numbers, statuses, strict=True)]
        ),
    )
    httpx_mock.add_response(
        url=url("/v3/export-items", [("job_id", JOB_ID), ("limit", "100")]),
        json=page_json([export_item_json(n) for n in numbers]),
    )


def reader(client: ExportClient, table: MappingTable) -> PreviewOnly:
    return PreviewOnly(JobWorkflow(client=client, store=MemoryStore(), table=table))


def query(**changes: Any) -> ExpenseQuery:
    values: dict[str, Any] = {"statuses": frozenset(), "types": frozenset(), "page_offset": 0}
    return ExpenseQuery(**{**values, "page_size": 100, **changes})


def test_nothing_shadow_mode_holds_has_a_way_to_write() -> None:
    """The preview facade exposes the two reads only, by construction."""
    public = {name for name, _ in inspect.getmembers(PreviewOnly) if not name.startswith("_")}
    assert not public & WRITES
    assert {n for n, _ in inspect.getmembers(PreviewOnly) if not n.startswith("_")} == {
        "preview",
        "preview_ids",
    }


def test_shadow_code_imports_neither_the_export_client_nor_the_workflow_engine() -> None:
    """The comparison code cannot even name the classes that write to the Export API."""
    writers = ("adapter.export.client", "adapter.workflow.jobs")
    graph = module_graph()
    for module in (
        "adapter.cutover.shadow",
        "adapter.cutover.comparison",
        "adapter.cutover.reader",
    ):
        assert not {t for t in graph[module] if t.startswith(writers)}, module


async def test_preview_answers_what_export_mode_would_with_gets_only(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """The current job's items, with their legacy status, filtered and paged like a GET."""
    serve_job(httpx_mock, ["pending", "in_progress", "pending"])

    page = await reader(client, table).preview(
        TENANT, query(statuses=frozenset({LegacyStatus.QUEUED}), page_size=1)
    )

    assert [orjson.loads(e)["id"] for e in page.expenses] == [entry_id(1)]
    assert (page.total_count, page.next_page_offset) == (2, 1)
    assert {r.method for r in httpx_mock.get_requests()} == {"GET"}


async def test_preview_ids_gives_the_known_ids_in_the_order_asked(
    httpx_mock: HTTPXMock, client: ExportClient, table: MappingTable
) -> None:
    """Unknown ids are left out; repeated ones come once."""
    serve_job(httpx_mock, ["pending", "pending"])

    found = await reader(client, table).preview_ids(
        TENANT, [entry_id(2), "0e0e0e0e-0000-4000-8000-00000000beef", entry_id(1), entry_id(2)]
    )

    assert [orjson.loads(e)["id"] for e in found] == [entry_id(2), entry_id(1)]
    assert {r.method for r in httpx_mock.get_requests()} == {"GET"}


def test_the_whole_list_drops_status_and_paging_and_keeps_other_filters() -> None:
    """Shadow compares fields, status included, so only status and paging are widened."""
    narrowed = query(
        statuses=frozenset({LegacyStatus.QUEUED}), page_offset=40, page_size=20, tag_id="t"
    )

    wide = whole_list(narrowed)

    assert (wide.statuses, wide.page_offset, wide.tag_id) == (frozenset(), 0, "t")
    assert wide.page_size > 1_000_000

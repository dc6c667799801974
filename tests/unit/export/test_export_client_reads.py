"""Reading from Pleo: every page followed, query parameters as the spec says, answers validated."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import UpstreamProtocolError
from adapter.export.client import ExportClient
from adapter.export.models import ExportJobItemStatus, ExportJobStatus
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

JOB_2 = "0b0b0b0b-0000-4000-8000-000000000002"
JOB_3 = "0b0b0b0b-0000-4000-8000-000000000003"
ACTIVE = [("statuses", "pending"), ("statuses", "in_progress")]


async def test_list_jobs_follows_every_page_with_cursor_and_limit(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Three pages are fetched with limit=100 and after=<endCursor>, and all jobs come back."""
    base = [*ACTIVE, ("company_id", COMPANY_ID), ("limit", "100")]
    httpx_mock.add_response(
        url=url("/v3/export-jobs", base), json=page_json([job_json(JOB_ID)], "CURSOR2")
    )
    httpx_mock.add_response(
        url=url("/v3/export-jobs", [*base, ("after", "CURSOR2")]),
        json=page_json([job_json(JOB_2)], "CURSOR3"),
    )
    httpx_mock.add_response(
        url=url("/v3/export-jobs", [*base, ("after", "CURSOR3")]), json=page_json([job_json(JOB_3)])
    )

    jobs = await client.list_jobs(
        credential,
        statuses=[ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS],
        company_id=COMPANY_ID,
    )

    assert [job.id for job in jobs] == [JOB_ID, JOB_2, JOB_3]
    assert len(httpx_mock.get_requests()) == 3


async def test_statuses_are_repeated_query_parameters(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Several statuses go out as statuses=pending&statuses=in_progress, not joined."""
    httpx_mock.add_response(json=page_json([]))

    await client.list_jobs(
        credential, statuses=[ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS]
    )

    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.params.get_list("statuses") == ["pending", "in_progress"]
    assert "company_id" not in request.url.params
    assert b"statuses=pending&statuses=in_progress" in request.url.query


async def test_page_limit_is_configurable(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """The constructor's page_limit is the limit sent upstream."""
    httpx_mock.add_response(
        url=url("/v3/export-jobs", [("statuses", "pending"), ("limit", "25")]), json=page_json([])
    )

    assert (
        await make_client(page_limit=25).list_jobs(credential, statuses=[ExportJobStatus.PENDING])
        == []
    )


async def test_list_job_items_filters_by_status_and_follows_pages(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """The control layer is read page by page with a single status filter."""
    path = f"/v3/export-jobs/{JOB_ID}/items"
    base = [("status", "pending"), ("limit", "100")]
    httpx_mock.add_response(
        url=url(path, base), json=page_json([job_item_json(1), job_item_json(2)], "NEXT")
    )
    httpx_mock.add_response(
        url=url(path, [*base, ("after", "NEXT")]), json=page_json([job_item_json(3)])
    )

    items = await client.list_job_items(credential, JOB_ID, status=ExportJobItemStatus.PENDING)

    assert [entry_id(1), entry_id(2), entry_id(3)] == [i.accounting_entry_id for i in items]


async def test_list_job_items_without_status_sends_no_filter(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Without a status only limit is sent."""
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{JOB_ID}/items", [("limit", "100")]),
        json=page_json([job_item_json(1, status="successful")]),
    )

    [item] = await client.list_job_items(credential, JOB_ID)

    assert item.status == "successful"


async def test_list_export_items_reads_the_data_layer_of_one_job(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Export items are read with job_id=<id> and parsed into full models."""
    base = [("job_id", JOB_ID), ("limit", "100")]
    httpx_mock.add_response(
        url=url("/v3/export-items", base), json=page_json([export_item_json(1)], "MORE")
    )
    httpx_mock.add_response(
        url=url("/v3/export-items", [*base, ("after", "MORE")]),
        json=page_json([export_item_json(2)]),
    )

    items = await client.list_export_items(credential, JOB_ID)

    assert [entry_id(1), entry_id(2)] == [i.accounting_entry_id for i in items]
    assert str(items[0].amount.in_wallet_currency.value) == "12345"


async def test_get_job_unwraps_the_data_envelope(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """GET /v3/export-jobs/{id} returns the job inside {"data": ...}."""
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{JOB_ID}"),
        method="GET",
        json={"data": job_json(status="in_progress", futureField=1)},
    )

    job = await client.get_job(credential, JOB_ID)

    assert (job.id, job.status) == (JOB_ID, "in_progress")


async def test_a_repeated_cursor_stops_paging(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A server that hands back a cursor it already gave is refused, not followed forever."""
    base = [("statuses", "pending"), ("limit", "100")]
    httpx_mock.add_response(url=url("/v3/export-jobs", base), json=page_json([job_json()], "LOOP"))
    httpx_mock.add_response(
        url=url("/v3/export-jobs", [*base, ("after", "LOOP")]),
        json=page_json([job_json()], "LOOP"),
    )

    with pytest.raises(UpstreamProtocolError, match="repeated a page cursor"):
        await client.list_jobs(credential, statuses=[ExportJobStatus.PENDING])


async def test_a_next_page_without_cursor_is_a_protocol_error(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """hasNextPage=true with no endCursor cannot be followed and is refused."""
    body = page_json([])
    body["pagination"]["hasNextPage"] = True
    httpx_mock.add_response(json=body)

    with pytest.raises(UpstreamProtocolError, match="no cursor"):
        await client.list_job_items(credential, JOB_ID)


async def test_paging_is_bounded(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """A list that never ends stops at max_pages with a protocol error."""
    for n in range(2):
        httpx_mock.add_response(json=page_json([job_item_json(n)], f"PAGE{n + 2}"))

    with pytest.raises(UpstreamProtocolError, match="past 2 pages"):
        await make_client(max_pages=2).list_job_items(credential, JOB_ID)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"<html>maintenance</html>", id="not-json"),
        pytest.param(b'{"data": [{"id": "x"}], "pagination": {"hasNextPage": false}}', id="schema"),
        pytest.param(b'{"data": []}', id="no-pagination"),
        pytest.param(b"", id="empty"),
    ],
)
async def test_a_200_that_breaks_the_contract_is_a_protocol_error(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, content: bytes
) -> None:
    """A 200 whose body is not a valid page is refused whole (502), never half-parsed."""
    httpx_mock.add_response(content=content, headers={"Content-Type": "application/json"})

    with pytest.raises(UpstreamProtocolError) as caught:
        await client.list_jobs(credential, statuses=[ExportJobStatus.PENDING])

    assert caught.value.status_code == 502
    assert "maintenance" not in str(caught.value)


async def test_a_broken_item_on_a_later_page_fails_the_whole_list(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """One invalid item on page two fails the call; no partial list is returned."""
    broken = job_item_json(2)
    del broken["exportJobId"]
    httpx_mock.add_response(json=page_json([job_item_json(1)], "NEXT"))
    httpx_mock.add_response(json=page_json([broken]))

    with pytest.raises(UpstreamProtocolError, match="exportJobId"):
        await client.list_job_items(credential, JOB_ID)


async def test_items_of_another_job_are_refused(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Items whose exportJobId is not the requested job are a protocol error."""
    httpx_mock.add_response(json=page_json([job_item_json(1, job_id=JOB_2)]))

    with pytest.raises(UpstreamProtocolError, match="another export job"):
        await client.list_job_items(credential, JOB_ID)


async def test_jobs_of_another_company_are_refused(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """With company_id set, a job of a different company is a protocol error."""
    other = "0c0c0c0c-0000-4000-8000-000000000099"
    httpx_mock.add_response(json=page_json([job_json(company_id=other)]))

    with pytest.raises(UpstreamProtocolError, match="another company"):
        await client.list_jobs(credential, statuses=[], company_id=COMPANY_ID)


async def test_get_job_refuses_a_different_job(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """An answer about another job than the one asked for is a protocol error."""
    httpx_mock.add_response(json={"data": job_json(JOB_2)})

    with pytest.raises(UpstreamProtocolError, match="different export job"):
        await client.get_job(credential, JOB_ID)


async def test_job_ids_compare_case_insensitively(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """An upper-case uuid in the path still matches Pleo's lower-case answer."""
    httpx_mock.add_response(json={"data": job_json()})

    job = await client.get_job(credential, JOB_ID.upper())

    assert job.id == JOB_ID


@pytest.mark.parametrize("job_id", ["", "../admin", "a/b", "x?y=1", "a@evil.example", "a b"])
async def test_an_unsafe_job_id_is_refused_before_anything_is_sent(
    client: ExportClient, credential: UpstreamCredential, job_id: str
) -> None:
    """Ids become URL path segments, so anything but a plain identifier raises ValueError."""
    with pytest.raises(ValueError, match="Export API id"):
        await client.get_job(credential, job_id)


async def test_an_oversized_answer_is_refused(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """A body above max_response_bytes is a protocol error (OWASP API10)."""
    httpx_mock.add_response(json=page_json([job_item_json(n) for n in range(20)]))

    with pytest.raises(UpstreamProtocolError, match="larger than 512 bytes"):
        await make_client(max_response_bytes=512).list_job_items(credential, JOB_ID)


async def test_the_base_url_path_prefix_is_kept(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient, credential: UpstreamCredential
) -> None:
    """A base URL with a path (a gateway prefix) is joined with the fixed paths."""
    httpx_mock.add_response(
        url=f"{BASE_URL}/pleo/v3/export-jobs/{JOB_ID}", json={"data": job_json()}
    )
    client = ExportClient(http, base_url=f"{BASE_URL}/pleo/")

    assert (await client.get_job(credential, JOB_ID)).id == JOB_ID

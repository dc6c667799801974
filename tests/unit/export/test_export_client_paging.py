"""Reading a job's items: the pages after the first by offset, at once, in order; cursors when
Pleo gives no total or an offset page disagrees; one failing page fails the list."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import UpstreamProtocolError, UpstreamRejected
from adapter.export.client import ExportClient
from adapter.export.models import ExportJobStatus
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import (
    JOB_ID,
    entry_id,
    export_item_json,
    job_item_json,
    job_json,
    page_json,
)

# The operations that read a job's items, and the record of item ``n`` each returns.
ITEM_LISTS = {
    "list_job_items": job_item_json,
    "iter_job_items": job_item_json,
    "list_export_items": export_item_json,
}
BOUND_SECONDS = 5.0  # a missing concurrency fails the test at this bound instead of hanging


def cursor(position: int) -> str:
    return base64.b32encode(str(position).encode()).decode()


def position(raw: str) -> int:
    return int(base64.b32decode(raw).decode())


class PagedList:
    """A fake Pleo list of ``total`` records with cursors, offsets and ``pagination.total``.

    ``hold`` makes the first ``hold`` offset requests wait until that many have arrived, so
    a test passes only if they were in flight at the same time (bounded, never hanging).
    """

    def __init__(
        self,
        total: int,
        record: Callable[[int], dict[str, Any]],
        *,
        limit: int = 100,
        with_total: bool = True,
        honour_offset: bool = True,
        hold: int = 0,
        fail_offset: int | None = None,
    ) -> None:
        self.total, self.record, self.limit = total, record, limit
        self.with_total, self.honour_offset = with_total, honour_offset
        self.hold, self.fail_offset = hold, fail_offset
        self.arrived = 0
        self.all_arrived = asyncio.Event()
        self.requests: list[dict[str, str]] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        start = 0
        if "after" in params:
            start = position(params["after"]) + 1
        elif "offset" in params:
            start = int(params["offset"]) if self.honour_offset else 0
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                self.arrived += 1
                if self.arrived >= self.hold:
                    self.all_arrived.set()
                if self.arrived <= self.hold:
                    async with asyncio.timeout(BOUND_SECONDS):
                        await self.all_arrived.wait()
                else:
                    await asyncio.sleep(0)  # let other requests overlap this one
            finally:
                self.in_flight -= 1
            if start == self.fail_offset:
                return httpx.Response(422, json={"type": "SOMETHING_WRONG", "message": "no"})
        end = min(self.total, start + min(self.limit, int(params.get("limit", "50"))))
        body = page_json(
            [self.record(n) for n in range(start, end)],
            cursor(end - 1) if end < self.total else None,
        )
        if end > start:
            body["pagination"]["endCursor"] = cursor(end - 1)
        if self.with_total:
            body["pagination"]["total"] = self.total
        return httpx.Response(200, json=body)

    def offsets(self) -> list[int]:
        return [int(r["offset"]) for r in self.requests if "offset" in r]

    def afters(self) -> list[int]:
        return [position(r["after"]) for r in self.requests if "after" in r]


async def read(client: ExportClient, operation: str, credential: UpstreamCredential) -> list[str]:
    method = getattr(client, operation)
    if operation.startswith("iter_"):
        return [r.accounting_entry_id async for page in method(credential, JOB_ID) for r in page]
    return [record.accounting_entry_id for record in await method(credential, JOB_ID)]


@pytest.mark.parametrize("operation", sorted(ITEM_LISTS))
async def test_pages_after_the_first_are_fetched_at_once_by_offset_in_order(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, operation: str
) -> None:
    """250 items at limit 100: the first page, then offsets 100 and 200 both in flight at
    once, and every item comes back once, in Pleo's order."""
    pleo = PagedList(250, ITEM_LISTS[operation], hold=2)
    httpx_mock.add_callback(pleo, is_reusable=True)

    ids = await read(client, operation, credential)

    assert ids == [entry_id(n) for n in range(250)]
    assert pleo.offsets() == [100, 200]
    assert pleo.afters() == []
    assert pleo.peak == 2
    assert all(r["limit"] == "100" for r in pleo.requests)


async def test_order_is_kept_when_a_later_page_answers_first(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """The page at offset 200 answers before the one at 100; the items stay in order."""
    answered: list[int] = []
    later_answered = asyncio.Event()
    pleo = PagedList(300, job_item_json)

    async def respond(request: httpx.Request) -> httpx.Response:
        offset = request.url.params.get("offset")
        if offset == "100":
            async with asyncio.timeout(BOUND_SECONDS):
                await later_answered.wait()
        response = await pleo(request)
        if offset is not None:
            answered.append(int(offset))
        if offset == "200":
            later_answered.set()
        return response

    httpx_mock.add_callback(respond, is_reusable=True)

    ids = await read(client, "list_job_items", credential)

    assert answered == [200, 100]
    assert ids == [entry_id(n) for n in range(300)]


async def test_offset_pages_stay_within_the_in_flight_cap(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """Six pages after the first with max_in_flight=2: never more than two at Pleo at once."""
    pleo = PagedList(700, job_item_json, hold=2)
    httpx_mock.add_callback(pleo, is_reusable=True)
    client = make_client(max_in_flight=2)

    ids = await read(client, "list_job_items", credential)

    assert ids == [entry_id(n) for n in range(700)]
    assert sorted(pleo.offsets()) == [100, 200, 300, 400, 500, 600]
    assert pleo.peak == 2
    assert client.metrics_snapshot().peak_in_flight == 2


async def test_a_server_that_clamps_the_limit_is_paged_by_its_page_length(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """Asked for 100 but given 40 a page, the offsets step by 40."""
    pleo = PagedList(100, job_item_json, limit=40)
    httpx_mock.add_callback(pleo, is_reusable=True)

    ids = await read(make_client(), "list_job_items", credential)

    assert ids == [entry_id(n) for n in range(100)]
    assert pleo.offsets() == [40, 80]


@pytest.mark.parametrize("operation", sorted(ITEM_LISTS))
async def test_without_a_total_pages_follow_cursors(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, operation: str
) -> None:
    """An answer without pagination.total is paged by after=<endCursor>, one page at a time."""
    pleo = PagedList(250, ITEM_LISTS[operation], with_total=False)
    httpx_mock.add_callback(pleo, is_reusable=True)

    ids = await read(client, operation, credential)

    assert ids == [entry_id(n) for n in range(250)]
    assert pleo.offsets() == []
    assert pleo.afters() == [99, 199]


async def test_an_offset_page_that_disagrees_falls_back_to_cursors(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A server that ignores offset (the first page again) is then paged by cursor from the
    last page that agreed, and no item comes back twice."""
    pleo = PagedList(250, job_item_json, honour_offset=False)
    httpx_mock.add_callback(pleo, is_reusable=True)

    ids = await read(client, "list_job_items", credential)

    assert ids == [entry_id(n) for n in range(250)]
    assert pleo.afters() == [99, 199]


async def test_a_failing_offset_page_fails_the_whole_list(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A 422 on the page at offset 200 fails the read; no partial list is returned."""
    pleo = PagedList(400, job_item_json, fail_offset=200)
    httpx_mock.add_callback(pleo, is_reusable=True)

    with pytest.raises(UpstreamRejected):
        await read(client, "list_job_items", credential)


async def test_a_broken_offset_page_is_a_protocol_error(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """An offset page that breaks the contract fails the read as a protocol error."""
    pleo = PagedList(200, job_item_json)

    async def respond(request: httpx.Request) -> httpx.Response:
        if "offset" in request.url.params:
            return httpx.Response(200, json={"data": [{"id": "x"}], "pagination": {}})
        return await pleo(request)

    httpx_mock.add_callback(respond, is_reusable=True)

    with pytest.raises(UpstreamProtocolError, match="breaks the contract"):
        await read(client, "list_job_items", credential)


async def test_a_total_beyond_the_page_bound_is_refused_before_paging(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """total=1,000 at 100 a page needs 10 pages; with max_pages=5 only the first is read."""
    pleo = PagedList(1000, job_item_json)
    httpx_mock.add_callback(pleo, is_reusable=True)

    with pytest.raises(UpstreamProtocolError, match="past 5 pages"):
        await read(make_client(max_pages=5), "list_job_items", credential)

    assert len(pleo.requests) == 1


@pytest.mark.parametrize("operation", ["list_job_items", "iter_job_items"])
async def test_items_of_another_job_on_an_offset_page_are_refused(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, operation: str
) -> None:
    """The check that every item belongs to the requested job covers the offset pages too,
    whether the list is read whole or page by page."""
    other = "0b0b0b0b-0000-4000-8000-000000000009"
    pleo = PagedList(150, lambda n: job_item_json(n, job_id=other if n == 120 else JOB_ID))
    httpx_mock.add_callback(pleo, is_reusable=True)

    with pytest.raises(UpstreamProtocolError, match="another export job"):
        await read(client, operation, credential)


async def test_the_jobs_list_is_still_paged_by_cursor(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Jobs come and go between two requests, so their list follows cursors even with a total."""
    pleo = PagedList(150, lambda n: job_json(f"0b0b0b0b-0000-4000-8000-{n:012d}"))
    httpx_mock.add_callback(pleo, is_reusable=True)

    jobs = await client.list_jobs(credential, statuses=[ExportJobStatus.PENDING])

    assert len(jobs) == 150
    assert pleo.offsets() == []
    assert pleo.afters() == [99]


async def test_export_items_can_be_read_page_by_page_in_order(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """iter_export_items hands out each page in Pleo's order, the later ones read by offset."""
    pleo = PagedList(250, export_item_json, hold=2)
    httpx_mock.add_callback(pleo, is_reusable=True)

    pages = [
        [item.accounting_entry_id for item in page]
        async for page in client.iter_export_items(credential, JOB_ID)
    ]

    assert pages == [[entry_id(n) for n in range(s, min(s + 100, 250))] for s in (0, 100, 200)]
    assert pleo.offsets() == [100, 200]


async def test_leaving_the_page_iterator_early_cancels_the_pages_fetched_ahead(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A caller that stops after the first page leaves no request running behind it."""
    pleo = PagedList(500, export_item_json)
    httpx_mock.add_callback(pleo, is_reusable=True)

    pages = client.iter_export_items(credential, JOB_ID)
    first = await anext(pages)
    await pages.aclose()  # type: ignore[attr-defined]  # an async generator at run time

    assert len(first) == 100
    assert client.metrics_snapshot().in_flight == 0

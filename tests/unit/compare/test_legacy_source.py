"""Reading the legacy API: every page, GET only, exact numbers, failures named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.compare.legacy_source import LegacyApiSource
from adapter.errors import (
    ConfigurationError,
    UpstreamAuthError,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

LEGACY = "https://openapi.pleo.test"
TOKEN = "legacy-canary-4b1d"


def page(ids: list[str], next_offset: Any = None, total: int = 5, **extra: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"pageSize": len(ids), "totalCount": total, **extra}
    if next_offset is not ...:
        info["nextPageOffset"] = next_offset
    return {"expenses": [{"id": i} for i in ids], "metadata": {"pageInfo": info}}


def url(offset: int, size: int = 2, statuses: tuple[str, ...] = ("QUEUED",)) -> httpx.URL:
    params = [("status", s) for s in statuses]
    params += [("pageOffset", str(offset)), ("pageSize", str(size))]
    return httpx.URL(f"{LEGACY}/v1/expenses", params=params)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


def source(http: httpx.AsyncClient, **options: Any) -> LegacyApiSource:
    return LegacyApiSource(http, base_url=LEGACY + "/", token=TOKEN, page_size=2, **options)


async def test_every_page_is_read_until_next_offset_is_null(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient
) -> None:
    """Pages at offsets 0, 2, 4 are read with the bearer token; null ends the list."""
    httpx_mock.add_response(url=url(0), json=page(["a", "b"], 2))
    httpx_mock.add_response(url=url(2), json=page(["c", "d"], 4))
    httpx_mock.add_response(url=url(4), json=page(["e"], None))
    seen: list[tuple[int, int | None]] = []

    expenses = await source(http, on_progress=lambda n, t: seen.append((n, t))).read_all(["QUEUED"])

    assert [e["id"] for e in expenses] == ["a", "b", "c", "d", "e"]
    assert seen == [(2, 5), (4, 5), (5, 5)]
    requests = httpx_mock.get_requests()
    assert {r.method for r in requests} == {"GET"}
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in requests)


async def test_an_absent_next_offset_also_ends_the_list(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient
) -> None:
    """Older answers leave nextPageOffset out on the last page; that ends the list too."""
    httpx_mock.add_response(url=url(0, statuses=()), json=page(["a"], ...))
    assert len(await source(http).read_all([])) == 1


async def test_several_statuses_are_repeated_parameters(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient
) -> None:
    """status=QUEUED&status=EXPORTING, as Pleo's legacy document serialises arrays."""
    httpx_mock.add_response(url=url(0, statuses=("QUEUED", "EXPORTING")), json=page([]))
    assert await source(http).read_all(["QUEUED", "EXPORTING"]) == []


async def test_numbers_are_read_exactly(httpx_mock: HTTPXMock, http: httpx.AsyncClient) -> None:
    """896.960 stays the Decimal 896.960, never a float."""
    body = b'{"expenses":[{"id":"a","amountSettled":{"value":896.960,"currency":"SEK"}}],'
    body += b'"metadata":{"pageInfo":{"pageSize":1,"totalCount":1,"nextPageOffset":null}}}'
    httpx_mock.add_response(url=url(0), content=body)
    [expense] = await source(http).read_all(["QUEUED"])
    assert repr(expense["amountSettled"]["value"]) == "Decimal('896.960')"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b'{"expenses": []}', "no 'expenses' list or no 'metadata.pageInfo'"),
        (b'{"expenses": [{"id": 1}], "metadata": {"pageInfo": {}}}', "without a string 'id'"),
        (b'{"expenses": [], "metadata": {"pageInfo": {"nextPageOffset": "2"}}}', "not a number"),
        (b'{"expenses": [], "metadata": {"pageInfo": {"nextPageOffset": 2.5}}}', "not a whole"),
        (b'{"expenses": [], "metadata": {"pageInfo": {"nextPageOffset": 0}}}', "move forward"),
    ],
)
async def test_a_broken_answer_is_a_protocol_error(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient, body: bytes, message: str
) -> None:
    """Bodies that break the legacy document are refused with a message saying how."""
    httpx_mock.add_response(url=url(0), content=body)
    with pytest.raises(UpstreamProtocolError, match=message):
        await source(http).read_all(["QUEUED"])


async def test_pages_are_bounded(httpx_mock: HTTPXMock, http: httpx.AsyncClient) -> None:
    """A list that never ends is cut at max_pages."""
    httpx_mock.add_response(url=url(0), json=page(["a"], 2))
    httpx_mock.add_response(url=url(2), json=page(["b"], 4))
    with pytest.raises(UpstreamProtocolError, match="ran past 2 pages"):
        await source(http, max_pages=2).read_all(["QUEUED"])


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, UpstreamAuthError), (503, UpstreamUnavailable), (302, UpstreamProtocolError)],
)
async def test_failures_map_to_the_error_tree_and_redirects_are_not_followed(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient, status: int, error: type[Exception]
) -> None:
    """401, 503 and a redirect are one request each, raised as the matching error."""
    httpx_mock.add_response(url=url(0), status_code=status, headers={"Location": "/elsewhere"})
    with pytest.raises(error) as caught:
        await source(http).read_all(["QUEUED"])
    assert TOKEN not in str(caught.value)
    assert len(httpx_mock.get_requests()) == 1


async def test_a_timeout_is_an_upstream_timeout(
    httpx_mock: HTTPXMock, http: httpx.AsyncClient
) -> None:
    """No answer in time is UpstreamTimeout."""
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=url(0))
    with pytest.raises(UpstreamTimeout):
        await source(http).read_all(["QUEUED"])


def test_the_token_is_never_shown(http: httpx.AsyncClient) -> None:
    """repr names the URL only; an empty token or page size is a configuration error."""
    assert TOKEN not in repr(source(http))
    with pytest.raises(ConfigurationError):
        LegacyApiSource(http, base_url=LEGACY, token="")
    with pytest.raises(ConfigurationError):
        LegacyApiSource(http, base_url=LEGACY, token=TOKEN, page_size=0)

"""LegacyApiClient forwards exactly what it should, to exactly one origin, and maps failures."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import UpstreamProtocolError, UpstreamTimeout, UpstreamUnavailable
from adapter.passthrough import LegacyApiClient
from adapter.passthrough.client import forwarded_headers

ORIGIN = "https://openapi.pleo.test"


@pytest.fixture
async def client() -> LegacyApiClient:
    return LegacyApiClient(
        httpx.AsyncClient(follow_redirects=False), origin=ORIGIN, max_response_bytes=1024
    )


async def test_method_path_query_body_and_three_headers_are_forwarded(
    client: LegacyApiClient, httpx_mock: HTTPXMock
) -> None:
    """The request keeps its method, path, raw query and body, and only the allowed headers."""
    httpx_mock.add_response(
        method="PATCH",
        url=f"{ORIGIN}/v1/tags/t1?archived=true&a=1&a=2",
        match_content=b'{"x": 1}',
        match_headers={"authorization": "Bearer legacy", "content-type": "application/json"},
        json={"ok": True},
        headers={"Retry-After": "3"},
    )
    answer = await client.forward(
        "PATCH",
        "/v1/tags/t1",
        query=b"archived=true&a=1&a=2",
        headers={
            "Authorization": "Bearer legacy",
            "Content-Type": "application/json",
            "Host": "proxy.example",
            "X-Forwarded-For": "10.0.0.1",
        },
        body=b'{"x": 1}',
    )
    assert (answer.status, answer.body, answer.retry_after) == (200, b'{"ok":true}', "3")
    sent = httpx_mock.get_request()
    assert sent is not None
    assert "x-forwarded-for" not in sent.headers
    assert sent.headers["host"] == "openapi.pleo.test"


def test_hop_by_hop_headers_and_those_connection_names_are_dropped() -> None:
    """Only Authorization, Content-Type and Accept pass, never one Connection names."""
    kept = forwarded_headers(
        {
            "Authorization": "Bearer t",
            "Accept": "application/json",
            "Connection": "accept",
            "Keep-Alive": "5",
            "Transfer-Encoding": "chunked",
            "Proxy-Authorization": "Basic x",
        }
    )
    assert kept == {"authorization": "Bearer t"}


@pytest.mark.parametrize("path", ["//evil.example/v1/x", "v1/x", "http://evil.example/v1"])
def test_a_path_can_never_leave_the_configured_origin(client: LegacyApiClient, path: str) -> None:
    """A path that is not a plain absolute path is refused before anything is sent."""
    with pytest.raises(ValueError, match="legacy path"):
        client.url_for(path)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ConnectError("refused"), UpstreamUnavailable),
        (httpx.ConnectTimeout("slow"), UpstreamTimeout),
        (httpx.ReadTimeout("slow"), UpstreamTimeout),
        (httpx.RemoteProtocolError("garbled"), UpstreamProtocolError),
    ],
)
async def test_transport_failures_map_to_503_504_502(
    client: LegacyApiClient,
    httpx_mock: HTTPXMock,
    failure: Exception,
    expected: type[Exception],
) -> None:
    """Refused: 503; no answer in time: 504; anything else broken: 502."""
    httpx_mock.add_exception(failure)
    with pytest.raises(expected) as caught:
        await client.forward("GET", "/v1/accounts", headers={})
    assert caught.value.status_code in (502, 503, 504)  # type: ignore[attr-defined]  # every UpstreamError has one


async def test_an_answer_over_the_cap_is_a_502(
    client: LegacyApiClient, httpx_mock: HTTPXMock
) -> None:
    """A legacy answer larger than the cap is refused, not buffered without bound."""
    httpx_mock.add_response(content=b"x" * 2048)
    with pytest.raises(UpstreamProtocolError, match="more than 1024 bytes"):
        await client.forward("GET", "/v1/accounts", headers={})


async def test_a_redirect_is_not_followed(client: LegacyApiClient, httpx_mock: HTTPXMock) -> None:
    """A 3xx is a 502: the proxy never follows a redirect with a client's token."""
    httpx_mock.add_response(status_code=307, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(UpstreamProtocolError, match="redirected"):
        await client.forward("GET", "/v1/accounts", headers={"Authorization": "Bearer t"})

"""Credentials go only to Pleo, exactly as given, and never into errors or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import ConfigurationError, UpstreamError, UpstreamProtocolError
from adapter.export.client import ExportClient, build_http_client
from adapter.export.models import CreateExportJobEvent, ExportJobEventType
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import BASE_URL, CANARY, JOB_ID, job_json, page_json


@pytest.mark.parametrize(
    "credential",
    [
        UpstreamCredential.bearer("token-abc"),
        UpstreamCredential.api_key("key-123"),
        UpstreamCredential.from_header("Bearer   spaced  token"),
    ],
    ids=["bearer", "api-key", "verbatim"],
)
async def test_authorization_is_sent_exactly_as_given(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """The credential's header value reaches Pleo byte for byte, with JSON accepted."""
    httpx_mock.add_response(
        match_headers={"Authorization": credential.authorization, "Accept": "application/json"},
        json={"data": job_json()},
    )

    await client.get_job(credential, JOB_ID)


async def test_each_call_carries_its_own_tenant_credential(
    httpx_mock: HTTPXMock, client: ExportClient
) -> None:
    """Interleaved calls for two tenants each send their own Authorization, nothing shared."""
    one, two = UpstreamCredential.bearer("tenant-one"), UpstreamCredential.bearer("tenant-two")
    for credential in (one, two, one):
        httpx_mock.add_response(
            match_headers={"Authorization": credential.authorization}, json={"data": job_json()}
        )

    for credential in (one, two, one):
        await client.get_job(credential, JOB_ID)


async def test_the_credential_never_appears_in_errors_or_logs(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """For every kind of failure, no str, repr or log record contains the token."""
    caplog.set_level(logging.DEBUG)
    client = make_client(retries=1)
    failures: list[dict[str, Any]] = [
        {"status_code": 401, "json": {"type": "UNAUTHORIZED", "message": CANARY}},
        {"status_code": 403},
        {"status_code": 404, "json": {"type": "EXPORT_NOT_FOUND"}},
        {"status_code": 302, "headers": {"Location": f"https://evil.example/?t={CANARY}"}},
        {"status_code": 200, "content": b"not json"},
    ]
    for failure in failures:
        httpx_mock.add_response(**failure)
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "1"}, is_reusable=True)
    errors: list[UpstreamError] = []
    for _ in range(len(failures) + 1):
        with pytest.raises(UpstreamError) as caught:
            await client.get_job(credential, JOB_ID)
        errors.append(caught.value)
    httpx_mock.reset()
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"))
    with pytest.raises(UpstreamError) as caught:
        await client.post_job_event(
            credential, CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=JOB_ID)
        )
    errors.append(caught.value)

    for error in errors:
        assert CANARY not in str(error)
        assert CANARY not in repr(error)
        assert CANARY not in repr(error.headers)
    assert CANARY not in repr(client)
    assert CANARY not in repr(credential)
    assert any(record.name == "adapter.export" for record in caplog.records)
    for record in caplog.records:
        assert CANARY not in record.getMessage()
    assert CANARY not in caplog.text


async def test_requests_never_leave_the_configured_origin(
    httpx_mock: HTTPXMock,
    http: httpx.AsyncClient,
    client: ExportClient,
    credential: UpstreamCredential,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If a request were ever built for another origin, it is refused before it is sent."""
    real_build = http.build_request

    def build_elsewhere(method: str, url: str, **kwargs: Any) -> httpx.Request:
        return real_build(method, url.replace(BASE_URL, "https://evil.example"), **kwargs)

    monkeypatch.setattr(http, "build_request", build_elsewhere)

    with pytest.raises(UpstreamProtocolError, match="outside the configured"):
        await client.get_job(credential, JOB_ID)
    # strict httpx_mock: any request that went out would fail this test as unexpected


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://external.pleo.io",
        "https://user:secret@external.pleo.io",
        "https://external.pleo.io/?redirect=https://evil.example",
        "https://external.pleo.io/#fragment",
        "/v3",
    ],
)
def test_a_base_url_with_more_than_an_origin_and_path_is_refused(
    http: httpx.AsyncClient, base_url: str
) -> None:
    """Only http(s)://host[:port][/path] is accepted as the Export API base URL."""
    with pytest.raises(ConfigurationError):
        ExportClient(http, base_url=base_url)


@pytest.mark.parametrize(
    "options",
    [
        {"max_in_flight": 0},
        {"page_limit": 0},
        {"retries": -1},
        {"max_pages": 0},
        {"backoff_cap": -1},
    ],
)
def test_nonsensical_options_are_refused(http: httpx.AsyncClient, options: dict[str, Any]) -> None:
    """Bounds that cannot work fail at construction, not at the first call."""
    with pytest.raises(ConfigurationError):
        ExportClient(http, base_url=BASE_URL, **options)


async def test_build_http_client_sets_timeouts_limits_and_no_redirects() -> None:
    """The shared client has the given timeout, follows no redirects and has no base URL."""
    async with build_http_client(timeout_seconds=7.5, max_connections=12) as http:
        assert http.timeout == httpx.Timeout(7.5)
        assert http.follow_redirects is False
        assert http.base_url == httpx.URL("")


async def test_build_http_client_uses_the_given_transport(credential: UpstreamCredential) -> None:
    """A transport (the sandbox's ASGI app, a fault injector) can be plugged in."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page_json([]))

    transport = httpx.MockTransport(handler)
    async with build_http_client(timeout_seconds=1, max_connections=1, transport=transport) as http:
        assert await ExportClient(http, base_url=BASE_URL).list_jobs(credential, statuses=[]) == []
    assert len(seen) == 1


@pytest.mark.parametrize(
    "options",
    [{"timeout_seconds": 0, "max_connections": 1}, {"timeout_seconds": 1, "max_connections": 0}],
)
def test_build_http_client_refuses_unbounded_settings(options: dict[str, Any]) -> None:
    """A zero timeout or an empty pool is a configuration error."""
    with pytest.raises(ConfigurationError):
        build_http_client(**options)

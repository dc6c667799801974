"""Pleo's failures mapped to the exception tree, and which of them are retried."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapter.export.client import ExportClient
from adapter.export.errors import parse_retry_after
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemStatus,
    UpdateExportJobItemV3,
)
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import JOB_ID, entry_id, job_json, page_json

PLEO_MESSAGE = "internal detail from Pleo that must not be echoed"
STARTED = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=JOB_ID)
UPDATE = [
    UpdateExportJobItemV3(accounting_entry_id=entry_id(1), status=ExportJobItemStatus.IN_PROGRESS)
]


@pytest.mark.parametrize(
    ("status", "pleo_type", "raised", "client_status", "error_type"),
    [
        (400, "MISSING_CONTRA_ACCOUNTS", UpstreamRejected, 502, "UPSTREAM_REJECTED"),
        (401, None, UpstreamAuthError, 401, "UPSTREAM_UNAUTHORIZED"),
        (403, None, UpstreamForbidden, 403, "UPSTREAM_FORBIDDEN"),
        (404, "EXPORT_NOT_FOUND", UpstreamRejected, 502, "UPSTREAM_REJECTED"),
        (409, "EXPORT_ALREADY_IN_PROGRESS", UpstreamRejected, 502, "UPSTREAM_REJECTED"),
        (413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT", UpstreamRejected, 502, "UPSTREAM_REJECTED"),
        (422, "EXPORT_JOB_STATUS_UNPROCESSABLE", UpstreamRejected, 502, "UPSTREAM_REJECTED"),
        (429, None, UpstreamUnavailable, 503, "UPSTREAM_UNAVAILABLE"),
        (500, None, UpstreamUnavailable, 503, "UPSTREAM_UNAVAILABLE"),
        (503, None, UpstreamUnavailable, 503, "UPSTREAM_UNAVAILABLE"),
        (302, None, UpstreamProtocolError, 502, "BAD_GATEWAY"),
    ],
)
async def test_each_http_failure_maps_to_its_exception(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    status: int,
    pleo_type: str | None,
    raised: type[UpstreamError],
    client_status: int,
    error_type: str,
) -> None:
    """Pleo's status becomes the documented exception, keeping upstream status and type."""
    body = {"type": pleo_type or "SOMETHING", "message": PLEO_MESSAGE}
    httpx_mock.add_response(status_code=status, json=body)

    with pytest.raises(raised) as caught:
        await make_client(retries=0).get_job(credential, JOB_ID)

    error = caught.value
    assert type(error) is raised
    assert (error.status_code, error.error_type) == (client_status, error_type)
    assert error.upstream_status == status
    assert error.upstream_type == (pleo_type or "SOMETHING")
    assert PLEO_MESSAGE not in str(error)
    assert PLEO_MESSAGE not in repr(error)


async def test_a_redirect_is_not_followed(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A 302 to another host is a protocol error; the Location is never requested."""
    httpx_mock.add_response(status_code=302, headers={"Location": "https://evil.example/steal"})

    with pytest.raises(UpstreamProtocolError, match="redirect"):
        await client.get_job(credential, JOB_ID)

    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("spelling", ["export_not_found", "Export_Not_Found", "EXPORT_NOT_FOUND"])
async def test_the_error_type_is_compared_case_insensitively(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, spelling: str
) -> None:
    """Any spelling of Pleo's type arrives upper-cased, so one comparison covers them all."""
    httpx_mock.add_response(status_code=404, json={"type": spelling})

    with pytest.raises(UpstreamRejected) as caught:
        await client.get_job(credential, JOB_ID)

    assert caught.value.upstream_type == "EXPORT_NOT_FOUND"


@pytest.mark.parametrize(
    "content",
    [b"<html>Bad gateway</html>", b"", b'{"message": "no type"}', b'{"type": "has spaces in it"}'],
)
async def test_an_error_body_that_is_not_exception_info_leaves_the_type_empty(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, content: bytes
) -> None:
    """Bodies without a usable ExceptionInfo type are tolerated; only the status is kept."""
    httpx_mock.add_response(status_code=404, content=content)

    with pytest.raises(UpstreamRejected) as caught:
        await client.get_job(credential, JOB_ID)

    assert (caught.value.upstream_status, caught.value.upstream_type) == (404, None)


@pytest.mark.parametrize(
    ("exception", "raised"),
    [
        (httpx.ReadTimeout("read timed out"), UpstreamTimeout),
        (httpx.ConnectTimeout("connect timed out"), UpstreamTimeout),
        (httpx.ConnectError("connection refused"), UpstreamUnavailable),
        (httpx.RemoteProtocolError("peer closed connection"), UpstreamProtocolError),
        (httpx.ReadError("connection reset"), UpstreamProtocolError),
        (httpx.DecodingError("bad gzip"), UpstreamProtocolError),
    ],
)
async def test_transport_failures_map_to_timeout_unavailable_or_protocol_error(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    exception: httpx.RequestError,
    raised: type[UpstreamError],
) -> None:
    """Timeouts are 504, a refused connection is 503, every other transport failure is 502."""
    httpx_mock.add_exception(exception)

    with pytest.raises(raised) as caught:
        await make_client(retries=0).get_job(credential, JOB_ID)

    assert type(caught.value) is raised
    assert caught.value.upstream_status is None


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_passed_through(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    status: int,
) -> None:
    """The caller gets Pleo's Retry-After to hand on to the legacy client."""
    httpx_mock.add_response(status_code=status, headers={"Retry-After": "17"})

    with pytest.raises(UpstreamUnavailable) as caught:
        await make_client(retries=0).get_job(credential, JOB_ID)

    assert caught.value.headers == {"Retry-After": "17"}


async def test_retry_after_as_an_http_date_is_normalised_to_seconds(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """An HTTP-date Retry-After becomes delta-seconds from now."""
    when = datetime.now(UTC) + timedelta(seconds=120)
    httpx_mock.add_response(
        status_code=503, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )

    with pytest.raises(UpstreamUnavailable) as caught:
        await make_client(retries=0).get_job(credential, JOB_ID)

    assert 115 <= int(caught.value.headers["Retry-After"]) <= 121


async def test_no_retry_after_header_when_pleo_sent_none(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """Without Pleo's Retry-After the error carries no headers."""
    httpx_mock.add_response(status_code=503)

    with pytest.raises(UpstreamUnavailable) as caught:
        await make_client(retries=0).get_job(credential, JOB_ID)

    assert caught.value.headers == {}


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0),
        (" 42 ", 42),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: int | None) -> None:
    """Delta-seconds and HTTP-dates are understood, a date in the past is 0, junk is None."""
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


# --- retries -------------------------------------------------------------------------------


async def test_a_get_is_retried_after_503_then_succeeds(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """A 503 then a 200 returns the job after one jittered sleep within the first backoff."""
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json={"data": job_json()})

    job = await client.get_job(credential, JOB_ID)

    assert job.id == JOB_ID
    assert len(sleeps) == 1
    assert 0.0 <= sleeps[0] <= 0.25
    assert client.metrics_snapshot().retries == {"get_job": 1}


async def test_a_page_is_retried_without_restarting_the_list(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """A 502 on page two retries page two with the same cursor."""
    httpx_mock.add_response(json=page_json([job_json()], "NEXT"))
    httpx_mock.add_response(status_code=502)
    httpx_mock.add_response(json=page_json([]))

    jobs = await client.list_jobs(credential, statuses=[])

    later = httpx_mock.get_requests()[1:]
    assert [r.url.params.get("after") for r in later] == ["NEXT", "NEXT"]
    assert len(jobs) == 1
    assert len(sleeps) == 1


async def test_an_item_put_is_retried_with_the_same_body(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """503 and 504 then 200: the PUT is sent three times, identically, with growing backoff caps."""
    httpx_mock.add_response(method="PUT", status_code=503)
    httpx_mock.add_response(method="PUT", status_code=504)
    httpx_mock.add_response(method="PUT", json={"data": [], "errors": []})

    await client.update_job_items(credential, JOB_ID, UPDATE)

    bodies = {request.content for request in httpx_mock.get_requests()}
    assert len(httpx_mock.get_requests()) == 3
    assert len(bodies) == 1
    assert len(sleeps) == 2
    assert 0.0 <= sleeps[0] <= 0.25
    assert 0.0 <= sleeps[1] <= 0.5


async def test_retries_are_bounded(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """With retries=2 a GET is tried three times, then the last error is raised."""
    for _ in range(3):
        httpx_mock.add_response(status_code=503, headers={"Retry-After": "1"})

    with pytest.raises(UpstreamUnavailable) as caught:
        await client.get_job(credential, JOB_ID)

    assert len(httpx_mock.get_requests()) == 3
    assert sleeps == [1.0, 1.0]
    assert caught.value.headers == {"Retry-After": "1"}


async def test_backoff_is_capped(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    sleeps: list[float],
) -> None:
    """No jittered sleep exceeds backoff_cap however many attempts are made."""
    for _ in range(6):
        httpx_mock.add_response(status_code=502)

    client = make_client(retries=5, backoff_base=1.0, backoff_cap=1.5, circuit_failures=10)
    with pytest.raises(UpstreamUnavailable):
        await client.get_job(credential, JOB_ID)

    assert len(sleeps) == 5
    assert all(0.0 <= delay <= 1.5 for delay in sleeps)


async def test_a_short_retry_after_is_slept_exactly(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """A 429 with Retry-After: 2 (at the cap) waits exactly 2 s, then succeeds."""
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "2"})
    httpx_mock.add_response(json={"data": job_json()})

    await client.get_job(credential, JOB_ID)

    assert sleeps == [2.0]


async def test_a_long_retry_after_is_raised_not_slept(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """Retry-After above the cap raises at once with the header, so the caller can pass it on."""
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "120"})

    with pytest.raises(UpstreamUnavailable) as caught:
        await client.get_job(credential, JOB_ID)

    assert sleeps == []
    assert caught.value.headers == {"Retry-After": "120"}
    assert caught.value.upstream_status == 429


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501, 505])
async def test_answers_that_a_retry_would_not_fix_are_not_retried(
    httpx_mock: HTTPXMock,
    client: ExportClient,
    credential: UpstreamCredential,
    sleeps: list[float],
    status: int,
) -> None:
    """Only 429, 500, 502, 503 and 504 are retried; everything else fails on the first answer."""
    httpx_mock.add_response(status_code=status)

    with pytest.raises(UpstreamError):
        await client.get_job(credential, JOB_ID)

    assert sleeps == []


async def test_a_get_is_retried_after_a_read_timeout(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """A GET is safe to repeat, so a read timeout is retried."""
    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))
    httpx_mock.add_response(json={"data": job_json()})

    await client.get_job(credential, JOB_ID)

    assert len(sleeps) == 1


async def test_an_event_is_not_retried_after_a_read_timeout(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, sleeps: list[float]
) -> None:
    """The event may have reached Pleo, so exactly one request is made and the timeout raised."""
    httpx_mock.add_exception(httpx.ReadTimeout("read timed out"))

    with pytest.raises(UpstreamTimeout):
        await client.post_job_event(credential, STARTED)

    assert len(httpx_mock.get_requests()) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "exception",
    [
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
        httpx.WriteError("broken pipe"),
    ],
)
async def test_an_event_is_not_retried_after_the_connection_dropped(
    httpx_mock: HTTPXMock,
    client: ExportClient,
    credential: UpstreamCredential,
    exception: httpx.TransportError,
) -> None:
    """A reset or a half-written request may have landed; the event is not re-posted."""
    httpx_mock.add_exception(exception)

    with pytest.raises(UpstreamProtocolError):
        await client.post_job_event(credential, STARTED)

    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("status", [429, 502, 503])
async def test_an_event_is_not_retried_after_any_answer(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential, status: int
) -> None:
    """Even a 503 means the request reached Pleo: one request only."""
    httpx_mock.add_response(method="POST", status_code=status, headers={"Retry-After": "1"})

    with pytest.raises(UpstreamUnavailable):
        await client.post_job_event(credential, STARTED)

    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize("exception", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
async def test_an_event_is_retried_when_it_was_never_sent(
    httpx_mock: HTTPXMock,
    client: ExportClient,
    credential: UpstreamCredential,
    sleeps: list[float],
    exception: httpx.TransportError,
) -> None:
    """A failed connect means nothing reached Pleo, so the event is sent again."""
    httpx_mock.add_exception(exception)
    httpx_mock.add_response(method="POST", status_code=202)

    await client.post_job_event(credential, STARTED)

    assert len(httpx_mock.get_requests()) == 2
    assert len(sleeps) == 1

"""Every error a client sees is Pleo's legacy body ``{"statusCode", "error", "message"}`` + id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter.errors import (
    BadRequest,
    Conflict,
    MappingError,
    NotFound,
    StatusChangeRefused,
    Unauthorized,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapter.observability.request_id import RequestIdMiddleware
from adapter.web.errors import exception_handlers, legacy_error_body

CANARY = "canary-internal-detail"


async def ok(request: Request) -> Response:
    return Response("ok")


async def not_found(request: Request) -> Response:
    msg = "Expense e-1 not found."
    raise NotFound(msg)


async def conflict(request: Request) -> Response:
    msg = "Expense e-1 is already EXPORTED."
    raise Conflict(msg, headers={"X-Current-Status": "EXPORTED"})


async def unavailable(request: Request) -> Response:
    msg = "Pleo is unavailable; retry later."
    raise UpstreamUnavailable(msg, upstream_status=503, headers={"Retry-After": "7"})


async def timeout(request: Request) -> Response:
    msg = "Pleo did not answer in time."
    raise UpstreamTimeout(msg)


async def unauthorized(request: Request) -> Response:
    raise Unauthorized


async def bad_request(request: Request) -> Response:
    msg = "pageSize: expected a whole number."
    raise BadRequest(msg, error_type="INVALID_QUERY_PARAMETER")


async def refused(request: Request) -> Response:
    msg = "cannot set expense e-1 to QUEUED"
    raise StatusChangeRefused(msg, accounting_entry_id="e-1")


async def unmappable(request: Request) -> Response:
    msg = "item e-1: legacy field 'type' is invalid"
    raise MappingError(msg, accounting_entry_id="e-1", field="type")


async def crash(request: Request) -> Response:
    msg = f"database password is {CANARY}"
    raise RuntimeError(msg)


def build_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/ok", ok),
            Route("/not-found", not_found),
            Route("/conflict", conflict, methods=["PUT"]),
            Route("/unavailable", unavailable),
            Route("/timeout", timeout),
            Route("/unauthorized", unauthorized),
            Route("/bad-request", bad_request),
            Route("/refused", refused, methods=["PUT"]),
            Route("/unmappable", unmappable),
            Route("/crash", crash),
        ],
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers=exception_handlers(),
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as http:
        yield http


@pytest.mark.parametrize(
    ("method", "path", "status", "error", "message"),
    [
        ("GET", "/not-found", 404, "Not Found", "Expense e-1 not found."),
        ("PUT", "/conflict", 409, "Conflict", "Expense e-1 is already EXPORTED."),
        ("PUT", "/refused", 409, "Conflict", "cannot set expense e-1 to QUEUED"),
        ("GET", "/unmappable", 502, "Bad Gateway", "item e-1: legacy field 'type' is invalid"),
        ("GET", "/unavailable", 503, "Service Unavailable", "Pleo is unavailable; retry later."),
        ("GET", "/timeout", 504, "Gateway Timeout", "Pleo did not answer in time."),
        ("GET", "/unauthorized", 401, "Unauthorized", "Missing or invalid credentials."),
        ("GET", "/bad-request", 400, "Bad Request", "pageSize: expected a whole number."),
        ("GET", "/crash", 500, "Internal Server Error", "The proxy failed unexpectedly."),
        ("GET", "/no-such-route", 404, "Not Found", "No route GET /no-such-route."),
        ("DELETE", "/conflict", 405, "Method Not Allowed", "DELETE is not allowed on /conflict."),
    ],
)
async def test_errors_answer_in_the_legacy_shape(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    error: str,
    message: str,
) -> None:
    """Each error gets its status and Pleo's legacy body, its three keys first, plus the id."""
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["statusCode", "error", "message", "requestId"]
    assert (body["statusCode"], body["error"], body["message"]) == (status, error, message)
    assert body["requestId"] == response.headers["x-request-id"]


async def test_unexpected_error_reveals_nothing_of_the_exception(
    client: httpx.AsyncClient,
) -> None:
    """A crash answers 500 without the exception's type, text or a traceback."""
    response = await client.get("/crash")
    assert response.status_code == 500
    for leaked in (CANARY, "RuntimeError", "Traceback", "password"):
        assert leaked not in response.text


async def test_retry_after_is_kept_on_upstream_unavailable(client: httpx.AsyncClient) -> None:
    """A 503 from an unavailable upstream tells the client when to retry."""
    response = await client.get("/unavailable")
    assert response.headers["retry-after"] == "7"


async def test_headers_an_error_carries_are_sent(client: httpx.AsyncClient) -> None:
    """Headers raised with a Conflict reach the client."""
    response = await client.put("/conflict")
    assert response.headers["x-current-status"] == "EXPORTED"


async def test_wrong_method_lists_the_allowed_ones(client: httpx.AsyncClient) -> None:
    """A 405 keeps the Allow header naming the methods the route accepts."""
    response = await client.delete("/conflict")
    assert response.headers["allow"] == "PUT"


@pytest.mark.parametrize("path", ["/ok", "/not-found", "/no-such-route"])
async def test_safe_client_request_id_is_echoed(client: httpx.AsyncClient, path: str) -> None:
    """A short plain X-Request-Id from the client is echoed in the header and the error body."""
    response = await client.get(path, headers={"X-Request-Id": "client-id_1.2"})
    assert response.headers["x-request-id"] == "client-id_1.2"
    if response.status_code >= 400:
        assert response.json()["requestId"] == "client-id_1.2"


@pytest.mark.parametrize(
    "supplied",
    ["has spaces in it", "a" * 200, "a" * 65, "semi;colon", "path/../x", "quote\"'", ""],
    ids=["spaces", "200-chars", "65-chars", "semicolon", "slashes", "quotes", "empty"],
)
async def test_unsafe_client_request_id_is_replaced(
    client: httpx.AsyncClient, supplied: str
) -> None:
    """An X-Request-Id that is long or has unusual characters is replaced by a fresh id."""
    response = await client.get("/not-found", headers={"X-Request-Id": supplied})
    echoed = response.headers["x-request-id"]
    assert echoed != supplied
    assert echoed.isalnum()
    assert response.json()["requestId"] == echoed


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    """Without a client id every request gets a different one, the same in header and body."""
    first = await client.get("/not-found")
    second = await client.get("/not-found")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.json()["requestId"] == first.headers["x-request-id"]


async def test_unexpected_error_still_echoes_the_request_id_header(
    client: httpx.AsyncClient,
) -> None:
    """A 500 carries the same X-Request-Id header as its body's requestId."""
    response = await client.get("/crash", headers={"X-Request-Id": "trace-500"})
    assert response.json()["requestId"] == "trace-500"
    assert response.headers.get("x-request-id") == "trace-500"


def test_legacy_error_body_without_a_request_id_has_no_request_id_key() -> None:
    """Outside a request the legacy body has only statusCode, error and message."""
    assert legacy_error_body(404, "Gone.", None) == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Gone.",
    }
    assert legacy_error_body(404, "Gone.", "r-1")["requestId"] == "r-1"

"""One access line per request, the request id on every line of it, request metrics by route."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapter.observability.access_log import AccessLogMiddleware
from adapter.observability.context import bind_company, company_hash
from adapter.observability.metrics import Metrics
from adapter.observability.request_id import RequestIdMiddleware
from tests.support.clocks import FakeClock
from tests.support.log_fixtures import CapturedLogs

COMPANY = "3C90C3CC-0D44-4B50-8888-8DD25736052A"


async def thing(request: Request) -> PlainTextResponse:
    logging.getLogger("tests.handler").info("stdlib line")
    structlog.stdlib.get_logger("tests.handler").info("structlog line")
    if request.headers.get("authorization"):
        bind_company(COMPANY)
        structlog.stdlib.get_logger("tests.handler").info("after auth")
    return PlainTextResponse("ok")


async def boom(request: Request) -> PlainTextResponse:
    msg = "a bug"
    raise RuntimeError(msg)


async def probe(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
async def client(metrics: Metrics) -> AsyncIterator[httpx.AsyncClient]:
    """A tiny app with the proxy's two middlewares and its metrics in the lifespan state."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"metrics": metrics}

    clock = FakeClock()

    def ticking() -> float:
        clock.advance(0.25)  # every request "takes" 250 ms
        return clock()

    app = Starlette(
        routes=[
            Route("/things/{thing_id}", thing, methods=["GET", "PUT"]),
            Route("/boom", boom),
            Route("/livez", probe),
            Route("/readyz", probe),
            Route("/metrics", probe),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(AccessLogMiddleware, clock=ticking),
        ],
        lifespan=lifespan,
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
            base_url="http://app.test",
        ) as http,
    ):
        yield http


def _requests_total(metrics: Metrics) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["route"], s.labels["method"], s.labels["status_class"]): s.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for s in family.samples
        if s.name == "adapter_http_requests_total"
    }


async def test_one_access_line_per_request_names_the_route_template(
    client: httpx.AsyncClient, logs: CapturedLogs
) -> None:
    """The access line has method, route template (not the raw path), status, duration, id."""
    response = await client.get("/things/4711?secret=x", headers={"X-Request-Id": "req-1"})
    (line,) = logs.events("request", logger="adapter.access")
    assert line["method"] == "GET"
    assert line["route"] == "/things/{thing_id}"
    assert line["status"] == 200
    assert line["duration_ms"] == 250.0
    assert line["request_id"] == "req-1" == response.headers["X-Request-Id"]
    assert line["level"] == "info"
    assert "4711" not in logs.text
    assert "secret=x" not in logs.text


async def test_every_line_of_a_request_carries_its_id_and_nothing_leaks_after(
    client: httpx.AsyncClient, logs: CapturedLogs
) -> None:
    """Lines written by the handler, through either logging API, carry the request id."""
    await client.get("/things/1", headers={"X-Request-Id": "first"})
    await client.get("/things/2")
    structlog.stdlib.get_logger("tests").info("between requests")
    lines = logs.lines()
    first = [line for line in lines if line.get("request_id") == "first"]
    assert [line["event"] for line in first] == ["stdlib line", "structlog line", "request"]
    second_id = logs.events("request")[1]["request_id"]
    assert second_id not in ("first", None)
    assert "request_id" not in logs.events("between requests")[0]


async def test_the_company_hash_appears_once_authenticated_never_the_company_id(
    client: httpx.AsyncClient, logs: CapturedLogs
) -> None:
    """After the route names the company, later lines carry its hash; the id itself never."""
    await client.get("/things/1", headers={"Authorization": "Bearer x"})
    await client.get("/things/2")
    with_company, without = logs.events("request")
    assert with_company["company_hash"] == company_hash(COMPANY) == company_hash(COMPANY.lower())
    assert logs.events("after auth")[0]["company_hash"] == company_hash(COMPANY)
    assert "company_hash" not in without
    assert COMPANY.lower() not in logs.text.lower()


async def test_probes_and_scrapes_are_neither_logged_nor_counted(
    client: httpx.AsyncClient, logs: CapturedLogs, metrics: Metrics
) -> None:
    """/livez, /readyz and /metrics leave no access line and no request series."""
    for path in ("/livez", "/readyz", "/metrics"):
        assert (await client.get(path)).status_code == 200
    assert logs.events("request") == []
    assert _requests_total(metrics) == {}


async def test_unknown_routes_and_methods_collapse_to_fixed_labels(
    client: httpx.AsyncClient, logs: CapturedLogs, metrics: Metrics
) -> None:
    """A path no route matches is 'unmatched'; an invented method is 'OTHER'."""
    await client.get("/no/such/path/123")
    await client.request("BREW", "/things/1")
    unmatched, brew = logs.events("request")
    assert (unmatched["route"], unmatched["status"]) == ("unmatched", 404)
    assert (brew["route"], brew["method"], brew["status"]) == ("/things/{thing_id}", "OTHER", 405)
    assert _requests_total(metrics) == {
        ("unmatched", "GET", "4xx"): 1,
        ("/things/{thing_id}", "OTHER", "4xx"): 1,
    }


async def test_a_crashing_request_is_logged_and_counted_as_500(
    client: httpx.AsyncClient, logs: CapturedLogs, metrics: Metrics
) -> None:
    """An exception in a route still gets its access line and a 5xx in the metrics."""
    response = await client.get("/boom", headers={"X-Request-Id": "crash"})
    assert response.status_code == 500
    (line,) = logs.events("request")
    assert (line["route"], line["status"], line["request_id"]) == ("/boom", 500, "crash")
    assert _requests_total(metrics) == {("/boom", "GET", "5xx"): 1}


async def test_requests_are_counted_per_route_template(
    client: httpx.AsyncClient, metrics: Metrics
) -> None:
    """Requests to different ids of one route add up in one series."""
    for thing_id in ("a", "b", "c"):
        await client.get(f"/things/{thing_id}")
    await client.put("/things/a")
    assert _requests_total(metrics) == {
        ("/things/{thing_id}", "GET", "2xx"): 3,
        ("/things/{thing_id}", "PUT", "2xx"): 1,
    }

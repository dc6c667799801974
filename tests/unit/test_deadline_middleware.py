"""Each legacy request runs under one deadline; a handler that outlives it gets a legacy 504."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapter.export.deadline import current_deadline
from adapter.observability.request_id import RequestIdMiddleware
from adapter.web import DeadlineMiddleware, exception_handlers
from tests.support.legacy_errors import assert_legacy_error


async def deadline_seen(request: Request) -> JSONResponse:
    deadline = current_deadline()
    return JSONResponse({"seconds": None if deadline is None else deadline.seconds})


async def never_answers(request: Request) -> JSONResponse:
    await asyncio.Event().wait()
    return JSONResponse({})  # never reached: nothing sets the event


def app(**options: Any) -> httpx.AsyncClient:
    starlette = Starlette(
        routes=[
            Route("/v1/expenses", deadline_seen),
            Route("/v1/slow", never_answers),
            Route("/readyz", deadline_seen),
            Route("/v1x", deadline_seen),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(DeadlineMiddleware, **options),
        ],
        exception_handlers=exception_handlers(),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=starlette), base_url="http://t")


async def test_a_legacy_route_runs_under_the_request_deadline() -> None:
    """A /v1 handler sees the configured deadline; other paths (health, look-alikes) see none."""
    async with app(seconds=12) as client:
        legacy = (await client.get("/v1/expenses")).json()
        health = (await client.get("/readyz")).json()
        lookalike = (await client.get("/v1x")).json()

    assert legacy == {"seconds": 12}
    assert health == {"seconds": None}
    assert lookalike == {"seconds": None}


async def test_a_handler_outliving_its_deadline_gets_a_legacy_504() -> None:
    """A handler still running when the guard fires is cut and the client gets the legacy 504
    body with its request id."""
    async with app(seconds=30, guard_seconds=0) as client:
        response = await client.get("/v1/slow", headers={"X-Request-Id": "req-1"})

    assert_legacy_error(response, 504, "within 30 s")
    assert response.json()["requestId"] == "req-1"
    assert response.headers["X-Request-Id"] == "req-1"

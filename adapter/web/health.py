"""``/livez`` (the process answers) and ``/readyz`` (it can serve now) for orchestrators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from adapter.web.responses import LegacyJSONResponse

__all__ = ["health_routes"]


async def livez(request: Request) -> LegacyJSONResponse:
    return LegacyJSONResponse({"status": "ok"})


async def readyz(request: Request) -> LegacyJSONResponse:
    ready = request.state.readiness["ready"]
    return LegacyJSONResponse(
        {"status": "ready" if ready else "stopping"}, status_code=200 if ready else 503
    )


def health_routes() -> list[BaseRoute]:
    return [
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]

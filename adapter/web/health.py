"""``/livez`` (the process answers) and ``/readyz`` (it can serve now) for orchestrators.

Not ready: while shutting down, and while the circuit breaker on Pleo's Export API is open
(every legacy call would get 503 at once). A half-open breaker counts as ready, so traffic can
reach the probe that closes it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from adapter.export.breaker import UpstreamHealth
from adapter.web.responses import LegacyJSONResponse

__all__ = ["health_routes"]


async def livez(request: Request) -> LegacyJSONResponse:
    return LegacyJSONResponse({"status": "ok"})


async def readyz(request: Request) -> LegacyJSONResponse:
    if not request.state.readiness["ready"]:
        return LegacyJSONResponse({"status": "stopping"}, status_code=503)
    upstream: UpstreamHealth = request.state.upstream_health()
    if not upstream.ready:
        return LegacyJSONResponse(
            {"status": "not ready", "reason": upstream.reason}, status_code=503
        )
    return LegacyJSONResponse({"status": "ready"})


def health_routes() -> list[BaseRoute]:
    return [
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]

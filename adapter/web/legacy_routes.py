"""Every legacy route, built from the one route table (:data:`adapter.passthrough.LEGACY_ROUTES`).

A ``translated`` route gets its endpoint from :data:`adapter.web.expenses.TRANSLATED`; a
``passthrough`` route gets the passthrough endpoint, which answers with the proxy's own health
check for ``GET /v1/health`` when no legacy API is configured. Each path is served with and
without a trailing slash (a redirect would make some clients drop a PUT body); a method the
table does not list for a path gets 405, an unknown path 404, both in the legacy error body.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapter.passthrough import LEGACY_ROUTES, passthrough_endpoint
from adapter.web.expenses import TRANSLATED
from adapter.web.responses import LegacyJSONResponse

__all__ = ["legacy_health", "legacy_routes"]


def legacy_health(request: Request) -> Response:
    """``GET /v1/health`` answered by the proxy itself (the caller is already authenticated):
    the shape of Pleo's ``HealthCheckResponse``."""
    return LegacyJSONResponse({"status": "OK"})


def legacy_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for route in LEGACY_ROUTES:
        for spelling in (route.path, f"{route.path}/"):
            if route.handling == "translated":
                routes.extend(
                    Route(spelling, TRANSLATED[(route.path, method)], methods=[method])
                    for method in route.methods
                )
            else:
                endpoint = passthrough_endpoint(route, {"/v1/health": legacy_health})
                routes.append(Route(spelling, endpoint, methods=list(route.methods)))
    return routes

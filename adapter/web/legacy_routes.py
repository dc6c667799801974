"""Every legacy route, built from the one route table (:data:`adapter.passthrough.LEGACY_ROUTES`).

A ``translated`` route gets its endpoint from :data:`adapter.web.expenses.TRANSLATED`; a
``passthrough`` route gets the passthrough endpoint, which answers with the proxy's own health
check for ``GET /v1/health`` when no legacy API is configured. Each path is served with and
without a trailing slash (a redirect would make some clients drop a PUT body); a method the
table does not list for a path gets 405, an unknown path 404, both in the legacy error body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapter.passthrough import LEGACY_ROUTES, LegacyRoute, passthrough_endpoint
from adapter.web.cutover import routed
from adapter.web.expenses import TRANSLATED
from adapter.web.responses import LegacyJSONResponse

__all__ = ["legacy_health", "legacy_routes"]


def legacy_health(request: Request) -> Response:
    """``GET /v1/health`` answered by the proxy itself (the caller is already authenticated):
    the shape of Pleo's ``HealthCheckResponse``."""
    return LegacyJSONResponse({"status": "OK"})


def _translated(path: str, methods: list[str]) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint per path, so a 405's ``Allow`` lists every method the path takes; each
    method is served in the caller's cutover mode (:mod:`adapter.web.cutover`)."""
    endpoints = {method: routed(path, method, TRANSLATED[(path, method)]) for method in methods}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint


def legacy_routes() -> list[BaseRoute]:
    translated: dict[str, list[str]] = {}
    for route in LEGACY_ROUTES:
        if route.handling == "translated":
            translated.setdefault(route.path, []).extend(route.methods)
    routes: list[BaseRoute] = []
    for route in LEGACY_ROUTES:
        if route.handling == "passthrough":
            endpoint = passthrough_endpoint(route, {"/v1/health": legacy_health})
            routes += [Route(p, endpoint, methods=list(route.methods)) for p in _spellings(route)]
        elif route.path in translated:
            methods = translated.pop(route.path)
            endpoint = _translated(route.path, methods)
            routes += [Route(p, endpoint, methods=methods) for p in _spellings(route)]
    return routes


def _spellings(route: LegacyRoute) -> tuple[str, str]:
    return route.path, f"{route.path}/"

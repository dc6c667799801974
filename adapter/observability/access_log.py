"""A pure ASGI middleware writing the one access line, and the request metrics, per request.

The line (logger ``adapter.access``, event ``request``) has ``method``, ``route`` (the matched
route's template, such as ``/v1/expenses/{expenseId}``; never the raw path, which carries ids
and query strings), ``status`` and ``duration_ms``; the request context adds ``request_id``
and, once the route has authenticated the caller, ``company_hash``. Health probes and
scrapes (:data:`QUIET_PATHS`) are neither logged nor counted: they would drown the rest.

It sits inside :class:`~adapter.observability.request_id.RequestIdMiddleware`, so the request
id is bound when the line is written. The :class:`~adapter.observability.metrics.Metrics` are
the app's, found in the lifespan state under ``metrics``; without one only the line is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.observability.metrics import Metrics

__all__ = ["QUIET_PATHS", "UNMATCHED_ROUTE", "AccessLogMiddleware", "route_template"]

QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
# The label of every request no route matched (404s of scanners, typos): one series, not many.
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_log = structlog.stdlib.get_logger("adapter.access")


def route_template(scope: Scope) -> str:
    """The template of the route Starlette matched (``scope["route"]``), else ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


def _method(scope: Scope) -> str:
    # A client can send any token as its method; labels stay a fixed set.
    method = str(scope.get("method", "")).upper()
    return method if method in _METHODS else "OTHER"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        started = self._clock()
        # A response never started means the app raised: Starlette will answer 500.
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            seconds = self._clock() - started
            route, method = route_template(scope), _method(scope)
            metrics = (scope.get("state") or {}).get("metrics")
            if isinstance(metrics, Metrics):
                metrics.observe_request(route, method, status, seconds)
            _log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 3),
            )

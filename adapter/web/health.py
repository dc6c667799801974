"""``/livez`` (the process answers), ``/readyz`` (it can serve now) and ``/metrics``.

``/readyz`` runs every check the app registered (:class:`Readiness`) and answers::

    {"status": "ready" | "not_ready" | "stopping",
     "checks": {"store": "ok" | "failing: <why>", "exportApi": "ok" | "unknown" | "failing: <why>"}}

with 200 only when ready. ``/livez`` checks nothing beyond the event loop answering, so a
failing dependency makes an orchestrator route traffic elsewhere, never restart the process.
``/metrics`` is Prometheus' text format, unauthenticated like the probes: operators expose it
to their scraper only, never publicly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapter.observability.metrics import CONTENT_TYPE, Metrics
from adapter.web.responses import LegacyJSONResponse

__all__ = ["Check", "Readiness", "health_routes", "ping_check"]

Check = Callable[[], Awaitable[str]]
"""A readiness check: ``"ok"``, ``"unknown"`` (no evidence either way: still ready) or
``"failing: <why>"``. Raising counts as failing."""

# A probe must answer before the orchestrator's own timeout (compose: 3 s).
_CHECK_TIMEOUT_SECONDS = 2.0


class _Pingable(Protocol):
    async def ping(self) -> None: ...


def ping_check(target: _Pingable) -> Check:
    """A check that is ``ok`` when ``target.ping()`` returns."""

    async def check() -> str:
        await target.ping()
        return "ok"

    return check


class Readiness:
    """The checks behind ``/readyz`` and the shutdown flag the lifespan sets."""

    def __init__(
        self, checks: Mapping[str, Check], *, timeout_seconds: float = _CHECK_TIMEOUT_SECONDS
    ) -> None:
        self._checks = dict(checks)
        self._timeout = timeout_seconds
        self.stopping = False

    def stop(self) -> None:
        """From now on report ``stopping`` (shutdown has begun)."""
        self.stopping = True

    async def report(self) -> tuple[str, dict[str, str]]:
        """The overall status and each check's result, checks run concurrently."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        if self.stopping:
            return "stopping", checks
        ready = all(r == "ok" or r == "unknown" for r in results)
        return ("ready" if ready else "not_ready"), checks

    async def _run(self, check: Check) -> str:
        try:
            return await asyncio.wait_for(check(), timeout=self._timeout)
        except TimeoutError:
            return f"failing: no answer within {self._timeout:g} s"
        except Exception as exc:
            # The type only: an exception's text can carry a URL with credentials in it.
            return f"failing: {type(exc).__name__}"


async def livez(request: Request) -> LegacyJSONResponse:
    return LegacyJSONResponse({"status": "ok"})


async def readyz(request: Request) -> LegacyJSONResponse:
    readiness: Readiness = request.state.readiness
    status, checks = await readiness.report()
    return LegacyJSONResponse(
        {"status": status, "checks": checks}, status_code=200 if status == "ready" else 503
    )


async def metrics(request: Request) -> Response:
    registry: Metrics = request.state.metrics
    return Response(registry.exposition(), media_type=CONTENT_TYPE)


def health_routes() -> list[BaseRoute]:
    return [
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]

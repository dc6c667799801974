"""One HTTP attempt to the Export API: the shared httpx client, the in-flight bound, the
per-attempt timeout, the response size cap, and the counters of every attempt.

Nothing here retries or judges an answer; :mod:`adapter.export.calls` does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from typing import Final

import httpx

from adapter.errors import ConfigurationError, UpstreamError, UpstreamProtocolError
from adapter.observability.metrics import Metrics

__all__ = ["Sender", "build_http_client"]

_log = logging.getLogger("adapter.export")

_MEGABYTE: Final = 1024 * 1024


def build_http_client(
    *,
    timeout_seconds: float,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The process's one upstream client: explicit timeouts and pool, redirects never followed.

    ``timeout_seconds`` bounds each phase of one attempt (connect, write, each read, pool);
    :class:`Sender` lowers it per attempt to what the deadline leaves. It has no ``base_url``:
    the export client joins its fixed paths to its own. The caller (the app lifespan) owns it
    and closes it.
    """
    if not (math.isfinite(timeout_seconds) and timeout_seconds > 0):
        msg = "timeout_seconds must be a positive finite number"
        raise ConfigurationError(msg)
    if max_connections < 1:
        msg = "max_connections must be at least 1"
        raise ConfigurationError(msg)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        follow_redirects=False,
        transport=transport,
    )


class Sender:
    """Sends one request at a time per caller, at most ``max_in_flight`` at once overall."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        origin: tuple[str, str, int | None],
        max_in_flight: int,
        max_response_bytes: int = 32 * _MEGABYTE,
        metrics: Metrics,
    ) -> None:
        self._http = http
        self._origin = origin
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self.max_in_flight = max_in_flight
        self._max_response_bytes = max_response_bytes
        self._metrics = metrics
        self.attempts: Counter[tuple[str, str]] = Counter()
        """Attempts by (operation, outcome class or exception name)."""
        self.in_flight = 0
        self.peak_in_flight = 0

    async def send(
        self, operation: str, request: httpx.Request, left: float
    ) -> tuple[httpx.Response, bytes]:
        """One attempt, no longer than ``left`` seconds: the answer and its whole body.

        Each phase's timeout is lowered to ``left``, and the whole attempt (waiting for a slot,
        connecting, sending, reading every chunk) is cut at ``left``, so a body trickling in
        within the read timeout cannot outlast the deadline either. An attempt cut short this
        way raises ``httpx.ReadTimeout`` (``httpx.PoolTimeout`` if it never got a slot).
        """
        if (request.url.scheme, request.url.host, request.url.port) != self._origin:
            # Unreachable while URLs are base + fixed path; kept so a change cannot leak tokens.
            msg = "refusing to send a credential outside the configured Export API origin"
            raise UpstreamProtocolError(msg)
        configured = self._http.timeout
        request.extensions["timeout"] = httpx.Timeout(
            connect=_lower(configured.connect, left),
            read=_lower(configured.read, left),
            write=_lower(configured.write, left),
            pool=_lower(configured.pool, left),
        ).as_dict()
        got_slot = False
        waiting_since = time.perf_counter()
        try:
            async with asyncio.timeout(left):
                async with self._semaphore:
                    got_slot = True
                    return await self._send_now(operation, request)
        except TimeoutError:
            if not got_slot:
                waited = time.perf_counter() - waiting_since
                self._count(operation, "PoolTimeout", None, waited)
                msg = "no slot to send in before the deadline"
                raise httpx.PoolTimeout(msg, request=request) from None
            msg = "the attempt ran out of deadline"
            raise httpx.ReadTimeout(msg, request=request) from None

    async def _send_now(
        self, operation: str, request: httpx.Request
    ) -> tuple[httpx.Response, bytes]:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = time.perf_counter()
        outcome = "error"
        status: int | None = None
        try:
            response = await self._http.send(request, stream=True, follow_redirects=False)
            status = response.status_code
            try:
                content = await self._read(operation, response)
            finally:
                await response.aclose()
            outcome = str(status)
        except (httpx.RequestError, UpstreamError, asyncio.CancelledError) as exc:
            # A body that broke off is no answer; a body too large is an answer refused.
            status = None if isinstance(exc, httpx.RequestError) else status
            outcome = "Cancelled" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
            raise
        finally:
            self.in_flight -= 1
            self._count(operation, outcome, status, time.perf_counter() - started)
            _log.debug("%s %s -> %s", operation, request.method, outcome)
        return response, content

    async def _read(self, operation: str, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_response_bytes:
            raise _too_large(operation, self._max_response_bytes, response.status_code)
        content = bytearray()
        async for chunk in response.aiter_bytes():
            content += chunk
            if len(content) > self._max_response_bytes:
                raise _too_large(operation, self._max_response_bytes, response.status_code)
        return bytes(content)

    def _count(self, operation: str, outcome: str, status: int | None, seconds: float) -> None:
        self.attempts[(operation, _outcome_class(outcome))] += 1
        self._metrics.observe_upstream(operation, status, seconds)


def _too_large(operation: str, limit: int, status: int) -> UpstreamProtocolError:
    msg = f"Pleo's answer to {operation} is larger than {limit} bytes."
    return UpstreamProtocolError(msg, upstream_status=status)


def _lower(configured: float | None, left: float) -> float:
    return left if configured is None else min(configured, left)


def _outcome_class(outcome: str) -> str:
    """``200`` → ``2xx`` and so on, 429 kept apart; failures keep their exception name."""
    if outcome.isdigit() and outcome != "429":
        return f"{outcome[0]}xx"
    return outcome

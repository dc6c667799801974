"""Graceful shutdown as a legacy client sees it (issue #9 item 8).

On SIGTERM the server (:mod:`adapter.cli.serve`) calls :meth:`Shutdown.begin` at once; from then
on ``/readyz`` says ``stopping``, no scheduled round starts, and a legacy request that arrives
anyway (on a connection opened before) is answered 503 without doing anything. Requests
already in flight may finish within ``ADAPTER_SHUTDOWN_GRACE_SECONDS``; uvicorn then cancels
the handlers still running, and :class:`ShutdownMiddleware` answers each of them with the
legacy 503 body and ``Retry-After`` instead of uvicorn's plain-text 500. A cancelled handler
has sent nothing it did not already send: Pleo stays the source of truth, and the client's
retry (on another replica, or after the restart) re-reads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.web.errors import error_response

__all__ = ["SHUTTING_DOWN_MESSAGE", "Shutdown", "ShutdownMiddleware"]

logger = logging.getLogger("adapter.web")

SHUTTING_DOWN_MESSAGE = "The proxy is shutting down; retry."
_RETRY_AFTER = {"Retry-After": "1"}
_LEGACY_PREFIX = "/v1"


class Shutdown:
    """Whether the server has started stopping, and what to do when it does.

    One per app, shared by the server's signal hook, the lifespan and the middleware; every
    method runs on the event loop's thread.
    """

    def __init__(self) -> None:
        self._began = False
        self._listeners: list[Callable[[], None]] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def began(self) -> bool:
        return self._began

    def on_begin(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` when shutdown begins (at once if it already has)."""
        if self._began:
            listener()
        else:
            self._listeners.append(listener)

    def begin(self) -> None:
        """Shutdown starts now; a second call changes nothing."""
        if self._began:
            return
        self._began = True
        logger.info("shutting down: no new work, %d request(s) in flight", self._in_flight)
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener()

    @property
    def in_flight(self) -> int:
        """Legacy requests being handled now."""
        return self._in_flight

    async def answered(self) -> None:
        """Wait until no legacy request is being handled."""
        await self._idle.wait()

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Count a legacy request as in flight for the duration of the block."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()


class ShutdownMiddleware:
    """The legacy 503 for legacy work refused or cut by shutdown.

    The :class:`Shutdown` is the lifespan's (``scope["state"]["shutdown"]``). Place this inside
    the request-id, access-log and mode middlewares (so the answer has its id, its access line
    and its mode header) and outside the deadline one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        shutdown = (scope.get("state") or {}).get("shutdown")
        legacy = path == _LEGACY_PREFIX or path.startswith(_LEGACY_PREFIX + "/")
        if not legacy or not isinstance(shutdown, Shutdown):
            await self.app(scope, receive, send)
            return
        if shutdown.began:
            await _shutting_down(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with shutdown.handling():
            try:
                await self.app(scope, receive, send_tracked)
            except asyncio.CancelledError:
                # uvicorn cancels the handlers still running when the grace period ends.
                # Anything else cancelling a request while the server runs is not ours to answer.
                if not shutdown.began or started:
                    raise
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()  # answered here: the server is done waiting for it anyway
                logger.warning(
                    "legacy request cut by shutdown: %s %s", scope.get("method"), scope.get("path")
                )
                await _shutting_down(scope, receive, send)


async def _shutting_down(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(Request(scope), 503, SHUTTING_DOWN_MESSAGE, _RETRY_AFTER)
    await response(scope, receive, send)

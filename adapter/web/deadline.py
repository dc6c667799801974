"""One deadline per legacy request, and a last guard if the handler outlives it.

A pure ASGI middleware for the legacy routes (``/v1/...``). It opens
:func:`~adapter.export.deadline.request_deadline` around the request, so every Export API
call the request causes shares ``seconds`` in total, retries and waits included; the export
client reads it and stops cooperatively (an ordinary ``UpstreamTimeout``, mapped to 504 by the
exception handlers, at a point where nothing is half done).

Only if the handler is still running ``grace`` seconds after the deadline (waiting on a lock,
say) is it cancelled and a legacy 504 sent, so a legacy call never takes much longer than its
deadline. Cancellation is the last resort because it stops the workflow wherever it is.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.export.deadline import request_deadline
from adapter.web.errors import error_response

__all__ = ["DeadlineMiddleware"]

logger = logging.getLogger("adapter.web")


class DeadlineMiddleware:
    """``Middleware(DeadlineMiddleware, seconds=30)``; place it inside the request-id one."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        seconds: float,
        grace: float = 0.5,
        path_prefix: str = "/v1/",
        guard_seconds: float | None = None,
    ) -> None:
        """``guard_seconds`` (default ``seconds + grace``) is when the handler is cut."""
        self.app = app
        self._seconds = seconds
        self._guard = seconds + grace if guard_seconds is None else guard_seconds
        self._prefix = path_prefix.rstrip("/")

    def _covers(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return path == self._prefix or path.startswith(self._prefix + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._covers(scope):
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with request_deadline(self._seconds):
            guard = asyncio.timeout(self._guard)
            try:
                async with guard:
                    await self.app(scope, receive, send_tracked)
            except TimeoutError:
                if not guard.expired() or started:
                    raise
                logger.warning(
                    "legacy request cut after %.1f s (deadline %.1f s): %s %s",
                    self._guard,
                    self._seconds,
                    scope["method"],
                    scope["path"],
                )
                message = f"The proxy could not answer within {self._seconds:g} s."
                response = error_response(Request(scope), 504, message)
                await response(scope, receive, send)

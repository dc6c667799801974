"""A pure ASGI middleware that gives every request an id and echoes it as ``X-Request-Id``.

A client-supplied id is kept only if it is short and plain, so nothing a caller sends can
inject into logs or headers; otherwise a fresh one is made. The id is bound to the log context
(:func:`adapter.observability.context.request_context`) while the request runs, so every line
of the request carries it.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.observability.context import request_context

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware", "request_id_of"]

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = supplied if _SAFE_ID.fullmatch(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with request_context(request_id):
            await self.app(scope, receive, send_with_id)

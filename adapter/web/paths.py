"""Repeated slashes in a request path count as one: ``/v1//expenses`` is ``/v1/expenses``.

Pleo's own generated client joins its default base path ``https://openapi.pleo.io/v1/`` with
operation paths that start with ``/``, so every call it makes has ``//`` after ``/v1``. The
legacy API served those; so does the proxy, by collapsing the slashes before routing.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CollapseSlashesMiddleware"]

_REPEATED = re.compile(r"/{2,}")
_REPEATED_RAW = re.compile(rb"/{2,}")


class CollapseSlashesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            scope = dict(scope)
            scope["path"] = _REPEATED.sub("/", scope["path"])
            raw = scope.get("raw_path")
            if isinstance(raw, bytes):
                scope["raw_path"] = _REPEATED_RAW.sub(b"/", raw)
        await self.app(scope, receive, send)

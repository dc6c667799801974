"""``X-Adapter-Mode``: which mode answered a legacy call, on every answer of a legacy route.

The translated routes name the mode they routed the request by (``legacy``, ``shadow`` or
``export``; see :mod:`adapter.web.cutover`) in the request's ASGI scope (not its state, which
some servers share between requests) as soon as they know it: the
file's ``default_mode`` before the caller is known (a 401 says that one), then the company's.
The routes passed through in every mode answer ``legacy``. The header is added on the way out
by :class:`AdapterModeMiddleware`, errors included; the 500 answer, sent from outside every
middleware, gets it from :func:`adapter.web.errors.error_response`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.passthrough import LEGACY_ROUTES

__all__ = ["MODE_HEADER", "MODE_SCOPE_KEY", "AdapterModeMiddleware", "mode_of"]

MODE_HEADER = "X-Adapter-Mode"
MODE_SCOPE_KEY = "adapter.mode"
_HANDLING = {route.path: route.handling for route in LEGACY_ROUTES}


def mode_of(scope: Scope) -> str | None:
    """The mode to name for this request, or None when it did not reach a legacy route."""
    mode = scope.get(MODE_SCOPE_KEY)
    if isinstance(mode, str):
        return mode
    path = getattr(scope.get("route"), "path", None)
    handling = _HANDLING.get(path.rstrip("/")) if isinstance(path, str) else None
    if handling == "passthrough":
        return "legacy"
    cutover = (scope.get("state") or {}).get("cutover")
    if handling == "translated" and cutover is not None:
        # A method the route does not take (405): the mode nobody's company overrides.
        return str(cutover.default_mode())
    return None


class AdapterModeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_mode(message: Message) -> None:
            if message["type"] == "http.response.start":
                mode = mode_of(scope)
                if mode is not None:
                    MutableHeaders(scope=message)[MODE_HEADER] = mode
            await send(message)

        await self.app(scope, receive, send_with_mode)

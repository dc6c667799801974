"""Who may use the admin routes: open on loopback, a bearer token everywhere else.

``/sandbox/*`` hands out every company's credentials and can rewrite the sandbox's world, so a
sandbox reachable from other machines must not serve it to anyone. The policy:

- ``SandboxConfig.admin_token`` set: every ``/sandbox/`` route except ``/sandbox/healthz``
  (compose health checks) needs ``Authorization: Bearer <token>``, compared in constant time;
  anything else is a 401 ``ExceptionInfo`` ``{"type": "UNAUTHORIZED", "message"}``.
- ``admin_token`` unset: the admin routes are open (tests, the demo, a loopback-only CLI).

The CLI derives the token with :func:`admin_token_for`: ``ADAPTER_SANDBOX_ADMIN_TOKEN`` when it
is set (on any host); a non-loopback ``--host`` without it refuses to start.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from adapter.sandbox.errors import ApiError
from adapter.sandbox.http import error_response
from adapter.sandbox.operations import ADMIN_PREFIX

__all__ = ["ADMIN_TOKEN_ENV", "AdminTokenGuard", "admin_token_for", "is_loopback"]

ADMIN_TOKEN_ENV = "ADAPTER_SANDBOX_ADMIN_TOKEN"
_OPEN_PATHS = frozenset({"/sandbox/healthz"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP literal, maybe in brackets, or ``localhost``) is loopback only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name could resolve anywhere


def admin_token_for(host: str, environ: Mapping[str, str]) -> str | None:
    """The admin token for a sandbox bound to ``host``; ``ValueError`` when one is required."""
    token = environ.get(ADMIN_TOKEN_ENV) or None
    if token is None and not is_loopback(host):
        msg = f"--host {host} is not loopback: set {ADMIN_TOKEN_ENV} to protect /sandbox/"
        raise ValueError(msg)
    return token


class AdminTokenGuard:
    """Pure ASGI middleware enforcing the admin token (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token is None
            or scope["type"] != "http"
            or not scope["path"].startswith(ADMIN_PREFIX)
            or scope["path"] in _OPEN_PATHS
        ):
            await self.app(scope, receive, send)
            return
        scheme, _, presented = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), self.token
        ):
            await self.app(scope, receive, send)
            return
        error = ApiError(
            401,
            "UNAUTHORIZED",
            "The sandbox admin routes need 'Authorization: Bearer <admin token>'.",
            {"WWW-Authenticate": 'Bearer realm="Pleo sandbox admin"'},
        )
        await error_response(error)(scope, receive, send)

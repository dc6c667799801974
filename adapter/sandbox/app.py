"""``create_sandbox_app``: the sandbox as one Starlette app (v3 + legacy + admin routes).

Errors are Pleo's ``ExceptionInfo`` ``{"type", "message"}``, except under ``/v1``, where they are
the legacy ``{"statusCode", "error", "message"}`` (unknown routes and wrong methods included).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.admin_auth import AdminTokenGuard
from adapter.sandbox.admin_routes import admin_routes
from adapter.sandbox.config import SandboxConfig
from adapter.sandbox.errors import ApiError
from adapter.sandbox.export_routes import export_routes
from adapter.sandbox.http import error_response
from adapter.sandbox.legacy_http import legacy_error_response
from adapter.sandbox.legacy_routes import legacy_routes
from adapter.sandbox.middleware import TrafficMiddleware
from adapter.sandbox.operations import is_legacy_path
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["create_sandbox_app"]


def _render(request: Request, error: ApiError) -> Response:
    # the legacy API has its own error body, for unknown routes under /v1 too
    if is_legacy_path(request.url.path):
        return legacy_error_response(error.status, error.message, error.headers)
    return error_response(error)


async def _api_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ApiError):  # Starlette only routes ApiError here
        raise exc
    return _render(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # Starlette only routes HTTPException here
        raise exc
    error_type = "NOT_FOUND" if exc.status_code == 404 else "METHOD_NOT_ALLOWED"
    if exc.status_code not in (404, 405):
        error_type = "BAD_REQUEST"
    return _render(
        request, ApiError(exc.status_code, error_type, str(exc.detail), dict(exc.headers or {}))
    )


def create_sandbox_app(config: SandboxConfig | None = None) -> Starlette:
    """A seeded sandbox; its :class:`SandboxRuntime` is ``app.state.sandbox``."""
    runtime = SandboxRuntime.create(config or SandboxConfig())
    app = Starlette(
        routes=[*export_routes(runtime), *legacy_routes(runtime), *admin_routes(runtime)],
        middleware=[
            Middleware(AdminTokenGuard, token=runtime.config.admin_token),
            Middleware(TrafficMiddleware, runtime=runtime),
        ],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
    app.state.sandbox = runtime
    return app

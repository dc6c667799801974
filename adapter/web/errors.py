"""The one legacy error body a client ever sees, and the handlers that produce it.

Pleo's legacy document defines the body as ``{"statusCode": 401, "error": "Unauthorized",
"message": "..."}`` served as ``application/json; charset=utf-8``. The three keys come first and
are always present; the proxy adds ``requestId`` (also in ``X-Request-Id``).

Client and upstream errors carry their HTTP status; domain errors are translated here:

==============================  ======  =========================================
exception                       status  why
==============================  ======  =========================================
``StatusChangeRefused``         409     the item's state forbids the change (A.3)
``ExportJobGone``               409     the expenses' export job expired or was failed
``MappingError``                502     Pleo sent an item the table cannot read
anything unexpected             500     logged with its traceback, body generic
==============================  ======  =========================================

In passthrough auth mode a credential Pleo's Export API refuses (401) is most often a legacy
token sent unchanged, so that 401's message says how to keep legacy tokens working
(credentials mode).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from adapter import jsonio
from adapter.errors import (
    AdapterError,
    DomainError,
    ExportJobGone,
    MappingError,
    StatusChangeRefused,
    UpstreamAuthError,
    UpstreamError,
)
from adapter.observability.context import request_context
from adapter.observability.request_id import REQUEST_ID_HEADER, request_id_of
from adapter.web.mode_header import MODE_HEADER, mode_of

__all__ = ["LEGACY_ERROR_MEDIA_TYPE", "exception_handlers", "legacy_error_body", "status_of"]

logger = logging.getLogger("adapter.web")

LEGACY_ERROR_MEDIA_TYPE = "application/json; charset=utf-8"
_DOMAIN_STATUS: dict[type[DomainError], int] = {
    StatusChangeRefused: 409,
    ExportJobGone: 409,
    MappingError: 502,
}


def legacy_error_body(status: int, message: str, request_id: str | None) -> dict[str, Any]:
    """``{"statusCode", "error", "message"}`` (+ ``requestId``) for ``status``."""
    body: dict[str, Any] = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    if request_id is not None:
        body["requestId"] = request_id
    return body


def status_of(exc: AdapterError) -> int:
    """The HTTP status a legacy client is told for ``exc``."""
    if isinstance(exc, DomainError):
        for kind in type(exc).__mro__:
            if kind in _DOMAIN_STATUS:
                return _DOMAIN_STATUS[kind]
        return 500
    return exc.status_code


def error_response(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A legacy error answer for ``request``; the id and mode headers are set here because a
    500 is sent from outside every middleware."""
    request_id = request_id_of(request.scope)
    response = Response(
        jsonio.dumps(legacy_error_body(status, message, request_id)),
        status_code=status,
        headers=dict(headers or {}),
        media_type=LEGACY_ERROR_MEDIA_TYPE,
    )
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    mode = mode_of(request.scope)
    if mode is not None:
        response.headers[MODE_HEADER] = mode
    return response


async def _adapter_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdapterError)  # noqa: S101 - Starlette dispatches by type
    status = status_of(exc)
    if isinstance(exc, UpstreamError | MappingError):
        # Logged here once, without bodies or headers (they may hold secrets).
        logger.warning(
            "upstream failure %s (%s): upstream status %s type %s -> %d",
            type(exc).__name__,
            exc.error_type,
            getattr(exc, "upstream_status", None),
            getattr(exc, "upstream_type", None),
            status,
        )
    return error_response(request, status, _message(request, exc), exc.headers)


_CREDENTIALS_MODE_ADVICE = (
    " Legacy API tokens do not work on Pleo's Export API: to keep using them, configure "
    "credentials mode (ADAPTER_CREDENTIALS_FILE, ADAPTER_AUTH_MODE=credentials or auto)."
)


def _message(request: Request, exc: AdapterError) -> str:
    settings = getattr(request.state, "settings", None)
    passthrough = settings is not None and settings.resolved_auth_mode == "passthrough"
    if passthrough and type(exc) is UpstreamAuthError:
        return exc.message + _CREDENTIALS_MODE_ADVICE
    return exc.message


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - Starlette dispatches by type
    if exc.status_code == 404:
        message = f"No route {request.method} {request.url.path}."
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
    else:
        message = HTTPStatus(exc.status_code).phrase
    return error_response(request, exc.status_code, message, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Starlette calls this outside every middleware, after the request context is gone.
    with request_context(request_id_of(request.scope) or "unknown"):
        logger.exception("unexpected error", exc_info=exc)
    return error_response(request, 500, "The proxy failed unexpectedly.")


def exception_handlers() -> dict[type[Exception] | int, ExceptionHandler]:
    """Handlers turning every error into the legacy body (``Starlette(exception_handlers=)``)."""
    return {
        AdapterError: _adapter_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }

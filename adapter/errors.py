"""Every error the proxy can raise, and the one legacy error body a client ever sees.

The exception tree::

    AdapterError                      anything the proxy raises on purpose
    ├── ClientError                   the caller's mistake; nothing was sent upstream
    │   ├── BadRequest                400 malformed JSON, bad query, bad body shape
    │   ├── Unauthorized              401 missing or unknown credential
    │   ├── Forbidden                 403 credential not allowed to do this
    │   ├── NotFound                  404 route or expense unknown to this tenant
    │   ├── MethodNotAllowed          405
    │   ├── Conflict                  409 status change the item's state forbids
    │   ├── PayloadTooLarge           413 body over the cap, too many ids
    │   ├── UnsupportedMediaType      415 a body that is not JSON
    │   ├── Unprocessable             422 well-formed but unusable (unknown status value)
    │   └── TooManyRequests           429 a tenant over its rate limit
    ├── UpstreamError                 Pleo failed or refused; mapped, logged and counted
    │   ├── UpstreamAuthError         Pleo said 401/403 for the tenant's credential
    │   ├── UpstreamRejected          Pleo refused a request the proxy thought valid (4xx)
    │   ├── UpstreamUnavailable       503 Pleo 5xx, 429 or circuit open; may carry Retry-After
    │   ├── UpstreamTimeout           504 no answer in time
    │   └── UpstreamProtocolError     502 transport failure, redirect, body breaking the contract
    └── ConfigurationError            bad settings or tables; stops start-up, never reaches a client

:class:`MappingError` (an Export Item the table cannot translate) and
:class:`MappingTableError` (a table that fails validation) live in :mod:`adapter.mapping`
and derive from :class:`AdapterError` too.

The legacy body is ``{"type": ..., "message": ..., "requestId": ...}``. Messages are written
here or at the raise site, never copied from an upstream body, and never contain a credential.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from adapter import jsonio
from adapter.observability.request_id import REQUEST_ID_HEADER, request_id_of

__all__ = [
    "AdapterError",
    "BadRequest",
    "ClientError",
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "UpstreamAuthError",
    "UpstreamError",
    "UpstreamProtocolError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "exception_handlers",
    "legacy_error_body",
]

logger = logging.getLogger("adapter.errors")


class AdapterError(Exception):
    """Base of the tree. ``status_code`` and ``error_type`` say what a client is told."""

    status_code: int = 500
    error_type: str = "INTERNAL_ERROR"
    default_message: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message or HTTPStatus(self.status_code).phrase
        if error_type is not None:
            self.error_type = error_type
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, message={self.message!r})"


class ClientError(AdapterError):
    status_code = 400
    error_type = "BAD_REQUEST"


class BadRequest(ClientError):
    status_code = 400
    error_type = "BAD_REQUEST"


class Unauthorized(ClientError):
    status_code = 401
    error_type = "UNAUTHORIZED"
    default_message = "Missing or invalid credentials."


class Forbidden(ClientError):
    status_code = 403
    error_type = "FORBIDDEN"


class NotFound(ClientError):
    status_code = 404
    error_type = "NOT_FOUND"


class MethodNotAllowed(ClientError):
    status_code = 405
    error_type = "METHOD_NOT_ALLOWED"


class Conflict(ClientError):
    status_code = 409
    error_type = "CONFLICT"


class PayloadTooLarge(ClientError):
    status_code = 413
    error_type = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ClientError):
    status_code = 415
    error_type = "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(ClientError):
    status_code = 422
    error_type = "UNPROCESSABLE_ENTITY"


class TooManyRequests(ClientError):
    status_code = 429
    error_type = "TOO_MANY_REQUESTS"


class UpstreamError(AdapterError):
    """Pleo failed or refused. ``upstream_status`` is Pleo's code (None: no answer)."""

    status_code = 502
    error_type = "UPSTREAM_ERROR"

    def __init__(
        self,
        message: str | None = None,
        *,
        upstream_status: int | None = None,
        upstream_type: str | None = None,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, error_type=error_type, headers=headers)
        self.upstream_status = upstream_status
        self.upstream_type = upstream_type


class UpstreamAuthError(UpstreamError):
    """Pleo refused the tenant's credential; the client is told 401 (or 403 for scope)."""

    status_code = 401
    error_type = "UNAUTHORIZED"


class UpstreamRejected(UpstreamError):
    status_code = 502
    error_type = "UPSTREAM_REJECTED"


class UpstreamUnavailable(UpstreamError):
    status_code = 503
    error_type = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(UpstreamError):
    status_code = 504
    error_type = "UPSTREAM_TIMEOUT"


class UpstreamProtocolError(UpstreamError):
    status_code = 502
    error_type = "BAD_GATEWAY"


class ConfigurationError(AdapterError):
    """Settings or tables that cannot work; raised at start-up only."""

    error_type = "CONFIGURATION_ERROR"


def legacy_error_body(error_type: str, message: str, request_id: str | None) -> dict[str, str]:
    """The one error shape legacy clients get: ``{"type", "message", "requestId"}``."""
    body = {"type": error_type, "message": message}
    if request_id is not None:
        body["requestId"] = request_id
    return body


def _respond(
    request: Request, status: int, body: dict[str, str], headers: Mapping[str, str]
) -> Response:
    response = Response(
        jsonio.dumps(body),
        status_code=status,
        headers=dict(headers),
        media_type="application/json; charset=utf-8",
    )
    # A 500 is sent from outside every middleware, so the id header is set here as well.
    if "requestId" in body:
        response.headers[REQUEST_ID_HEADER] = body["requestId"]
    return response


async def _adapter_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdapterError)  # noqa: S101 - Starlette dispatches by type
    if isinstance(exc, UpstreamError):
        # Counted and logged here once, without bodies or headers (they may hold secrets).
        logger.warning(
            "upstream failure %s: upstream status %s type %s -> %d",
            type(exc).__name__,
            exc.upstream_status,
            exc.upstream_type,
            exc.status_code,
        )
    body = legacy_error_body(exc.error_type, exc.message, request_id_of(request.scope))
    return _respond(request, exc.status_code, body, exc.headers)


_HTTP_TYPES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - Starlette dispatches by type
    error_type = _HTTP_TYPES.get(exc.status_code, HTTPStatus(exc.status_code).name)
    message = HTTPStatus(exc.status_code).phrase
    body = legacy_error_body(error_type, message, request_id_of(request.scope))
    return _respond(request, exc.status_code, body, exc.headers or {})


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error", exc_info=exc)
    body = legacy_error_body(
        "INTERNAL_ERROR", "The proxy failed unexpectedly.", request_id_of(request.scope)
    )
    return _respond(request, 500, body, {})


def exception_handlers() -> dict[type[Exception] | int, ExceptionHandler]:
    """Handlers turning every error into the legacy body (``Starlette(exception_handlers=)``)."""
    return {
        AdapterError: _adapter_error,
        HTTPException: _http_error,
        Exception: _unexpected,
    }

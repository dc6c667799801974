"""How a failed Export API call becomes an :mod:`adapter.errors` exception.

Every message here is written by the proxy. Pleo's body is read only for its error ``type``
(``ExceptionInfo``), which is kept, upper-cased, as ``upstream_type`` so callers compare it
case-insensitively by comparing it with the UPPER_SNAKE spelling (``"EXPORT_NOT_FOUND"``).

======================================  ===========================================  ======
Pleo's answer, or what happened         raised                                       status
======================================  ===========================================  ======
3xx (never followed)                    UpstreamProtocolError                        502
400, 404, 409, 413, 422, other 4xx      UpstreamRejected                             502
401                                     UpstreamAuthError                            401
403                                     UpstreamForbidden                            403
429, 5xx                                UpstreamUnavailable (+ Retry-After if sent)  503
no connection (``httpx.ConnectError``)  UpstreamUnavailable                          503
circuit breaker open (nothing sent)     UpstreamCircuitOpen + Retry-After            503
``httpx.TimeoutException``, deadline    UpstreamTimeout                              504
other ``httpx.RequestError`` (reset)    UpstreamProtocolError                        502
body breaking the contract              UpstreamProtocolError                        502
======================================  ===========================================  ======

Which of these the client retries first is :mod:`adapter.export.retrying`'s business.
"""

from __future__ import annotations

import email.utils
import math
import re
from datetime import UTC, datetime

import httpx
from pydantic import ValidationError

from adapter.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamProtocolError,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapter.export.models import ExceptionInfo

__all__ = [
    "error_for_response",
    "error_for_transport",
    "parse_retry_after",
]

# An error ``type`` is kept only if it looks like one; anything else is Pleo's prose, not a code.
_ERROR_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")


def _upstream_type(body: bytes) -> str | None:
    """Pleo's error ``type``, upper-cased, if the body is an ``ExceptionInfo``; else None."""
    if not body:
        return None
    try:
        info = ExceptionInfo.model_validate_json(body)
    except ValidationError:
        return None
    if _ERROR_TYPE.fullmatch(info.type) is None:
        return None
    return info.type.upper()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> int | None:
    """``Retry-After`` as whole seconds from now (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0, math.ceil((when - current).total_seconds()))


def error_for_response(
    operation: str, response: httpx.Response, body: bytes, *, now: datetime | None = None
) -> UpstreamError:
    """The exception for a non-2xx answer from Pleo."""
    status = response.status_code
    upstream_type = _upstream_type(body)
    if 300 <= status < 400:
        return UpstreamProtocolError(
            f"Pleo answered {operation} with a redirect (HTTP {status}), which is not followed.",
            upstream_status=status,
            upstream_type=upstream_type,
        )
    if status == 401:
        return UpstreamAuthError(
            "Pleo did not accept the credential (HTTP 401).",
            upstream_status=status,
            upstream_type=upstream_type,
        )
    if status == 403:
        return UpstreamForbidden(
            "Pleo did not allow this credential to do that (HTTP 403).",
            upstream_status=status,
            upstream_type=upstream_type,
        )
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=now)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        what = "is rate limiting" if status == 429 else "failed to answer"
        return UpstreamUnavailable(
            f"Pleo {what} {operation} (HTTP {status}).",
            upstream_status=status,
            upstream_type=upstream_type,
            headers=headers,
        )
    if 400 <= status < 500:
        return UpstreamRejected(
            f"Pleo rejected {operation} (HTTP {status}).",
            upstream_status=status,
            upstream_type=upstream_type,
        )
    return UpstreamProtocolError(
        f"Pleo answered {operation} with an unexpected HTTP {status}.",
        upstream_status=status,
        upstream_type=upstream_type,
    )


def error_for_transport(operation: str, exc: httpx.RequestError) -> UpstreamError:
    """The exception for a request that got no usable answer. Never echoes the request.

    Covers ``httpx.TransportError`` and the rest of ``httpx.RequestError`` (an answer whose
    content encoding cannot be decoded).
    """
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"Pleo did not answer {operation} in time ({type(exc).__name__}).")
    if isinstance(exc, httpx.ConnectError):
        return UpstreamUnavailable(f"Pleo could not be reached for {operation} (ConnectError).")
    return UpstreamProtocolError(
        f"The connection to Pleo failed during {operation} ({type(exc).__name__})."
    )

"""JSON in and out: orjson bodies with Pleo's ``application/json;charset=UTF-8`` media type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.errors import ApiError, bad_request

__all__ = ["JSON_MEDIA_TYPE", "error_response", "json_response", "read_json"]

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with Pleo's exact content type."""
    response = Response(orjson.dumps(body), status_code=status, headers=headers)
    # set after construction: Starlette would otherwise append its own "; charset=utf-8"
    response.headers["content-type"] = JSON_MEDIA_TYPE
    return response


def error_response(error: ApiError) -> Response:
    """An ``ExceptionInfo`` body (also the legacy error shape: ``{"type", "message"}``)."""
    return json_response(
        {"type": error.error_type, "message": error.message}, error.status, error.headers
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON; 415 for a non-JSON content type, 400 for malformed JSON.

    Any ``application/json`` media type is accepted (with or without parameters); the published
    contract names ``application/json;charset=UTF-8``, which the contract tests check for.
    """
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError(
            415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json;charset=UTF-8."
        )
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = "The body is not valid JSON."
        raise bad_request(msg) from exc

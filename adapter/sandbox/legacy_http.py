"""The legacy API's wire habits: its media type, its error body and its offset paging.

- Every legacy answer is JSON as ``application/json; charset=utf-8`` (the media type the
  document gives its error bodies; ``application/json`` answers match it too).
- Every legacy error, including an unknown route under ``/v1`` (404) and a wrong method (405),
  is ``{"statusCode": <int>, "error": <HTTP reason phrase>, "message": <text>}``.
- Offset paging (``pageOffset``/``pageSize``, numbers per the document): a negative or
  non-integer value or ``pageSize=0`` is a 400; ``pageSize`` is clamped to :data:`MAX_PAGE_SIZE`
  (a client asking for 100000 gets everything). ``pageInfo.pageSize`` is the number of items
  returned; ``nextPageOffset`` is always present and ``null`` on the last page.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.errors import ApiError, bad_request
from adapter.sandbox.pagination import single_param

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LEGACY_MEDIA_TYPE",
    "MAX_PAGE_SIZE",
    "legacy_error_body",
    "legacy_error_response",
    "legacy_json",
    "not_found",
    "offset_page",
    "page_bounds",
    "query_flag",
]

LEGACY_MEDIA_TYPE = "application/json; charset=utf-8"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1_000_000
_T = TypeVar("_T")


def legacy_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A legacy JSON answer."""
    response = Response(orjson.dumps(body), status_code=status, headers=headers)
    response.headers["content-type"] = LEGACY_MEDIA_TYPE
    return response


def legacy_error_body(status: int, message: str) -> dict[str, Any]:
    """``{"statusCode", "error", "message"}``; ``error`` is the status's reason phrase."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"statusCode": status, "error": phrase, "message": message}


def legacy_error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """A legacy error answer."""
    return legacy_json(legacy_error_body(status, message), status, headers)


def not_found(what: str) -> ApiError:
    """The legacy 404 for an id the company does not have."""
    return ApiError(404, "NOT_FOUND", f"{what} not found.")


def _number(request: Request, name: str, default: int, minimum: int) -> int:
    raw = single_param(request.query_params, name)
    if raw is None or raw == "":
        return default
    try:
        number = float(raw)
    except ValueError as exc:
        msg = f"'{name}' must be a number."
        raise bad_request(msg) from exc
    if not number.is_integer() or number < minimum:
        msg = f"'{name}' must be an integer of at least {minimum}."
        raise bad_request(msg)
    return int(number)


def page_bounds(request: Request, default_size: int = DEFAULT_PAGE_SIZE) -> tuple[int, int]:
    """``(pageOffset, pageSize)`` of a list request, validated and clamped."""
    offset = _number(request, "pageOffset", 0, 0)
    size = min(_number(request, "pageSize", default_size, 1), MAX_PAGE_SIZE)
    return offset, size


def offset_page(
    records: Sequence[_T], offset: int, size: int
) -> tuple[list[_T], dict[str, int | None]]:
    """One page and its ``pageInfo`` (see the module docstring)."""
    page = list(records[offset : offset + size])
    following = offset + size
    return page, {
        "pageSize": len(page),
        "totalCount": len(records),
        "nextPageOffset": following if following < len(records) else None,
    }


def query_flag(request: Request, name: str) -> bool | None:
    """A boolean query parameter (``true``/``false``), ``None`` when absent; else 400."""
    raw = single_param(request.query_params, name)
    if raw is None or raw == "":
        return None
    if raw.lower() not in ("true", "false"):
        msg = f"'{name}' must be true or false."
        raise bad_request(msg)
    return raw.lower() == "true"

"""Pleo's cursor pagination (``CursorPaginatedResponse``/``CursorPageInfo``) in the sandbox.

Choices where Pleo is silent:

- ``limit`` defaults to 50; values above 100 are clamped to 100 (the Accounting Entries API's
  documented cap). ``limit=0`` is valid per the spec (``minimum: 0``) and returns an empty page
  with ``total`` and ``hasNextPage`` but no cursors.
- A cursor is the RFC 4648 base32 text of a record's position key (a decimal integer), which
  matches the spec's ``^[A-Z2-7=~]+$``. ``after=<endCursor>`` returns the records after that one;
  ``before=<startCursor>`` the ``limit`` records just before it. Positions never change, so paging
  stays stable while records are added at the end.
- ``after``, ``before`` and ``offset`` are mutually exclusive ("cannot be used together"): 400.
- ``sorting_keys``/``sorting_order`` are declared but their allowed values are not documented; the
  sandbox supports no sorting (always oldest first) and answers 400 when they are sent.
- A repeated single-valued parameter, a malformed cursor or number, or a negative value is a 400.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.datastructures import QueryParams

from adapter.sandbox.errors import bad_request

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PageRequest",
    "decode_cursor",
    "encode_cursor",
    "paginate",
    "parse_page_request",
    "single_param",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
PAGING_PARAMS = ("before", "after", "offset", "limit", "sorting_keys", "sorting_order")
_CURSOR = re.compile(r"^[A-Z2-7=~]+$")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The paging part of a list request, validated."""

    limit: int
    after: int | None = None
    before: int | None = None
    offset: int | None = None
    raw_after: str | None = None
    raw_before: str | None = None
    parameters: dict[str, list[str]] = field(default_factory=dict)


def encode_cursor(position: int) -> str:
    """The cursor for a record position."""
    return base64.b32encode(str(position).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The record position in a cursor; ``ApiError`` 400 if it is not one of ours."""
    if not _CURSOR.match(cursor):
        msg = "Invalid cursor."
        raise bad_request(msg)
    try:
        text = base64.b32decode(cursor.encode(), casefold=False).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        msg = "Invalid cursor."
        raise bad_request(msg) from exc
    if not text.isdigit():
        msg = "Invalid cursor."
        raise bad_request(msg)
    return int(text)


def single_param(query: QueryParams, name: str) -> str | None:
    """A query parameter that may appear at most once."""
    values = query.getlist(name)
    if len(values) > 1:
        msg = f"Query parameter '{name}' must not be repeated."
        raise bad_request(msg)
    return values[0] if values else None


def _non_negative_int(query: QueryParams, name: str) -> int | None:
    raw = single_param(query, name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        msg = f"Query parameter '{name}' must be a non-negative integer."
        raise bad_request(msg)
    return int(raw)


def parse_page_request(query: QueryParams) -> PageRequest:
    """Validate ``before``/``after``/``offset``/``limit`` and refuse sorting."""
    if query.getlist("sorting_keys") or query.getlist("sorting_order"):
        msg = "Sorting is not supported; results are ordered oldest first."
        raise bad_request(msg)
    raw_after = single_param(query, "after")
    raw_before = single_param(query, "before")
    offset = _non_negative_int(query, "offset")
    limit = _non_negative_int(query, "limit")
    if sum(value is not None for value in (raw_after, raw_before, offset)) > 1:
        msg = "Only one of 'after', 'before' and 'offset' may be used."
        raise bad_request(msg)
    parameters = {
        key: query.getlist(key) for key in dict.fromkeys(query.keys()) if key not in PAGING_PARAMS
    }
    return PageRequest(
        limit=DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT),
        after=decode_cursor(raw_after) if raw_after is not None else None,
        before=decode_cursor(raw_before) if raw_before is not None else None,
        offset=offset,
        raw_after=raw_after,
        raw_before=raw_before,
        parameters=parameters,
    )


def paginate(
    records: Sequence[_T], position: Callable[[_T], int], request: PageRequest
) -> tuple[list[_T], dict[str, Any]]:
    """One page of ``records`` (sorted by ``position``) and its ``CursorPageInfo``."""
    keys = [position(record) for record in records]
    if request.after is not None:
        start = bisect.bisect_right(keys, request.after)
        end = min(len(records), start + request.limit)
    elif request.before is not None:
        end = bisect.bisect_left(keys, request.before)
        start = max(0, end - request.limit)
    else:
        start = min(len(records), request.offset or 0)
        end = min(len(records), start + request.limit)
    page = list(records[start:end])
    current: dict[str, Any] = {"parameters": request.parameters, "limit": request.limit}
    if request.raw_after is not None:
        current["after"] = request.raw_after
    if request.raw_before is not None:
        current["before"] = request.raw_before
    if request.offset is not None:
        current["offset"] = request.offset
    info: dict[str, Any] = {
        "currentRequestPagination": current,
        "hasPreviousPage": start > 0,
        "hasNextPage": (end if page else start) < len(records),
        "total": len(records),
    }
    if page:
        info["startCursor"] = encode_cursor(keys[start])
        info["endCursor"] = encode_cursor(keys[end - 1])
    return page, info

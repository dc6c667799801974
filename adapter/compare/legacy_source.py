"""Read every page of Pleo's legacy ``GET /v1/expenses``, and nothing else.

Only ``GET`` is ever sent, only to the configured legacy origin, with the legacy bearer
token; redirects are refused, not followed. Paging follows Pleo's legacy document (A.7):
``pageOffset``/``pageSize`` until ``metadata.pageInfo.nextPageOffset`` is ``null`` (or
absent, as older answers have it). Numbers are parsed as exact ``Decimal`` so money is
compared as sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import httpx

from adapter.compare.sources import ProgressCallback
from adapter.errors import ConfigurationError, UpstreamError, UpstreamProtocolError
from adapter.export.errors import error_for_response, error_for_transport

__all__ = ["LegacyApiSource"]

_OPERATION: Final = "legacy list_expenses"
_PATH: Final = "/v1/expenses"


def _offset(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        msg = "The legacy API's nextPageOffset is not a number."
        raise UpstreamProtocolError(msg)
    if value != int(value) or value < 0:
        msg = "The legacy API's nextPageOffset is not a whole, non-negative number."
        raise UpstreamProtocolError(msg)
    return int(value)


def _page(content: bytes) -> tuple[list[dict[str, Any]], int | None, int | None]:
    """The expenses, the next offset and the total count of one answer, or a protocol error."""
    try:
        body = json.loads(content, parse_float=Decimal)
    except ValueError:
        msg = "The legacy API answered list_expenses with a body that is not JSON."
        raise UpstreamProtocolError(msg) from None
    expenses = body.get("expenses") if isinstance(body, dict) else None
    metadata = body.get("metadata") if isinstance(body, dict) else None
    page_info = metadata.get("pageInfo") if isinstance(metadata, dict) else None
    if not isinstance(expenses, list) or not isinstance(page_info, dict):
        msg = "The legacy API's answer has no 'expenses' list or no 'metadata.pageInfo'."
        raise UpstreamProtocolError(msg)
    for expense in expenses:
        if not isinstance(expense, dict) or not isinstance(expense.get("id"), str):
            msg = "The legacy API listed an expense without a string 'id'."
            raise UpstreamProtocolError(msg)
    total = page_info.get("totalCount")
    total_count = int(total) if isinstance(total, int | Decimal) and total >= 0 else None
    return expenses, _offset(page_info.get("nextPageOffset")), total_count


class LegacyApiSource:
    """:class:`~adapter.compare.sources.LegacyExpenseSource` over Pleo's legacy API.

    Args:
        http: the client to send with (redirects are never followed); not closed here.
        base_url: the legacy origin, e.g. ``https://openapi.pleo.io``.
        token: the legacy API bearer token; never logged or shown.
        page_size: ``pageSize`` sent with every page.
        max_pages: pages followed before the answer is called endless.
        on_progress: told (expenses read, totalCount) after every page.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        token: str,
        page_size: int = 500,
        max_pages: int = 10_000,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if page_size < 1 or max_pages < 1:
            msg = "page_size and max_pages must be positive"
            raise ConfigurationError(msg)
        if not token:
            msg = "the legacy API token is empty"
            raise ConfigurationError(msg)
        self._http = http
        self._url = base_url.rstrip("/") + _PATH
        self._authorization = f"Bearer {token}"
        self._page_size = page_size
        self._max_pages = max_pages
        self._on_progress = on_progress

    def __repr__(self) -> str:
        return f"LegacyApiSource(url={self._url!r})"

    async def read_all(self, statuses: Sequence[str]) -> list[dict[str, Any]]:
        """Every expense with one of ``statuses`` (all when empty), page by page."""
        expenses: list[dict[str, Any]] = []
        offset = 0
        for _ in range(self._max_pages):
            page, next_offset, total = _page(await self._get(statuses, offset))
            expenses.extend(page)
            if self._on_progress is not None:
                self._on_progress(len(expenses), total)
            if next_offset is None:
                return expenses
            if next_offset <= offset:
                msg = "The legacy API's nextPageOffset does not move forward."
                raise UpstreamProtocolError(msg)
            offset = next_offset
        msg = f"The legacy API's expense list ran past {self._max_pages} pages."
        raise UpstreamProtocolError(msg)

    async def _get(self, statuses: Sequence[str], offset: int) -> bytes:
        params = [("status", status) for status in statuses]
        params += [("pageOffset", str(offset)), ("pageSize", str(self._page_size))]
        headers = {"Authorization": self._authorization, "Accept": "application/json"}
        try:
            response = await self._http.get(
                self._url, params=tuple(params), headers=headers, follow_redirects=False
            )
        except httpx.RequestError as exc:
            raise error_for_transport(_OPERATION, exc) from None
        if not response.is_success:
            error: UpstreamError = error_for_response(_OPERATION, response, response.content)
            raise error
        return response.content

"""A legacy Pleo integration, as real ones behave, written with httpx.

It lists ``GET /v1/expenses?status=QUEUED`` page by page, following ``nextPageOffset`` until
it is absent, then reports statuses with ``PUT /v1/expenses`` in chunks of ids. Any answer
other than 200, or a 200 that names per-expense ``errors``, stops it with
:class:`LegacyCallFailed`, as an integration that checks its answers would.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

__all__ = ["LegacyCallFailed", "LegacyClient"]

# An endless nextPageOffset chain is a proxy bug; stop rather than loop forever.
_MAX_PAGES = 10_000


class LegacyCallFailed(RuntimeError):
    """The proxy refused a call or reported per-expense errors."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:500]}"
        )


class LegacyClient:
    """The calls a legacy integration makes, with one legacy token."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        page_size: int = 100,
        put_chunk_size: int = 1000,
        timeout_seconds: float = 60.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout_seconds)
        self.page_size = page_size
        self.put_chunk_size = put_chunk_size
        self.pages_read = 0
        self.puts_sent = 0

    def __enter__(self) -> LegacyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- raw calls (for asserting on refusals) ------------------------------------------------

    def get_page(self, status: str = "QUEUED", offset: int = 0) -> httpx.Response:
        params: dict[str, str | int] = {
            "status": status,
            "pageOffset": offset,
            "pageSize": self.page_size,
        }
        return self._http.get("/v1/expenses", params=params)

    def get_expense(self, expense_id: str) -> httpx.Response:
        return self._http.get(f"/v1/expenses/{expense_id}")

    def put_raw(self, expense_ids: Sequence[str], status: str) -> httpx.Response:
        return self._http.put(
            "/v1/expenses", json={"expenseIds": list(expense_ids), "status": status}
        )

    # --- what the integration does ------------------------------------------------------------

    def list_expenses(self, status: str = "QUEUED") -> list[dict[str, Any]]:
        """Every expense with ``status``, following ``nextPageOffset`` until it is absent."""
        expenses: list[dict[str, Any]] = []
        offset = 0
        for _ in range(_MAX_PAGES):
            response = self.get_page(status, offset)
            if response.status_code != 200:
                raise LegacyCallFailed(response)
            self.pages_read += 1
            body = response.json()
            expenses.extend(body["expenses"])
            next_offset = body["metadata"]["pageInfo"].get("nextPageOffset")
            if next_offset is None:
                return expenses
            offset = next_offset
        msg = f"nextPageOffset still present after {_MAX_PAGES} pages"
        raise RuntimeError(msg)

    def put_status(self, expense_ids: Sequence[str], status: str) -> list[dict[str, Any]]:
        """Report ``status`` for every id, ``put_chunk_size`` ids per PUT; the updated expenses."""
        updated: list[dict[str, Any]] = []
        for start in range(0, len(expense_ids), self.put_chunk_size):
            response = self.put_raw(expense_ids[start : start + self.put_chunk_size], status)
            self.puts_sent += 1
            if response.status_code != 200 or response.json().get("errors"):
                raise LegacyCallFailed(response)
            updated.extend(response.json()["expenses"])
        return updated

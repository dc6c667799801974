"""Byte-for-byte the HTTP calls of Pleo's Go client generated from the legacy document.

swagger-codegen's Go client (``Swagger-Codegen/1.0.0/go``) has the base path
``https://openapi.pleo.io/v1/`` and joins it with operation paths that start with ``/``, so
every URL has ``//`` after ``/v1``. It sends ``Accept: application/json``, its own
User-Agent, the token as ``Authorization: Bearer``, array query parameters repeated
(``status=QUEUED&status=EXPORTING``), numbers formatted with Go's ``%v`` (``100``, not
``100.0``), and ``PUT /expenses`` with the ``ExpensesUpdateRequest`` struct marshalled in field
order: ``{"expenseIds":[...],"status":"EXPORTED"}``. This module sends exactly that with httpx.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

__all__ = ["GO_USER_AGENT", "GoLegacyClient"]

GO_USER_AGENT = "Swagger-Codegen/1.0.0/go"


class GoLegacyClient:
    """The generated ``ExpensesApi``: ``GetExpenses``, ``GetExpense``, ``UpdateExpenses``."""

    def __init__(self, origin: str, token: str, **client_options: Any) -> None:
        # The generated configuration's BasePath, ending in a slash as generated.
        self.base_path = f"{origin.rstrip('/')}/v1/"
        self.token = token
        self._http = httpx.Client(timeout=60.0, **client_options)
        self.exchanges: list[httpx.Response] = []

    def close(self) -> None:
        self._http.close()

    def _headers(self, *, body: bool) -> dict[str, str]:
        headers = {
            "User-Agent": GO_USER_AGENT,
            "Accept": "application/json",
            "Authorization": f"Bearer {self.token}",
            "Accept-Encoding": "gzip",
        }
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def _send(self, method: str, operation_path: str, **kwargs: Any) -> httpx.Response:
        # localVarPath := a.client.cfg.BasePath + "/expenses": the doubled slash is real.
        response = self._http.request(method, self.base_path + operation_path, **kwargs)
        self.exchanges.append(response)
        return response

    def get_expenses(
        self,
        *,
        status: Sequence[str] = (),
        types: Sequence[str] = (),
        page_offset: int | None = None,
        page_size: int | None = None,
    ) -> httpx.Response:
        params: list[tuple[str, str]] = []
        if page_offset is not None:
            params.append(("pageOffset", f"{page_offset}"))
        if page_size is not None:
            params.append(("pageSize", f"{page_size}"))
        params += [("types", t) for t in types]
        params += [("status", s) for s in status]
        return self._send("GET", "/expenses", params=params, headers=self._headers(body=False))

    def get_expense(self, expense_id: str) -> httpx.Response:
        return self._send("GET", f"/expenses/{expense_id}", headers=self._headers(body=False))

    def update_expenses(self, expense_ids: Sequence[str], status: str) -> httpx.Response:
        body = json.dumps(
            {"expenseIds": list(expense_ids), "status": status}, separators=(",", ":")
        )
        return self._send(
            "PUT", "/expenses", content=body.encode(), headers=self._headers(body=True)
        )

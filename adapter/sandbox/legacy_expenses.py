"""The legacy Expenses API: ``/v1/expenses`` (list, one, status PUT) and the receipts.

Choices where Pleo is silent (pleo-api.md §4, A.4, A.7):
- ``status`` and ``types`` may be repeated and/or comma-separated; unknown values are 400.
  ``types`` takes the document's 12 values.
- Paging per :mod:`adapter.sandbox.legacy_http` (default ``pageSize`` 50).
- ``dateFrom``/``dateTo`` filter ``performedAt`` inclusively; a date without a time means the
  whole day. Expenses are ordered by ``performedAt``, then ``id``.
- ``accountId``/``tagId`` match any line's value.
- Unknown query parameters (``transactionStates`` included: no expense is ever in
  ``AUTHORIZATION``/``AUTHORIZATION_REVERSAL``, the states the list hides) are ignored.
- ``PUT /v1/expenses`` takes the document's ``{"expenseIds": [...], "status": S}`` and also
  ``{"expenses": [{"id", "status"}]}`` or a bare array of ``{"id", "status"}``;
  ``PUT /v1/expenses/{id}`` (not in the document) takes ``{"status": S}``. Any status may be
  set (the legacy API had no rules); an id unknown to the tenant makes the whole request 404 and
  changes nothing. The answer is 200 ``{"expenses": [...]}``. A legacy PUT sets only the
  entry's legacy status, never a v3 item status (see ``SandboxState.legacy_status``).
- Receipts: one per file of the entry, id = the one ``receiptIds`` shows, ``name`` the file's
  name, ``size`` in KB (bytes / 1024, two decimals), ``url`` a fake signed URL that differs on
  every read. Unknown expense or receipt ids are 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.auth import authenticate_legacy
from adapter.sandbox.clock import parse_timestamp
from adapter.sandbox.errors import bad_request
from adapter.sandbox.http import read_json
from adapter.sandbox.legacy_http import legacy_json, not_found, offset_page, page_bounds
from adapter.sandbox.legacy_render import LEGACY_TYPES, legacy_type, receipt_id
from adapter.sandbox.models import Company, Entry
from adapter.sandbox.pagination import single_param
from adapter.sandbox.runtime import SandboxRuntime
from adapter.sandbox.state import LEGACY_STATUSES

__all__ = ["LegacyExpenseApi"]

_RECEIPT_LIFETIME_SECONDS = 15 * 3600  # "remains valid for 15 hours"
_RECEIPT = "Receipt"


def _multi(request: Request, name: str, allowed: tuple[str, ...]) -> set[str]:
    values = {
        part.strip()
        for raw in request.query_params.getlist(name)
        for part in raw.split(",")
        if part.strip()
    }
    unknown = sorted(values - set(allowed))
    if unknown:
        msg = f"Unknown {name} value(s): {', '.join(unknown)}."
        raise bad_request(msg)
    return values


def _date_bound(request: Request, name: str, *, upper: bool) -> datetime | None:
    raw = single_param(request.query_params, name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) - timedelta(microseconds=1) if upper else start
        return parse_timestamp(raw)
    except ValueError as exc:
        msg = f"'{name}' must be a date or an RFC 3339 date-time."
        raise bad_request(msg) from exc


def _on_a_line(entry: Entry, key: str, value: str) -> bool:
    for line in entry.item["accountingEntryLines"]:
        if key == "account":
            if (line.get("account") or {}).get("id") == value:
                return True
        elif any(tag["id"] == value for tag in line.get("tags") or []):
            return True
    return False


class LegacyExpenseApi:
    """The expense and receipt handlers of one sandbox."""

    def __init__(self, runtime: SandboxRuntime) -> None:
        self.runtime = runtime

    def _company(self, request: Request) -> Company:
        return authenticate_legacy(request, self.runtime.state.credentials)

    def _render(self, entries: list[Entry]) -> list[dict[str, Any]]:
        state, view = self.runtime.state, self.runtime.legacy
        read = view.next_read()
        return [
            view.expense(
                entry, state.legacy_status(entry), read, vendor_exposed=state.vendor_exposed(entry)
            )
            for entry in entries
        ]

    async def list_expenses(self, request: Request) -> Response:
        company = self._company(request)
        statuses = _multi(request, "status", LEGACY_STATUSES)
        types = _multi(request, "types", LEGACY_TYPES)
        offset, size = page_bounds(request)
        date_from = _date_bound(request, "dateFrom", upper=False)
        date_to = _date_bound(request, "dateTo", upper=True)
        account_id = single_param(request.query_params, "accountId")
        tag_id = single_param(request.query_params, "tagId")
        state = self.runtime.state
        selected = []
        for entry in state.legacy_entries(company):
            performed = parse_timestamp(entry.item["date"])
            if (date_from is not None and performed < date_from) or (
                date_to is not None and performed > date_to
            ):
                continue
            if types and legacy_type(entry.item["type"], entry.item.get("subType")) not in types:
                continue
            if account_id and not _on_a_line(entry, "account", account_id):
                continue
            if tag_id and not _on_a_line(entry, "tag", tag_id):
                continue
            if statuses and state.legacy_status(entry) not in statuses:
                continue
            selected.append(entry)
        selected.sort(key=lambda entry: (entry.item["date"], entry.id))
        page, page_info = offset_page(selected, offset, size)
        return legacy_json({"expenses": self._render(page), "metadata": {"pageInfo": page_info}})

    async def get_expense(self, request: Request) -> Response:
        company = self._company(request)
        entry = self.runtime.state.legacy_entry(company, str(request.path_params["expenseId"]))
        return legacy_json(self._render([entry])[0])

    async def update_expenses(self, request: Request) -> Response:
        company = self._company(request)
        changes = _parse_bulk(await read_json(request))
        entries = self.runtime.state.legacy_update(company, changes)
        return legacy_json({"expenses": self._render(entries)})

    async def update_expense(self, request: Request) -> Response:
        company = self._company(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            msg = "The body must be a JSON object with 'status'."
            raise bad_request(msg)
        changes = [(str(request.path_params["expenseId"]), _status(body.get("status")))]
        entries = self.runtime.state.legacy_update(company, changes)
        return legacy_json({"expenses": self._render(entries)})

    def _receipts(self, request: Request) -> list[dict[str, Any]]:
        company = self._company(request)
        entry = self.runtime.state.legacy_entry(company, str(request.path_params["expenseId"]))
        read = self.runtime.legacy.next_read()
        receipts = []
        for file in entry.item.get("files") or []:
            path = urlsplit(file["url"]).path
            identifier = receipt_id(file["url"])
            signature = self.runtime.legacy.signature(identifier, read)
            receipts.append(
                {
                    "id": identifier,
                    "name": path.rsplit("/", 1)[-1],
                    "url": (
                        f"https://files.sandbox.pleo.invalid{path}"
                        f"?X-Signature={signature}&expires={_RECEIPT_LIFETIME_SECONDS}"
                    ),
                    "mimeType": file["type"],
                    "size": round(file["size"] / 1024, 2),
                }
            )
        return receipts

    async def list_receipts(self, request: Request) -> Response:
        return legacy_json(self._receipts(request))

    async def get_receipt(self, request: Request) -> Response:
        wanted = str(request.path_params["receiptId"])
        for receipt in self._receipts(request):
            if receipt["id"] == wanted:
                return legacy_json(receipt)
        raise not_found(_RECEIPT)


def _status(value: object) -> str:
    if not isinstance(value, str) or value not in LEGACY_STATUSES:
        msg = f"'status' must be one of {', '.join(LEGACY_STATUSES)}."
        raise bad_request(msg)
    return value


def _pairs(elements: object) -> list[tuple[str, str]]:
    if not isinstance(elements, list) or not elements:
        msg = "Expected a non-empty list of {id, status}."
        raise bad_request(msg)
    changes = []
    for element in elements:
        if not isinstance(element, dict) or not isinstance(element.get("id"), str):
            msg = "Each expense needs an 'id' and a 'status'."
            raise bad_request(msg)
        changes.append((element["id"], _status(element.get("status"))))
    return changes


def _parse_bulk(body: object) -> list[tuple[str, str]]:
    if isinstance(body, list):
        return _pairs(body)
    if isinstance(body, dict) and "expenseIds" in body:
        ids = body["expenseIds"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            msg = "'expenseIds' must be a non-empty list of ids."
            raise bad_request(msg)
        status = _status(body.get("status"))
        return [(expense_id, status) for expense_id in ids]
    if isinstance(body, dict) and "expenses" in body:
        return _pairs(body["expenses"])
    msg = "Send {expenseIds, status}, {expenses: [{id, status}]} or [{id, status}]."
    raise bad_request(msg)

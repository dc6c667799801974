"""The legacy Expenses API v1 (``/v1/expenses``) over the same data, with legacy tokens.

Choices where Pleo is silent (pleo-api.md §4):
- ``status`` and ``types`` may be repeated and/or comma-separated; unknown values are 400.
- ``pageSize`` defaults to 50 and is clamped to 2000 (what third-party callers send);
  ``pageSize=0`` or a negative/non-integer ``pageOffset``/``pageSize`` is 400.
- ``dateFrom``/``dateTo`` filter ``performedAt`` inclusively; a date without a time means the
  whole day. Expenses are ordered by ``performedAt``, then ``id``.
- ``accountId``/``tagId`` match the top-level value or any line's value.
- Unknown query parameters (``transactionStates`` included) are ignored; trailing slashes work.
- ``PUT /v1/expenses`` accepts ``{"expenseIds": [...], "status": S}``,
  ``{"expenses": [{"id", "status"}]}`` or a bare array of ``{"id", "status"}``; ``PUT
  /v1/expenses/{id}`` accepts ``{"status": S}``. Any status may be set (the legacy API had no
  rules); an id unknown to the tenant makes the whole request 404 and changes nothing. The answer
  is 200 ``{"expenses": [...]}``.
- Errors use the legacy shape ``{"type", "message"}``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter.sandbox.auth import authenticate_legacy
from adapter.sandbox.clock import parse_timestamp
from adapter.sandbox.errors import bad_request
from adapter.sandbox.http import json_response, read_json
from adapter.sandbox.legacy_render import LEGACY_TYPE_OF, LEGACY_TYPES, render_expense
from adapter.sandbox.models import Company, Entry
from adapter.sandbox.pagination import single_param
from adapter.sandbox.runtime import SandboxRuntime
from adapter.sandbox.state import LEGACY_STATUSES

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "legacy_routes"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 2000


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


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = single_param(request.query_params, name)
    if raw is None:
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


def _matches_id(entry: Entry, key: str, value: str) -> bool:
    for line in entry.item["accountingEntryLines"]:
        if key == "account":
            account = line.get("account")
            if account and account["id"] == value:
                return True
        else:
            if any(tag["id"] == value for tag in line.get("tags") or []):
                return True
    return False


class _LegacyApi:
    def __init__(self, runtime: SandboxRuntime) -> None:
        self.runtime = runtime

    def _company(self, request: Request) -> Company:
        return authenticate_legacy(request, self.runtime.state.credentials)

    def _render(self, entry: Entry) -> dict[str, Any]:
        return render_expense(entry, self.runtime.state.legacy_status(entry))

    async def list_expenses(self, request: Request) -> Response:
        company = self._company(request)
        statuses = _multi(request, "status", LEGACY_STATUSES)
        types = _multi(request, "types", LEGACY_TYPES)
        offset = _int_param(request, "pageOffset", 0, 0)
        size = min(_int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
        date_from = _date_bound(request, "dateFrom", upper=False)
        date_to = _date_bound(request, "dateTo", upper=True)
        account_id = single_param(request.query_params, "accountId")
        tag_id = single_param(request.query_params, "tagId")
        state = self.runtime.state
        selected = []
        for entry in state.legacy_entries(company):
            performed = parse_timestamp(entry.item["date"])
            if date_from is not None and performed < date_from:
                continue
            if date_to is not None and performed > date_to:
                continue
            if types and LEGACY_TYPE_OF.get(entry.item["type"], "MANUAL") not in types:
                continue
            if account_id and not _matches_id(entry, "account", account_id):
                continue
            if tag_id and not _matches_id(entry, "tag", tag_id):
                continue
            if statuses and state.legacy_status(entry) not in statuses:
                continue
            selected.append(entry)
        selected.sort(key=lambda entry: (entry.item["date"], entry.id))
        page = selected[offset : offset + size]
        page_info: dict[str, int] = {"pageSize": size, "totalCount": len(selected)}
        if offset + size < len(selected):
            page_info["nextPageOffset"] = offset + size
        return json_response(
            {
                "expenses": [self._render(entry) for entry in page],
                "metadata": {"pageInfo": page_info},
            }
        )

    async def get_expense(self, request: Request) -> Response:
        company = self._company(request)
        entry = self.runtime.state.legacy_entry(company, str(request.path_params["expense_id"]))
        return json_response(self._render(entry))

    async def update_expenses(self, request: Request) -> Response:
        company = self._company(request)
        changes = _parse_bulk(await read_json(request))
        entries = self.runtime.state.legacy_update(company, changes)
        return json_response({"expenses": [self._render(entry) for entry in entries]})

    async def update_expense(self, request: Request) -> Response:
        company = self._company(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            msg = "The body must be a JSON object with 'status'."
            raise bad_request(msg)
        status = _status(body.get("status"))
        changes = [(str(request.path_params["expense_id"]), status)]
        entries = self.runtime.state.legacy_update(company, changes)
        return json_response({"expenses": [self._render(entry) for entry in entries]})


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


def legacy_routes(runtime: SandboxRuntime) -> list[Route]:
    """The legacy routes bound to one sandbox."""
    api = _LegacyApi(runtime)
    return [
        Route("/v1/expenses", api.list_expenses, methods=["GET"]),
        Route("/v1/expenses/", api.list_expenses, methods=["GET"]),
        Route("/v1/expenses", api.update_expenses, methods=["PUT"]),
        Route("/v1/expenses/", api.update_expenses, methods=["PUT"]),
        Route("/v1/expenses/{expense_id}", api.get_expense, methods=["GET"]),
        Route("/v1/expenses/{expense_id}", api.update_expense, methods=["PUT"]),
    ]

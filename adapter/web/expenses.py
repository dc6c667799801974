"""The translated legacy endpoints: ``/v1/expenses`` and its receipts (pleo-api.md A.4, A.7).

Routes authenticate, parse and answer; everything about jobs is the workflow's business, and
nothing here talks to httpx. :data:`TRANSLATED` maps each (path template, method) of the
legacy route table that the proxy translates to its endpoint. A receipt's ``url`` is Pleo's
signed download URL: it goes to the client allowed to see the expense and is never logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request

from adapter.auth import Authenticator
from adapter.errors import BadRequest, NotFound, UnsupportedMediaType
from adapter.legacy.query import parse_query_string
from adapter.legacy.updates import parse_bulk_update, parse_single_update
from adapter.observability.context import bind_company
from adapter.request_body import read_body
from adapter.settings import Settings
from adapter.tenancy import Tenant
from adapter.web.responses import LegacyJSONResponse, json_array
from adapter.workflow import JobWorkflow, StatusUpdate

__all__ = ["TRANSLATED"]


def _services(request: Request) -> tuple[Settings, Authenticator, JobWorkflow]:
    state = request.state
    return state.settings, state.authenticator, state.workflow


def _tenant(request: Request, authenticator: Authenticator) -> Tenant:
    tenant = authenticator.authenticate(request.headers.get("authorization"))
    bind_company(tenant.company_id)  # the rest of this request's log lines name it (hashed)
    return tenant


async def list_expenses(request: Request) -> LegacyJSONResponse:
    settings, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    query = parse_query_string(
        request.scope["query_string"], settings.default_page_size, settings.max_page_size
    )
    page = await workflow.list_expenses(tenant, query)
    page_info: dict[str, Any] = {
        "pageSize": len(page.expenses),
        "totalCount": page.total_count,
        "nextPageOffset": page.next_page_offset,
    }
    if query.page_size_limit is not None:
        # The client asked for more than one page may hold: nextPageOffset leads to the rest.
        page_info["maxPageSize"] = query.page_size_limit
    headers = None
    if page.stale_seconds is not None:
        # Pleo could not be read; this is the last good view (RFC 7234 warn-code 110).
        headers = {
            "Warning": '110 - "Response is Stale"',
            "X-Adapter-Stale-Seconds": str(int(page.stale_seconds)),
        }
    return LegacyJSONResponse(
        {"expenses": json_array(page.expenses), "metadata": {"pageInfo": page_info}},
        headers=headers,
    )


async def get_expense(request: Request) -> LegacyJSONResponse:
    _, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    expense = await workflow.get_expense(tenant, request.path_params["expenseId"])
    return LegacyJSONResponse(orjson.Fragment(expense))


async def list_receipts(request: Request) -> LegacyJSONResponse:
    _, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    receipts = await workflow.list_receipts(tenant, request.path_params["expenseId"])
    return LegacyJSONResponse([receipt.model_dump() for receipt in receipts])


async def get_receipt(request: Request) -> LegacyJSONResponse:
    _, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    expense_id = request.path_params["expenseId"]
    receipt_id = request.path_params["receiptId"]
    for receipt in await workflow.list_receipts(tenant, expense_id):
        if receipt.id == receipt_id:
            return LegacyJSONResponse(receipt.model_dump())
    msg = f"Expense {expense_id} has no receipt {receipt_id}."
    raise NotFound(msg, error_type="RECEIPT_NOT_FOUND")


async def update_expenses(request: Request) -> LegacyJSONResponse:
    settings, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    body = await _read_json(request, settings.max_body_bytes)
    changes = parse_bulk_update(body, max_ids=settings.max_ids_per_put)
    return _update_response(await workflow.set_statuses(tenant, changes))


async def update_expense(request: Request) -> LegacyJSONResponse:
    settings, authenticator, workflow = _services(request)
    tenant = _tenant(request, authenticator)
    body = await _read_json(request, settings.max_body_bytes)
    change = parse_single_update(body, request.path_params["expenseId"])
    return _update_response(await workflow.set_statuses(tenant, [change]))


def _update_response(result: StatusUpdate) -> LegacyJSONResponse:
    content: dict[str, Any] = {"expenses": json_array(result.expenses)}
    if result.failures:
        # Pleo applied some changes and refused others: say which, never a silent success.
        content["errors"] = [
            {"id": f.expense_id, "type": f.error_type, "message": f.message}
            for f in result.failures
        ]
    return LegacyJSONResponse(content)


async def _read_json(request: Request, max_bytes: int) -> Any:
    content_type = request.headers.get("content-type", "application/json").lower()
    if "json" not in content_type:
        msg = "Send the body as application/json."
        raise UnsupportedMediaType(msg)
    body = await read_body(request, max_bytes)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        msg = "The body is not valid JSON."
        raise BadRequest(msg, error_type="INVALID_JSON") from None


Endpoint = Callable[[Request], Awaitable[LegacyJSONResponse]]

TRANSLATED: Mapping[tuple[str, str], Endpoint] = {
    ("/v1/expenses", "GET"): list_expenses,
    ("/v1/expenses", "PUT"): update_expenses,
    ("/v1/expenses/{expenseId}", "GET"): get_expense,
    ("/v1/expenses/{expenseId}", "PUT"): update_expense,
    ("/v1/expenses/{expenseId}/receipts", "GET"): list_receipts,
    ("/v1/expenses/{expenseId}/receipts/{receiptId}", "GET"): get_receipt,
}

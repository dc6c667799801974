"""``GET /openapi.json``: the proxy's own OpenAPI 3.1 description of the legacy surface it serves.

Generated, not copied: the schemas come from the proxy's pydantic models (``Expense``,
``ExpenseList`` and its ``pageInfo``, ``Receipt``, ``ExpensesUpdateRequest`` and its answer, the
legacy error body) with ``model_json_schema``, the paths from the legacy route table. It
describes what the proxy adds to Pleo's legacy document: the ``X-Request-Id`` header on every
answer, ``pageInfo.maxPageSize``, the per-expense ``errors`` of a PUT, and the 413/415/501/502/
503/504 answers. Passed-through routes have loose schemas: their bodies are Pleo's, unchanged.
A contract test keeps this document in agreement with Pleo's on every path, parameter and
schema both describe.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from adapter.legacy.models import (
    CardTransactionState,
    Expense,
    ExpenseList,
    ExpensesUpdateAnswer,
    ExpensesUpdateRequest,
    ExpenseType,
    LegacyError,
    LegacyStatus,
    Receipt,
)
from adapter.passthrough import LEGACY_ROUTES, LegacyRoute
from adapter.web.responses import LegacyJSONResponse

__all__ = ["OPENAPI_PATH", "openapi_document", "openapi_routes"]

OPENAPI_PATH = "/openapi.json"
_JSON = "application/json; charset=utf-8"
_REF = "#/components/schemas/{model}"
_MODELS: tuple[type[BaseModel], ...] = (
    Expense,
    ExpenseList,
    Receipt,
    ExpensesUpdateRequest,
    ExpensesUpdateAnswer,
    LegacyError,
)
_PHRASES = {
    400: "the query or body is malformed",
    401: "missing or unknown credential",
    403: "Pleo refused the credential for this company",
    404: "no such route, or nothing of that id for this tenant",
    405: "the route does not take this method",
    409: "the expense's export state forbids the change",
    413: "body over ADAPTER_MAX_BODY_BYTES or more ids than ADAPTER_MAX_IDS_PER_PUT",
    415: "the body is not JSON",
    422: "an unknown status value",
    500: "the proxy failed unexpectedly",
    501: "passed through to Pleo's legacy API, which is not configured",
    502: "Pleo refused a call, broke its contract, or sent an item the mapping cannot read",
    503: "Pleo is unavailable or rate limiting (Retry-After when Pleo gave one)",
    504: "Pleo did not answer in time",
}
_ALWAYS = (401, 404, 405, 500)
_UPSTREAM = (502, 503, 504)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {_JSON: {"schema": schema}}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
    }
    if schema is not None:
        answer["content"] = _content(schema)
    return answer


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _answer(_PHRASES[s], _ref("LegacyError")) for s in sorted(set(statuses))}


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    string = {"type": "string"}
    return [{"name": n, "in": "path", "required": True, "schema": string} for n in names]


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return parameter


def _enum_array(names: list[str]) -> dict[str, Any]:
    return {"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": names}}


def _list_parameters() -> list[dict[str, Any]]:
    return [
        _query("pageOffset", {"type": "number"}, "Offset of the first expense, from 0."),
        _query(
            "pageSize",
            {"type": "number"},
            "Expenses per page; above ADAPTER_MAX_PAGE_SIZE it is clamped and "
            "pageInfo.maxPageSize says so.",
        ),
        _query("dateFrom", {"type": "string", "format": "date-time"}, "performedAt from."),
        _query("dateTo", {"type": "string", "format": "date-time"}, "performedAt up to."),
        _query("types", _enum_array([t.value for t in ExpenseType]), "Expense types."),
        _query("accountId", {"type": "string"}, "An account of the expense or a line."),
        _query("tagId", {"type": "string"}, "A tag of the expense or a line."),
        _query(
            "transactionStates",
            _enum_array([s.value for s in CardTransactionState]),
            "Accepted and ignored: an exported expense is settled.",
        ),
        _query("status", _enum_array([s.value for s in LegacyStatus]), "Export statuses."),
    ]


def _translated(route: LegacyRoute, method: str) -> dict[str, Any]:
    path = route.path
    if path == "/v1/expenses" and method == "GET":
        return {
            "operationId": "getExpenses",
            "parameters": _list_parameters(),
            "responses": {
                "200": _answer("One page of expenses", _ref("ExpenseList")),
                **_errors(400, 403, *_ALWAYS, *_UPSTREAM),
            },
        }
    if method == "PUT":
        body = _ref("ExpensesUpdateRequest") if path == "/v1/expenses" else _status_body()
        return {
            "operationId": "updateExpenses" if path == "/v1/expenses" else "updateExpense",
            "requestBody": {"required": True, "content": _content(body)},
            "responses": {
                "200": _answer("The expenses as they now stand", _ref("ExpensesUpdateAnswer")),
                **_errors(400, 403, 409, 413, 415, 422, *_ALWAYS, *_UPSTREAM),
            },
        }
    schemas: dict[str, tuple[str, dict[str, Any]]] = {
        "/v1/expenses/{expenseId}": ("getExpense", _ref("Expense")),
        "/v1/expenses/{expenseId}/receipts": (
            "getExpenseReceipts",
            {"type": "array", "items": _ref("Receipt")},
        ),
        "/v1/expenses/{expenseId}/receipts/{receiptId}": ("getExpenseReceipt", _ref("Receipt")),
    }
    operation_id, schema = schemas[path]
    return {
        "operationId": operation_id,
        "responses": {"200": _answer("Found", schema), **_errors(403, *_ALWAYS, *_UPSTREAM)},
    }


def _status_body() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status"],
        "properties": {"status": _ref("LegacyStatus")},
    }


def _passthrough(route: LegacyRoute, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "description": "Passed through to Pleo's legacy API with the client's own token; "
        "its answer is returned unchanged (see Pleo's legacy document for the schemas).",
        "responses": {
            "200": _answer("Pleo's legacy API's answer", {}),
            "default": _answer("Pleo's legacy API's answer, any status", {}),
            **_errors(*_ALWAYS, 413, 501, *_UPSTREAM),
        },
    }
    if method in ("POST", "PUT", "PATCH"):
        operation["requestBody"] = {"required": False, "content": {"application/json": {}}}
    if route.when_gone == "own":
        operation["description"] += " With no legacy API configured the proxy answers itself."
        status = {"status": {"type": "string"}}
        health = {"type": "object", "required": ["status"], "properties": status}
        operation["responses"]["200"] = _answer("Healthy", health)
    return operation


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in LEGACY_ROUTES:
        item = paths.setdefault(route.path, {"parameters": _path_parameters(route.path)})
        for method in route.methods:
            build = _translated if route.handling == "translated" else _passthrough
            item[method.lower()] = {"tags": [route.handling], **build(route, method)}
    paths[OPENAPI_PATH] = {
        "get": {
            "operationId": "getOpenApi",
            "security": [],
            "responses": {"200": _answer("This document", {"type": "object"})},
        }
    }
    return paths


@cache
def openapi_document() -> dict[str, Any]:
    """The document (built once; the models and the route table do not change at run time)."""
    _, schemas = models_json_schema([(m, "serialization") for m in _MODELS], ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pleo-export-adapter: Pleo's legacy API, served over the Export API v3",
            "version": "1",
            "description": __doc__,
        },
        "servers": [{"url": "/"}],
        "security": [{"BearerToken": []}, {"BasicAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": schemas["$defs"],
            "headers": {
                "X-Request-Id": {
                    "description": "The request's id (also the error body's requestId).",
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "BearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The legacy API token (credentials mode) or a v3 token "
                    "(passthrough mode).",
                },
                "BasicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A v3 API key as the user name (passthrough mode).",
                },
            },
        },
    }


async def _serve(request: Request) -> LegacyJSONResponse:
    return LegacyJSONResponse(openapi_document())


def openapi_routes() -> list[BaseRoute]:
    return [Route(OPENAPI_PATH, _serve, methods=["GET"])]

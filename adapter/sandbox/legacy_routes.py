"""The legacy API (``/v1/...``, legacy Bearer tokens) as Starlette routes, one per path of
:data:`~adapter.sandbox.legacy_operations.LEGACY_OPERATIONS`, each with and without a trailing
slash (a redirect would make some clients drop a PUT body).

Expenses and receipts: :mod:`adapter.sandbox.legacy_expenses`; health, balance and team
membership: :mod:`adapter.sandbox.legacy_company`; every other resource through the generic
:class:`~adapter.sandbox.legacy_resources.ResourceApi` driven by
:mod:`adapter.sandbox.legacy_resource_table`. Errors are rendered in the legacy shape by the
app's exception handlers (:mod:`adapter.sandbox.legacy_http`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter.sandbox.auth import authenticate_legacy
from adapter.sandbox.legacy_company import LegacyCompanyApi
from adapter.sandbox.legacy_expenses import LegacyExpenseApi
from adapter.sandbox.legacy_operations import LEGACY_OPERATIONS, LEGACY_PREFIX
from adapter.sandbox.legacy_resource_table import RESOURCE_OPERATIONS
from adapter.sandbox.legacy_resources import ResourceApi
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["legacy_routes"]

Endpoint = Callable[[Request], Awaitable[Response]]


def _handlers(runtime: SandboxRuntime) -> Callable[[str], Endpoint]:
    expenses = LegacyExpenseApi(runtime)
    company = LegacyCompanyApi(runtime)
    resources = ResourceApi(
        runtime.state, lambda request: authenticate_legacy(request, runtime.state.credentials).id
    )
    special: dict[str, Endpoint] = {
        "healthStatus": company.health,
        "getCompanyBalance": company.balance,
        "addTeamEmployee": company.add_member,
        "deleteTeamEmployee": company.remove_member,
        "getExpenses": expenses.list_expenses,
        "updateExpenses": expenses.update_expenses,
        "getExpense": expenses.get_expense,
        "updateExpense": expenses.update_expense,
        "getExpenseReceipts": expenses.list_receipts,
        "getExpenseReceipt": expenses.get_receipt,
    }

    def handler(operation_id: str) -> Endpoint:
        if operation_id in special:
            return special[operation_id]
        action, resource = RESOURCE_OPERATIONS[operation_id]
        endpoint: Endpoint = partial(getattr(resources, action), resource)
        return endpoint

    return handler


def _dispatch(by_method: dict[str, Endpoint]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await by_method[method](request)

    return endpoint


def legacy_routes(runtime: SandboxRuntime) -> list[Route]:
    """The legacy routes bound to one sandbox."""
    handler = _handlers(runtime)
    by_path: dict[str, dict[str, Endpoint]] = {}
    for operation in LEGACY_OPERATIONS:
        by_path.setdefault(operation.path, {})[operation.method] = handler(operation.operation_id)
    return [
        Route(LEGACY_PREFIX + path + slash, _dispatch(by_method), methods=list(by_method))
        for path, by_method in by_path.items()
        for slash in ("", "/")
    ]

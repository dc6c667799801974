"""The legacy route table: every path and method of Pleo's legacy API, and who answers it.

One list, :data:`LEGACY_ROUTES`, mirrors ``legacy-expenses-v1.yaml`` (a test keeps them equal)
plus the proxy's harmless ``PUT /v1/expenses/{expenseId}``. Each route is either

* ``translated``: the proxy answers it from the Export API v3 (expenses and their receipts);
* ``passthrough``: forwarded to Pleo's legacy API (``ADAPTER_LEGACY_API_URL``) unchanged.

A translation can later replace a passthrough route by route (the current APIs under
``pleo-openapi/current/``): change its ``handling`` and give the web layer a handler for it.
``when_gone`` says what a passthrough route answers when no legacy API is configured: ``501``
(the legacy error body naming the route) or ``own`` (the proxy answers it itself; only the
health check, which must not fail while the proxy can serve expenses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["LEGACY_PREFIX", "LEGACY_ROUTES", "LegacyRoute", "routes_by_handling"]

# Pleo's legacy document's server is https://openapi.pleo.io/v1/; its paths are below it.
LEGACY_PREFIX = "/v1"

Handling = Literal["translated", "passthrough"]


@dataclass(frozen=True, slots=True)
class LegacyRoute:
    """One legacy path template (with the ``/v1`` prefix) and its methods."""

    path: str
    methods: tuple[str, ...]
    handling: Handling
    when_gone: Literal["501", "own"] = "501"
    # In Pleo's document: False only for the proxy's own additions.
    documented: bool = True

    @property
    def spec_path(self) -> str:
        """The path as Pleo's document names it (without ``/v1``)."""
        return self.path.removeprefix(LEGACY_PREFIX)


def _t(path: str, *methods: str, documented: bool = True) -> LegacyRoute:
    return LegacyRoute(f"{LEGACY_PREFIX}{path}", methods, "translated", documented=documented)


def _p(path: str, *methods: str, when_gone: Literal["501", "own"] = "501") -> LegacyRoute:
    return LegacyRoute(f"{LEGACY_PREFIX}{path}", methods, "passthrough", when_gone)


LEGACY_ROUTES: tuple[LegacyRoute, ...] = (
    _t("/expenses", "GET", "PUT"),
    _t("/expenses/{expenseId}", "GET"),
    # Not in Pleo's document (A.7): a harmless extra for clients that update one expense.
    _t("/expenses/{expenseId}", "PUT", documented=False),
    _t("/expenses/{expenseId}/receipts", "GET"),
    _t("/expenses/{expenseId}/receipts/{receiptId}", "GET"),
    _p("/health", "GET", when_gone="own"),
    _p("/tag-groups", "GET", "POST"),
    _p("/tag-groups/{tagGroupId}", "GET", "DELETE", "PATCH"),
    _p("/tag-groups/{tagGroupId}/tags", "GET", "POST"),
    _p("/tag-groups/{tagGroupId}/tags/{tagId}", "GET", "DELETE", "PATCH"),
    _p("/companies/balance", "GET"),
    _p("/employees", "GET", "POST"),
    _p("/employees/{employeeId}", "GET", "PUT", "DELETE"),
    _p("/accounts", "GET", "POST"),
    _p("/accounts/{accountId}", "GET", "PUT", "DELETE"),
    _p("/account-groups", "GET", "POST"),
    _p("/account-groups/{accountCategoryId}", "GET", "PUT", "DELETE"),
    _p("/account-categories", "GET", "POST"),
    _p("/account-categories/{accountCategoryId}", "GET", "PUT", "DELETE"),
    _p("/teams", "GET", "POST"),
    _p("/teams/{teamId}", "GET", "PUT", "DELETE"),
    _p("/teams/{teamId}/employees/{employeeId}", "PUT", "DELETE"),
    _p("/tax-codes", "GET"),
    _p("/tax-codes/{taxCodeId}", "GET"),
)


def routes_by_handling(handling: Handling) -> list[LegacyRoute]:
    return [route for route in LEGACY_ROUTES if route.handling == handling]

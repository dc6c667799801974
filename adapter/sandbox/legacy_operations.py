"""Every operation of Pleo's legacy API (``legacy-expenses-v1.yaml``), as the sandbox serves it.

Paths are relative to :data:`LEGACY_PREFIX` (``/v1``), in the document's own template syntax,
which Starlette shares. The routes, the statistics (``legacy:<operationId>``) and the contract
test are all driven by this one table. The one operation the document does not have,
``PUT /expenses/{expenseId}`` (``updateExpense``), is served because it is harmless and
pleo-api.md A.4 names it (A.7: "serving it is harmless").
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LEGACY_OPERATIONS", "LEGACY_PREFIX", "UNDOCUMENTED", "LegacyOperation"]

LEGACY_PREFIX = "/v1"


class LegacyOperation(NamedTuple):
    """One method on one path template, with Pleo's operationId."""

    method: str
    path: str
    operation_id: str


LEGACY_OPERATIONS: tuple[LegacyOperation, ...] = tuple(
    LegacyOperation(*row)
    for row in (
        ("GET", "/health", "healthStatus"),
        ("GET", "/expenses", "getExpenses"),
        ("PUT", "/expenses", "updateExpenses"),
        ("GET", "/expenses/{expenseId}", "getExpense"),
        ("PUT", "/expenses/{expenseId}", "updateExpense"),
        ("GET", "/expenses/{expenseId}/receipts", "getExpenseReceipts"),
        ("GET", "/expenses/{expenseId}/receipts/{receiptId}", "getExpenseReceipt"),
        ("GET", "/tag-groups", "getTagGroups"),
        ("POST", "/tag-groups", "createTagGroup"),
        ("GET", "/tag-groups/{tagGroupId}", "getTagGroup"),
        ("PATCH", "/tag-groups/{tagGroupId}", "updateTagGroup"),
        ("DELETE", "/tag-groups/{tagGroupId}", "deleteTagGroup"),
        ("GET", "/tag-groups/{tagGroupId}/tags", "getTags"),
        ("POST", "/tag-groups/{tagGroupId}/tags", "createTag"),
        ("GET", "/tag-groups/{tagGroupId}/tags/{tagId}", "getTag"),
        ("PATCH", "/tag-groups/{tagGroupId}/tags/{tagId}", "updateTag"),
        ("DELETE", "/tag-groups/{tagGroupId}/tags/{tagId}", "deleteTag"),
        ("GET", "/companies/balance", "getCompanyBalance"),
        ("GET", "/employees", "getEmployees"),
        ("POST", "/employees", "createEmployee"),
        ("GET", "/employees/{employeeId}", "getEmployee"),
        ("PUT", "/employees/{employeeId}", "updateEmployee"),
        ("DELETE", "/employees/{employeeId}", "deleteEmployee"),
        ("GET", "/accounts", "getAccounts"),
        ("POST", "/accounts", "createAccount"),
        ("GET", "/accounts/{accountId}", "getAccount"),
        ("PUT", "/accounts/{accountId}", "updateAccount"),
        ("DELETE", "/accounts/{accountId}", "deleteAccount"),
        ("GET", "/account-groups", "getAccountGroups"),
        ("POST", "/account-groups", "createAccountGroup"),
        ("GET", "/account-groups/{accountCategoryId}", "getAccountGroup"),
        ("PUT", "/account-groups/{accountCategoryId}", "updateAccountGroup"),
        ("DELETE", "/account-groups/{accountCategoryId}", "deleteAccountGroup"),
        ("GET", "/account-categories", "getAccountGroupsV1_1"),
        ("POST", "/account-categories", "createAccountGroupV1_1"),
        ("GET", "/account-categories/{accountCategoryId}", "getAccountGroupV1_1"),
        ("PUT", "/account-categories/{accountCategoryId}", "updateAccountGroupV1_1"),
        ("DELETE", "/account-categories/{accountCategoryId}", "deleteAccountGroupV1_1"),
        ("GET", "/teams", "getTeams"),
        ("POST", "/teams", "createTeam"),
        ("GET", "/teams/{teamId}", "getTeam"),
        ("PUT", "/teams/{teamId}", "updateTeam"),
        ("DELETE", "/teams/{teamId}", "deleteTeam"),
        ("PUT", "/teams/{teamId}/employees/{employeeId}", "addTeamEmployee"),
        ("DELETE", "/teams/{teamId}/employees/{employeeId}", "deleteTeamEmployee"),
        ("GET", "/tax-codes", "getTaxCodes"),
        ("GET", "/tax-codes/{taxCodeId}", "getTaxCode"),
    )
)
# served, but not in Pleo's document
UNDOCUMENTED = frozenset({"updateExpense"})

"""The legacy Expense, its envelopes, receipts and error body, as Pleo's legacy API has them.

Shapes follow Pleo's own legacy document (``pleo-openapi/legacy-expenses-v1.yaml``,
pleo-api.md A.7): a field the document requires non-null is non-null here (``amountOriginal``,
``performedAt``, ``lines[].amountSettled``, ``cardTransaction.state`` when the card transaction
is present). Every other key is always present in what the proxy emits; a value the Export API
cannot supply is ``null`` (Part A.1, "emit null, keep the key"), so a legacy client that indexes
a key never breaks. Amounts are ``Decimal`` in the unit the mapping table declares, serialised
as exact JSON numbers by :mod:`adapter.jsonio`. The proxy's ``/openapi.json`` is generated from
these models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

from adapter.export.models import ExportJobItemFailureReasonType

__all__ = [
    "CardTransaction",
    "CardTransactionState",
    "Expense",
    "ExpenseList",
    "ExpenseType",
    "ExpensesUpdateAnswer",
    "ExpensesUpdateRequest",
    "ItemFailureDetail",
    "ItemUpdateExtras",
    "JsonNumber",
    "LegacyAmount",
    "LegacyError",
    "LegacyStatus",
    "Line",
    "ListMetadata",
    "Merchant",
    "PageInfo",
    "Receipt",
    "StatusChange",
    "Supplier",
    "TagRef",
]


class LegacyStatus(StrEnum):
    """Export state of an expense: S-ATTR "NOT_EXPORTED, QUEUED, EXPORTING, EXPORTED"."""

    NOT_EXPORTED = "NOT_EXPORTED"
    QUEUED = "QUEUED"
    EXPORTING = "EXPORTING"
    EXPORTED = "EXPORTED"


class ExpenseType(StrEnum):
    """The 12 expense types of Pleo's legacy document (pleo-api.md A.7)."""

    CARD = "CARD"
    PERSONAL_TRANSFER = "PERSONAL_TRANSFER"
    BILL_INVOICE = "BILL_INVOICE"
    BILL_INVOICE_PAYMENT = "BILL_INVOICE_PAYMENT"
    LOAD = "LOAD"
    MANUAL = "MANUAL"
    MANUAL_TRANSFER = "MANUAL_TRANSFER"
    PLEO_INVOICE = "PLEO_INVOICE"
    EMPLOYEE_BANK_TRANSFER = "EMPLOYEE_BANK_TRANSFER"
    CASHBACK = "CASHBACK"
    OVERDRAFT_FEE = "OVERDRAFT_FEE"
    OVERDRAFT_INTEREST = "OVERDRAFT_INTEREST"


class CardTransactionState(StrEnum):
    """``cardTransaction.state`` in Pleo's legacy document (also the ``transactionStates``
    filter's values)."""

    AUTHORIZATION = "AUTHORIZATION"
    AUTHORIZATION_REVERSAL = "AUTHORIZATION_REVERSAL"
    CHARGE_BACK = "CHARGE_BACK"
    CHARGE_BACK_REVERSAL = "CHARGE_BACK_REVERSAL"
    PRESENTMENT = "PRESENTMENT"
    SECOND_PRESENTMENT = "SECOND_PRESENTMENT"
    REFUND = "REFUND"
    LOAD = "LOAD"
    UNLOAD = "UNLOAD"
    FAILED = "FAILED"
    MANUAL = "MANUAL"


class _Legacy(BaseModel):
    # The legacy wire names are already the attribute names (camelCase and "CIF").
    model_config = ConfigDict(extra="forbid", frozen=True)


# Written as a JSON number by adapter.jsonio (exact), so described as one.
JsonNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class LegacyAmount(_Legacy):
    value: JsonNumber
    currency: str


class TagRef(_Legacy):
    id: str
    tagGroupId: str


class Line(_Legacy):
    amountSettled: LegacyAmount
    accountId: str | None
    taxCodeId: str | None
    tagIds: list[TagRef]


class Merchant(_Legacy):
    id: str | None
    name: str


class CardTransaction(_Legacy):
    """Present on card expenses only; ``state`` and ``merchant.name`` are then required."""

    state: CardTransactionState
    merchant: Merchant
    authorizedAt: datetime | None
    settledAt: datetime | None
    reversedAt: datetime | None


class Supplier(_Legacy):
    CIF: str | None
    documentNumber: str | None


class Expense(_Legacy):
    id: str
    performedAt: datetime
    amountOriginal: LegacyAmount
    type: ExpenseType
    lines: list[Line]
    status: LegacyStatus
    createdAt: datetime
    updatedAt: datetime
    employeeId: str | None
    employeeCode: str | None
    departmentId: str | None
    amountSettled: LegacyAmount | None
    note: str | None
    cardTransaction: CardTransaction | None
    accountId: str | None
    taxCodeId: str | None
    tagIds: list[TagRef]
    receiptIds: list[str]
    settledExpenseIds: list[str]
    supplier: Supplier
    deletedAt: datetime | None


class Receipt(_Legacy):
    """A receipt of an expense: ``id`` is the id the expense's ``receiptIds`` shows; ``url``
    is Pleo's signed download URL (never logged); ``size`` is in KB, as the legacy API said."""

    id: str
    name: str
    url: str
    mimeType: str
    size: JsonNumber


class PageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The number of expenses in this page (Pleo's legacy document), not the requested size.
    pageSize: int
    totalCount: int
    # Present on every page and null on the last one: clients index it directly.
    nextPageOffset: int | None
    # The proxy's addition, present only when a larger pageSize was asked for and clamped.
    maxPageSize: int | None = None


class ListMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pageInfo: PageInfo


class ExpenseList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    expenses: list[Expense]
    metadata: ListMetadata


class ExpensesUpdateRequest(BaseModel):
    """The ``PUT /v1/expenses`` body Pleo's legacy document defines (its other two accepted
    shapes are the proxy's tolerance, see :mod:`adapter.legacy.updates`)."""

    model_config = ConfigDict(frozen=True)

    expenseIds: list[str]
    status: LegacyStatus


class ItemFailureDetail(BaseModel):
    """One expense a PUT could not change (the proxy's addition to the 200 answer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    type: str
    message: str


class ExpensesUpdateAnswer(BaseModel):
    """The 200 answer of ``PUT /v1/expenses``: the expenses as they now stand, and ``errors``
    naming each refused one when Pleo applied the change only in part."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expenses: list[Expense]
    errors: list[ItemFailureDetail] | None = None


class LegacyError(BaseModel):
    """The error body of every answer a client sees (``DefaultUnauthorizedResponse`` et al.
    in Pleo's document); ``requestId`` is the proxy's addition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    statusCode: int
    error: str
    message: str
    requestId: str | None = None


class ItemUpdateExtras(BaseModel):
    """Optional fields a migrating integration may add to a legacy PUT item (A.3).

    Validates the camelCase wire names (``externalId``...) or the attribute names.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: ExportJobItemFailureReasonType | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One legacy status change as the client asked for it."""

    expense_id: str
    status: LegacyStatus
    extras: ItemUpdateExtras | None = None

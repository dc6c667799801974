"""The legacy Expense and its list envelope, as Pleo's deprecated Expenses API returned them.

Shapes follow pleo-api.md Part B §4.2-§4.3 (the S-LEGREF example). Every key of the example
is always present in what the proxy emits; a value the Export API cannot supply is ``null``
(Part A.1, "emit null, keep the key"), so a legacy client that indexes a key never breaks.
Amounts are ``Decimal`` in the unit the mapping table declares, serialised as exact JSON
numbers by :mod:`adapter.jsonio`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from adapter.export.models import ExportJobItemFailureReasonType

__all__ = [
    "CardTransaction",
    "Expense",
    "ExpenseList",
    "ExpenseType",
    "ItemUpdateExtras",
    "LegacyAmount",
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
    CARD = "CARD"
    PERSONAL_TRANSFER = "PERSONAL_TRANSFER"
    BILL_INVOICE = "BILL_INVOICE"
    LOAD = "LOAD"
    MANUAL = "MANUAL"
    MANUAL_TRANSFER = "MANUAL_TRANSFER"
    PLEO_INVOICE = "PLEO_INVOICE"


class _Legacy(BaseModel):
    # The legacy wire names are already the attribute names (camelCase and "CIF").
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegacyAmount(_Legacy):
    value: Decimal
    currency: str


class TagRef(_Legacy):
    id: str
    tagGroupId: str | None


class Line(_Legacy):
    amountSettled: LegacyAmount | None
    accountId: str | None
    taxCodeId: str | None
    tagIds: list[TagRef]


class Merchant(_Legacy):
    id: str | None
    name: str | None


class CardTransaction(_Legacy):
    state: str | None
    merchant: Merchant
    authorizedAt: datetime | None
    settledAt: datetime | None
    reversedAt: datetime | None


class Supplier(_Legacy):
    CIF: str | None
    documentNumber: str | None


class Expense(_Legacy):
    id: str
    performedAt: datetime | None
    amountOriginal: LegacyAmount | None
    type: ExpenseType
    lines: list[Line]
    status: LegacyStatus
    createdAt: datetime | None
    updatedAt: datetime | None
    employeeId: str | None
    employeeCode: str | None
    departmentId: str | None
    amountSettled: LegacyAmount | None
    note: str | None
    cardTransaction: CardTransaction
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
    size: Decimal


class PageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The number of expenses in this page (Pleo's legacy document), not the requested size.
    pageSize: int
    totalCount: int
    # Present on every page and null on the last one: clients index it directly.
    nextPageOffset: int | None


class ListMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pageInfo: PageInfo


class ExpenseList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    expenses: list[Expense]
    metadata: ListMetadata


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

"""Pydantic models of the Export API v3 objects the proxy reads and writes.

Taken from Pleo's published OpenAPI (``export-api-v3.yml`` and ``export-items-v3.yml``,
version 32.1.0). Two rules shape every class here:

* Response models are tolerant. Pleo's v3 types many enums as plain strings ("This can be one
  of ExportJobItemStatus values"), so those fields are ``str`` and unknown values are data,
  not a validation error. Unknown fields are ignored, and blocks the spec marks required
  but a real payload may omit (``_links``) get a default rather than failing the whole page.
* Request models are strict: they forbid unknown fields and use real enums, so the proxy
  can never send Pleo something the contract does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

__all__ = [
    "AccountV3",
    "BookkeepingV3",
    "ContraAccount",
    "CreateExportJobEvent",
    "CursorPage",
    "CursorPageCurrentRequestInfo",
    "CursorPageInfo",
    "DataResponse",
    "ExceptionInfo",
    "ExportItemAdditionalInformationV3",
    "ExportItemAmountV3",
    "ExportItemFile",
    "ExportItemLineV3",
    "ExportItemType",
    "ExportItemUserV3",
    "ExportItemV3",
    "ExportJobEventType",
    "ExportJobFailureReasonType",
    "ExportJobItemFailureReasonType",
    "ExportJobItemStatus",
    "ExportJobItemUpdateErrorV3",
    "ExportJobItemUpdateV3",
    "ExportJobItemV3",
    "ExportJobStatus",
    "ExportJobV3",
    "InvoiceInformationV3",
    "ItemUpdateOutcome",
    "LinksResponse",
    "MoneyModel",
    "PleoTimestamp",
    "ServicePeriodV3",
    "SupplierBankAccount",
    "SupplierV3",
    "TagV3",
    "TaxV3",
    "TeamV3",
    "UpdateExportJobItemV3",
    "VendorV3",
]

T = TypeVar("T")


def _pleo_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What Pleo's spec shows for every timestamp it accepts: UTC, whole seconds, "Z".
PleoTimestamp = Annotated[AwareDatetime, PlainSerializer(_pleo_timestamp, when_used="json")]


class ExportJobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"


class ExportJobItemStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    SUCCESSFUL = "successful"
    ABANDONED = "abandoned"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_ITEM_STATUSES


_TERMINAL_ITEM_STATUSES = frozenset(
    {ExportJobItemStatus.FAILED, ExportJobItemStatus.SUCCESSFUL, ExportJobItemStatus.ABANDONED}
)


class ExportItemType(StrEnum):
    """``ExportItemTypeV3``. ``ExportItemV3.type`` stays a ``str``: Pleo may add values."""

    CARD_PURCHASE = "card_purchase"
    CARD_INVOICE = "card_invoice"
    OUT_OF_POCKET = "out_of_pocket"
    MILEAGE = "mileage"
    PER_DIEM = "per_diem"
    EXTERNAL_REIMBURSEMENT = "external_reimbursement"
    DIRECT_REIMBURSEMENT = "direct_reimbursement"
    INVOICE = "invoice"
    INVOICE_PAYMENT = "invoice_payment"
    CHARGEBACK = "chargeback"
    REFUND = "refund"
    CASHBACK = "cashback"
    ATM_WITHDRAWAL = "atm_withdrawal"
    WALLET_TOPUP = "wallet_topup"
    WALLET_UNLOAD = "wallet_unload"
    PERSONAL_SPEND = "personal_spend"
    FEE = "fee"


class ExportJobEventType(StrEnum):
    STARTED = "started"
    FAILED = "failed"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"


class ExportJobFailureReasonType(StrEnum):
    INVALID_CONFIGURATION = "invalid_configuration"
    MISSING_CONFIGURATION = "missing_configuration"
    AUTHENTICATION_FAILURE = "authentication_failure"
    ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE = "accounting_system_authentication_failure"
    PLEO_RATE_LIMIT = "pleo_rate_limit"
    ACCOUNTING_SYSTEM_RATE_LIMIT = "accounting_system_rate_limit"
    SERVICE_UNREACHABLE = "service_unreachable"
    ACCOUNTING_SYSTEM_UNREACHABLE = "accounting_system_unreachable"
    VALIDATION_FAILURE = "validation_failure"
    AUTHORIZATION_FAILURE = "authorization_failure"
    INTEGRATION_UNUSABLE = "integration_unusable"
    JOB_EXPIRED = "job_expired"
    SERVICE_TIMEOUT = "service_timeout"
    ACCOUNTING_SYSTEM_TIMEOUT = "accounting_system_timeout"
    CANCELED_BY_USER = "canceled_by_user"


class ExportJobItemFailureReasonType(StrEnum):
    RECEIPT_UPLOAD_FAILURE = "receipt_upload_failure"
    RECEIPT_DOWNLOAD_FAILURE = "receipt_download_failure"
    RECEIPT_FILE_SIZE_LIMIT_EXCEEDED = "receipt_file_size_limit_exceeded"
    RECEIPT_CONVERSION_FAILURE = "receipt_conversion_failure"
    UNEXPECTED_FAILURE = "unexpected_failure"
    INVALID_CONFIGURATION = "invalid_configuration"
    MISSING_CONFIGURATION = "missing_configuration"
    ACCOUNTING_SYSTEM_AUTHENTICATION_FAILURE = "accounting_system_authentication_failure"
    ACCOUNTING_SYSTEM_RATE_LIMIT = "accounting_system_rate_limit"
    ACCOUNTING_SYSTEM_UNREACHABLE = "accounting_system_unreachable"
    VALIDATION_FAILURE = "validation_failure"
    ACCOUNTING_SYSTEM_VALIDATION_FAILURE = "accounting_system_validation_failure"
    AUTHORIZATION_FAILURE = "authorization_failure"
    ACCOUNTING_SYSTEM_TIMEOUT = "accounting_system_timeout"
    VENDOR_UNKNOWN = "vendor_unknown"
    ACCOUNT_UNKNOWN = "account_unknown"
    TAX_CODE_UNKNOWN = "tax_code_unknown"
    TAG_UNKNOWN = "tag_unknown"


class _Response(BaseModel):
    """Base of everything read from Pleo: camelCase on the wire, tolerant, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
        # pydantic-core's default also caches string *values* in a process-wide table of
        # 16,384 entries. Pleo's values are mostly unique ids, so the table only pinned the
        # last ~16k parsed strings (~290 B per cached item at 2,000 items, scattered over the
        # arenas of a job load, which then could not be returned to the OS). Keys repeat on
        # every object and stay cached. Measured in benchmarks/README.md "Memory attribution".
        cache_strings="keys",
    )


class _Request(BaseModel):
    """Base of everything sent to Pleo: camelCase on the wire, strict."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class ExceptionInfo(_Response):
    """Pleo's error body. ``type`` is compared case-insensitively (pleo-api.md §2.1)."""

    type: str
    message: str | None = None


# --- export jobs (control layer) -------------------------------------------------------------


class ExportJobV3(_Response):
    id: str
    company_id: str
    status: str
    created_at: datetime
    expires_in: int
    is_interactive: bool
    number_of_items: int
    vendor_based_bookkeeping: bool
    created_by: str | None = None
    started_at: datetime | None = None
    last_updated_at: datetime | None = None
    completed_at: datetime | None = None
    expired_at: datetime | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None


class ExportJobItemV3(_Response):
    accounting_entry_id: str
    export_job_id: str
    # v0-v2 say "null until an attempt has been made"; real v3 payloads say "pending".
    status: str | None = None
    exported_at: datetime | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None


class ExportJobItemUpdateErrorV3(_Response):
    accounting_entry_id: str
    message: str
    type: str


class ExportJobItemUpdateV3(_Response):
    """Answer to ``PUT /v3/export-jobs/{id}/items``: a 200 may still carry per-item errors."""

    data: list[ExportJobItemV3]
    errors: list[ExportJobItemUpdateErrorV3] = Field(default_factory=list)


class UpdateExportJobItemV3(_Request):
    accounting_entry_id: str
    status: ExportJobItemStatus
    exported_at: PleoTimestamp | None = None
    external_id: str | None = None
    external_url: str | None = None
    failure_reason: str | None = None
    failure_reason_type: ExportJobItemFailureReasonType | None = None


class CreateExportJobEvent(_Request):
    event: ExportJobEventType
    job_id: str
    failure_reason: str | None = None
    failure_reason_type: ExportJobFailureReasonType | None = None


# --- pagination and envelopes ----------------------------------------------------------------


class CursorPageCurrentRequestInfo(_Response):
    parameters: dict[str, list[str]] = Field(default_factory=dict)
    after: str | None = None
    before: str | None = None
    limit: int | None = None
    offset: int | None = None
    sorting_keys: list[str] | None = None
    sorting_order: list[str] | None = None


class CursorPageInfo(_Response):
    has_next_page: bool
    has_previous_page: bool = False
    current_request_pagination: CursorPageCurrentRequestInfo | None = None
    end_cursor: str | None = None
    start_cursor: str | None = None
    total: int | None = None


class CursorPage(_Response, Generic[T]):
    """``CursorPaginatedResponse<T>``: one page of ``data`` and how to get the next."""

    data: list[T]
    pagination: CursorPageInfo


class DataResponse(_Response, Generic[T]):
    """``DataResponse<T>``: the single-object envelope ``{"data": ...}``."""

    data: T


# --- export items (data layer) ---------------------------------------------------------------


class MoneyModel(_Response):
    """An amount in minor units ("896.96 SEK is represented as 89696") and its currency."""

    currency: str
    value: Decimal


class ExportItemAmountV3(_Response):
    in_supplier_currency: MoneyModel
    in_wallet_currency: MoneyModel


class AccountV3(_Response):
    id: str
    name: str
    code: str | None = None
    identifier: str | None = None


class TagV3(_Response):
    id: str
    code: str
    group_code: str


class TaxV3(_Response):
    id: str
    rate: Decimal
    type: str
    amount: ExportItemAmountV3
    code: str | None = None
    ingoing_tax_account: str | None = None
    outgoing_tax_account: str | None = None


class ExportItemLineV3(_Response):
    accounting_entry_line_id: str
    line_amount: ExportItemAmountV3
    net_amount: ExportItemAmountV3
    account: AccountV3 | None = None
    tags: list[TagV3] | None = None
    tax: TaxV3 | None = None


class SupplierBankAccount(_Response):
    bank_name: str
    country: str
    account_number: str | None = None
    bank_code: str | None = None
    bic: str | None = None
    iban: str | None = None


class InvoiceInformationV3(_Response):
    invoice_number: str
    invoice_date: datetime
    status: str
    due_date: datetime | None = None
    payment_date: datetime | None = None
    supplier_bank_account: SupplierBankAccount | None = None


class ExportItemAdditionalInformationV3(_Response):
    reconciliation_id: str
    reconciled_entries: list[str] | None = None
    attendees: list[str] | None = None
    invoice_information: InvoiceInformationV3 | None = None


class BookkeepingV3(_Response):
    method: str


class ContraAccount(_Response):
    id: str
    name: str
    code: str | None = None
    identifier: str | None = None


class ExportItemFile(_Response):
    url: str
    type: str
    size: int
    # Not in the published schema; Part A.2 prefers a file id "if present".
    id: str | None = None


class ServicePeriodV3(_Response):
    from_: datetime = Field(alias="from")
    to: datetime


class SupplierV3(_Response):
    name: str | None = None
    code: str | None = None
    account: str | None = None
    category_code: str | None = None
    country: str | None = None
    tax_identifier: str | None = None


class TeamV3(_Response):
    id: str
    name: str
    code: str | None = None


class ExportItemUserV3(_Response):
    id: str
    name: str
    code: str | None = None


class VendorV3(_Response):
    id: str
    name: str
    default_currency: str
    code: str | None = None
    country: str | None = None
    external_id: str | None = None
    registration_number: str | None = None
    tax_registration_number: str | None = None


class LinksResponse(_Response):
    api: dict[str, str] | None = None
    mobile: dict[str, str] | None = None
    web: dict[str, str] | None = None


class ExportItemV3(_Response):
    """One accounting entry as the data layer (``GET /v3/export-items``) returns it."""

    accounting_entry_id: str
    company_id: str
    type: str
    date: datetime
    amount: ExportItemAmountV3
    accounting_entry_lines: list[ExportItemLineV3]
    additional_information: ExportItemAdditionalInformationV3
    links: LinksResponse = Field(default_factory=LinksResponse, alias="_links")
    sub_type: str | None = None
    note: str | None = None
    bookkeeping: BookkeepingV3 | None = None
    contra_account: ContraAccount | None = None
    files: list[ExportItemFile] | None = None
    service_period: ServicePeriodV3 | None = None
    supplier: SupplierV3 | None = None
    team: TeamV3 | None = None
    user: ExportItemUserV3 | None = None
    vendor: VendorV3 | None = None


@dataclass(frozen=True, slots=True)
class ItemUpdateOutcome:
    """What Pleo said to a (batched) item update.

    ``items`` are the job items Pleo returned as updated; ``errors`` are its per-item
    failures (a 200 can carry them). An id in ``errors`` was not updated.
    """

    items: list[ExportJobItemV3] = field(default_factory=list)
    errors: list[ExportJobItemUpdateErrorV3] = field(default_factory=list)

    @property
    def failed_ids(self) -> frozenset[str]:
        return frozenset(error.accounting_entry_id for error in self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

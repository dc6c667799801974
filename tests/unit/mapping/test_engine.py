"""to_expense, legacy_status and plan_item_update on hand-written items (Part A values)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from adapter.errors import MappingError, StatusChangeRefused
from adapter.export.models import (
    ExportItemFile,
    ExportItemV3,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
    UpdateExportJobItemV3,
)
from adapter.jsonio import dumps
from adapter.legacy.models import (
    CardTransactionState,
    ExpenseType,
    ItemUpdateExtras,
    LegacyStatus,
)
from adapter.mapping import (
    MappingTable,
    legacy_status,
    load_mapping_table,
    plan_item_update,
    to_expense_data,
)
from adapter.mapping.transforms import receipt_id
from tests.support.mapping_items import MapItem, item, raw_item

NOW = datetime(2026, 4, 22, 10, 8, 56, tzinfo=UTC)


def test_sek_minor_units_become_896_96_in_the_json(table: MappingTable, map_item: MapItem) -> None:
    """89696 SEK minor units are the exact JSON number 896.96 (A.2, B §2.8.1)."""
    expense = map_item(table, item("minimal"), "pending")
    assert expense.amountSettled is not None
    assert expense.amountSettled.value == Decimal("896.96")
    body = dumps(expense.model_dump())
    assert b'"amountSettled":{"value":896.96,"currency":"SEK"}' in body


def test_settled_amount_is_the_wallet_currency_not_the_supplier_currency(
    table: MappingTable, map_item: MapItem
) -> None:
    """amountSettled takes amount.inWalletCurrency (SEK), not the USD supplier amount (A.2)."""
    expense = map_item(table, item("full"), "pending")
    assert expense.amountSettled is not None
    assert (expense.amountSettled.value, expense.amountSettled.currency) == (
        Decimal("896.96"),
        "SEK",
    )
    assert (expense.amountOriginal.value, expense.amountOriginal.currency) == (
        Decimal("100.00"),
        "USD",
    )


def test_original_amount_is_the_supplier_currency_amount(
    table: MappingTable, map_item: MapItem
) -> None:
    """amountOriginal is never null: amount.inSupplierCurrency in major units (A.7)."""
    body = dumps(map_item(table, item("jpy_bhd"), "pending").model_dump())
    assert b'"amountOriginal":{"value":12345,"currency":"JPY"}' in body


def test_zero_and_three_decimal_currencies_use_their_iso_exponent(
    table: MappingTable, map_item: MapItem
) -> None:
    """1234567 BHD minor units are 1234.567; JPY has no minor unit."""
    expense = map_item(table, item("jpy_bhd"), "pending")
    assert expense.amountSettled is not None
    assert expense.amountSettled.value == Decimal("1234.567")
    assert b'"value":1234.567' in dumps(expense.model_dump())
    money = raw_item("jpy_bhd")
    money["amount"]["inWalletCurrency"] = {"currency": "JPY", "value": 12345}
    expense = map_item(table, ExportItemV3.model_validate(money), "pending")
    assert expense.amountSettled is not None
    assert expense.amountSettled.value == Decimal(12345)


def test_unknown_currency_uses_the_default_exponent(table: MappingTable, map_item: MapItem) -> None:
    """A currency not in the exponent table (here UNDEFINED) is read with exponent 2."""
    data = raw_item("minimal")
    data["amount"]["inWalletCurrency"] = {"currency": "UNDEFINED", "value": 123}
    expense = map_item(table, ExportItemV3.model_validate(data), "pending")
    assert expense.amountSettled is not None
    assert expense.amountSettled.value == Decimal("1.23")


def test_equal_accounts_on_every_line_lift_to_the_top_level(
    table: MappingTable, map_item: MapItem
) -> None:
    """All lines on the same account give that account at the top level (A.2)."""
    expense = map_item(table, item("same_account"), "pending")
    assert expense.accountId == "acc-meals"
    assert [line.accountId for line in expense.lines] == ["acc-meals", "acc-meals"]


def test_split_tags_are_a_union_in_first_seen_order(table: MappingTable, map_item: MapItem) -> None:
    """Tags split over two lines become one ordered list without the repeated tag (A.2)."""
    expense = map_item(table, item("full"), "pending")
    assert [(t.id, t.tagGroupId) for t in expense.tagIds] == [
        ("tag-dept-ops", "DEPT"),
        ("tag-proj-x", "PROJECT"),
        ("tag-proj-y", "PROJECT"),
    ]


def test_an_item_without_lines_has_no_lines_and_null_top_level_values(
    table: MappingTable, map_item: MapItem
) -> None:
    """No accounting entry lines: lines [], accountId/taxCodeId null, tagIds []."""
    data = raw_item("minimal")
    data["accountingEntryLines"] = []
    expense = map_item(table, ExportItemV3.model_validate(data), "pending")
    assert (expense.lines, expense.accountId, expense.taxCodeId, expense.tagIds) == (
        [],
        None,
        None,
        [],
    )


def test_null_blocks_still_emit_every_nested_object(table: MappingTable, map_item: MapItem) -> None:
    """Null user/team/supplier/vendor/files keep every key: objects with null keys, [] lists."""
    body = map_item(table, item("minimal"), "pending").model_dump(mode="json")
    assert body["supplier"] == {"CIF": None, "documentNumber": None}
    assert body["cardTransaction"] is None
    assert body["receiptIds"] == []
    assert body["employeeId"] is None
    assert body["departmentId"] is None


def test_receipt_id_never_contains_the_signed_url_and_ignores_the_signature() -> None:
    """Two signed URLs of the same file give one stable id that is not the URL (A.2)."""
    data = raw_item("full")["files"][1]
    first = ExportItemV3.model_validate(raw_item("full")).files
    assert first is not None
    again = dict(data, url=data["url"].replace("def", "zzz"))
    assert receipt_id(first[1]) == receipt_id(ExportItemFile.model_validate(again))
    assert "Signature" not in receipt_id(first[1])
    assert receipt_id(first[0]) == "file-1"


@pytest.mark.parametrize(
    ("v3_type", "legacy"),
    [
        ("card_purchase", ExpenseType.CARD),
        ("invoice", ExpenseType.BILL_INVOICE),
        ("invoice_payment", ExpenseType.BILL_INVOICE_PAYMENT),
        ("cashback", ExpenseType.CASHBACK),
        ("overdraft", ExpenseType.OVERDRAFT_FEE),
        ("fee", ExpenseType.PLEO_INVOICE),
        ("wallet_topup", ExpenseType.LOAD),
        ("direct_reimbursement", ExpenseType.PERSONAL_TRANSFER),
        ("something_pleo_adds_next_year", ExpenseType.MANUAL),
    ],
)
def test_type_lookup_and_default(
    table: MappingTable, v3_type: str, legacy: ExpenseType, map_item: MapItem
) -> None:
    """v3 types map through types.toml; an unknown type gets the default, not an error."""
    data = raw_item("minimal")
    data["type"] = v3_type
    assert map_item(table, ExportItemV3.model_validate(data), None).type is legacy


@pytest.mark.parametrize(
    ("sub_type", "legacy"),
    [
        ("interest", ExpenseType.OVERDRAFT_INTEREST),
        (None, ExpenseType.PLEO_INVOICE),
        ("a_subtype_pleo_adds_later", ExpenseType.PLEO_INVOICE),
    ],
)
def test_a_fee_of_subtype_interest_is_overdraft_interest(
    table: MappingTable, sub_type: str | None, legacy: ExpenseType, map_item: MapItem
) -> None:
    """The (type, subType) row wins; any other subType falls back to the type's row (A.7)."""
    data = dict(raw_item("minimal"), type="fee", subType=sub_type)
    assert map_item(table, ExportItemV3.model_validate(data), None).type is legacy


@pytest.mark.parametrize("v3_type", ["out_of_pocket", "invoice", "wallet_topup", "mileage"])
def test_a_non_card_expense_has_no_card_transaction(
    table: MappingTable, v3_type: str, map_item: MapItem
) -> None:
    """cardTransaction is null unless the expense is a card expense (A.7)."""
    data = dict(raw_item("full"), type=v3_type)
    assert map_item(table, ExportItemV3.model_validate(data), None).cardTransaction is None


@pytest.mark.parametrize(
    "v3_type", ["card_purchase", "card_invoice", "atm_withdrawal", "personal_spend"]
)
def test_a_card_expense_has_a_presented_card_transaction(
    table: MappingTable, v3_type: str, map_item: MapItem
) -> None:
    """A card expense has a cardTransaction, state PRESENTMENT, merchant from the vendor (A.7)."""
    data = dict(raw_item("full"), type=v3_type)
    card = map_item(table, ExportItemV3.model_validate(data), None).cardTransaction
    assert card is not None
    assert (card.state, card.merchant.name) == (CardTransactionState.PRESENTMENT, "Target Ltd")


def test_a_negative_card_amount_is_a_refund(table: MappingTable, map_item: MapItem) -> None:
    """A card expense with a negative amount has state REFUND (A.7, declared in the data)."""
    data = raw_item("full")
    data["amount"]["inWalletCurrency"]["value"] = -89696
    card = map_item(table, ExportItemV3.model_validate(data), None).cardTransaction
    assert card is not None
    assert card.state is CardTransactionState.REFUND


@pytest.mark.parametrize(
    ("v3_type", "state"),
    [("chargeback", CardTransactionState.CHARGE_BACK), ("refund", CardTransactionState.REFUND)],
)
@pytest.mark.parametrize("value", [89696, -89696])
def test_a_chargeback_or_refund_item_has_its_exact_card_state_whatever_the_sign(
    table: MappingTable, v3_type: str, state: CardTransactionState, value: int, map_item: MapItem
) -> None:
    """A chargeback item is a CHARGE_BACK and a refund item a REFUND, the legacy document's
    exact states, whichever way its amount is signed."""
    data = dict(raw_item("full"), type=v3_type)
    data["amount"]["inWalletCurrency"]["value"] = value
    card = map_item(table, ExportItemV3.model_validate(data), None).cardTransaction
    assert card is not None
    assert card.state is state


def test_merchant_name_falls_back_to_the_supplier_then_to_empty(
    table: MappingTable, map_item: MapItem
) -> None:
    """Without a vendor the merchant is named after the supplier; without both, '' (A.7)."""
    data = dict(raw_item("full"), vendor=None)
    card = map_item(table, ExportItemV3.model_validate(data), None).cardTransaction
    assert card is not None
    assert (card.merchant.id, card.merchant.name) == (None, "Target")
    data["supplier"] = None
    card = map_item(table, ExportItemV3.model_validate(data), None).cardTransaction
    assert card is not None
    assert card.merchant.name == ""


@pytest.mark.parametrize(
    ("item_status", "legacy"),
    [
        ("pending", LegacyStatus.QUEUED),
        ("in_progress", LegacyStatus.EXPORTING),
        ("successful", LegacyStatus.EXPORTED),
        ("failed", LegacyStatus.NOT_EXPORTED),
        ("abandoned", LegacyStatus.NOT_EXPORTED),
        (None, LegacyStatus.QUEUED),
    ],
)
def test_item_status_to_legacy_status(
    table: MappingTable, item_status: str | None, legacy: LegacyStatus, map_item: MapItem
) -> None:
    """Item statuses map as A.3 says; a null status reads as pending."""
    assert legacy_status(table, item_status) is legacy
    assert map_item(table, item("minimal"), item_status).status is legacy


def test_unknown_item_status_is_a_mapping_error(table: MappingTable, map_item: MapItem) -> None:
    """An item status outside ExportJobItemStatus raises MappingError, nothing else."""
    with pytest.raises(MappingError, match="reticulating"):
        map_item(table, item("minimal"), "reticulating")
    with pytest.raises(MappingError):
        plan_item_update(
            table, "reticulating", LegacyStatus.EXPORTED, accounting_entry_id="x", now=NOW
        )


def _plan(
    table: MappingTable, current: str | None, requested: LegacyStatus
) -> UpdateExportJobItemV3 | None:
    return plan_item_update(table, current, requested, accounting_entry_id="e-1", now=NOW)


def test_exporting_moves_a_pending_item_in_progress(table: MappingTable) -> None:
    """EXPORTING on a pending item sends in_progress and nothing else (A.3)."""
    update = _plan(table, "pending", LegacyStatus.EXPORTING)
    assert update == UpdateExportJobItemV3(
        accounting_entry_id="e-1", status=ExportJobItemStatus.IN_PROGRESS
    )


def test_exported_sends_successful_with_exported_at_now(table: MappingTable) -> None:
    """EXPORTED sends successful with exportedAt = now (A.3)."""
    update = _plan(table, "in_progress", LegacyStatus.EXPORTED)
    assert update is not None
    assert (update.status, update.exported_at) == (ExportJobItemStatus.SUCCESSFUL, NOW)


def test_not_exported_sends_failed_with_the_table_reason(table: MappingTable) -> None:
    """NOT_EXPORTED sends failed, unexpected_failure and the legacy-integration reason (A.3)."""
    update = _plan(table, "in_progress", LegacyStatus.NOT_EXPORTED)
    assert update is not None
    assert update.status is ExportJobItemStatus.FAILED
    assert update.failure_reason_type is ExportJobItemFailureReasonType.UNEXPECTED_FAILURE
    assert update.failure_reason == "Marked NOT_EXPORTED by the legacy integration"


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("pending", LegacyStatus.QUEUED),
        (None, LegacyStatus.QUEUED),
        ("in_progress", LegacyStatus.EXPORTING),
        ("successful", LegacyStatus.EXPORTED),
        ("failed", LegacyStatus.NOT_EXPORTED),
        ("abandoned", LegacyStatus.NOT_EXPORTED),
    ],
)
def test_repeating_the_current_status_is_a_no_op(
    table: MappingTable, current: str | None, requested: LegacyStatus
) -> None:
    """Asking for the status the expense already has sends nothing (A.3)."""
    assert _plan(table, current, requested) is None


@pytest.mark.parametrize(
    ("current", "requested"),
    [
        ("in_progress", LegacyStatus.QUEUED),
        ("successful", LegacyStatus.QUEUED),
        ("successful", LegacyStatus.EXPORTING),
        ("successful", LegacyStatus.NOT_EXPORTED),
        ("failed", LegacyStatus.EXPORTED),
        ("failed", LegacyStatus.EXPORTING),
        ("abandoned", LegacyStatus.EXPORTED),
    ],
)
def test_forbidden_changes_are_conflicts(
    table: MappingTable, current: str, requested: LegacyStatus
) -> None:
    """Back to QUEUED, backwards, or any change to a terminal item is refused (A.3)."""
    with pytest.raises(StatusChangeRefused, match=requested.value):
        _plan(table, current, requested)


def test_extension_fields_are_passed_through(table: MappingTable) -> None:
    """externalId/externalUrl/failureReason/failureReasonType from the PUT reach v3 (A.3)."""
    extras = ItemUpdateExtras.model_validate(
        {
            "externalId": "ext-1234",
            "externalUrl": "https://erp.example/1234",
            "failureReason": "Vendor not found in ERP",
            "failureReasonType": "vendor_unknown",
        }
    )
    done = plan_item_update(
        table,
        "in_progress",
        LegacyStatus.EXPORTED,
        accounting_entry_id="e-1",
        now=NOW,
        extras=extras,
    )
    assert done is not None
    assert (done.external_id, done.external_url) == ("ext-1234", "https://erp.example/1234")
    failed = plan_item_update(
        table,
        "pending",
        LegacyStatus.NOT_EXPORTED,
        accounting_entry_id="e-1",
        now=NOW,
        extras=extras,
    )
    assert failed is not None
    assert failed.failure_reason == "Vendor not found in ERP"
    assert failed.failure_reason_type is ExportJobItemFailureReasonType.VENDOR_UNKNOWN


def _with_wallet_value(value: Decimal) -> ExportItemV3:
    """The 'minimal' item with a wallet amount Pleo's schema cannot carry (set unvalidated)."""
    export_item = item("minimal")
    wallet = export_item.amount.in_wallet_currency.model_copy(update={"value": value})
    amount = export_item.amount.model_copy(update={"in_wallet_currency": wallet})
    return export_item.model_copy(update={"amount": amount})


def test_a_non_finite_amount_is_a_mapping_error_naming_the_item(
    table: MappingTable, map_item: MapItem
) -> None:
    """An amount that is not a finite number is refused for that item, on either path."""
    export_item = _with_wallet_value(Decimal("NaN"))

    with pytest.raises(MappingError) as caught:
        map_item(table, export_item, "pending")

    assert caught.value.accounting_entry_id == export_item.accounting_entry_id


def test_with_minor_units_a_non_finite_amount_is_still_refused(
    table_copy: Callable[[str, str, str], Path], map_item: MapItem
) -> None:
    """With legacy_units 'minor' the amount is passed through; NaN still never reaches JSON."""
    minor = load_mapping_table(
        table_copy("currencies.toml", r'^legacy_units = "major"', 'legacy_units = "minor"')
    )
    export_item = _with_wallet_value(Decimal("Infinity"))

    with pytest.raises(MappingError) as caught:
        map_item(minor, export_item, "pending")
    with pytest.raises(MappingError):
        to_expense_data(minor, export_item, "pending")

    assert caught.value.accounting_entry_id == export_item.accounting_entry_id

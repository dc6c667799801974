"""Hypothesis properties of the mapping over generated, schema-valid Export Items."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.errors import MappingError, StatusChangeRefused
from adapter.export.models import ExportItemFile, ExportItemV3, ExportJobItemStatus
from adapter.jsonio import dumps, loads
from adapter.legacy.models import Expense, LegacyStatus
from adapter.mapping import (
    MappingTable,
    legacy_status,
    load_mapping_table,
    plan_item_update,
    receipt_data,
    receipt_of,
    to_expense,
    to_expense_data,
    to_expense_json,
)
from adapter.mapping.transforms import receipt_id, url_path
from tests.support.export_item_strategies import export_items, text

TABLE = load_mapping_table()
NOW = datetime(2026, 4, 22, 10, 8, 56, tzinfo=UTC)
ITEM_STATUSES: list[str | None] = [s.value for s in ExportJobItemStatus] + [None]

PROPERTY_SETTINGS = settings(
    max_examples=75,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)


def _map(table: MappingTable, item: ExportItemV3, status: str | None) -> Expense | None:
    try:
        return to_expense(table, item, status)
    except MappingError:
        return None


@PROPERTY_SETTINGS
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES) | text)
def test_totality_a_valid_expense_or_a_mapping_error(item: ExportItemV3, status: str) -> None:
    """Any valid Export Item gives an Expense that re-validates, or MappingError, never else."""
    expense = _map(TABLE, item, status)
    if expense is not None:
        assert Expense.model_validate(expense.model_dump()) == expense
        assert Expense.model_validate_json(dumps(expense.model_dump())) == expense


@PROPERTY_SETTINGS
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES))
def test_money_is_exact_and_survives_json(item: ExportItemV3, status: str | None) -> None:
    """Legacy value * 10**exponent == the v3 minor value exactly, and JSON keeps the digits."""
    expense = to_expense(TABLE, item, status)
    wallet = item.amount.in_wallet_currency
    assert expense.amountSettled is not None
    exponent = TABLE.currencies.exponent(wallet.currency)
    assert isinstance(expense.amountSettled.value, Decimal)
    assert expense.amountSettled.value.scaleb(exponent) == wallet.value
    assert expense.amountSettled.currency == wallet.currency
    for legacy_line, v3_line in zip(expense.lines, item.accounting_entry_lines, strict=True):
        assert legacy_line.amountSettled is not None
        scaled = legacy_line.amountSettled.value.scaleb(
            TABLE.currencies.exponent(v3_line.line_amount.in_wallet_currency.currency)
        )
        assert scaled == v3_line.line_amount.in_wallet_currency.value
    exact = format(expense.amountSettled.value, "f").encode()
    assert b'"amountSettled":{"value":' + exact + b"," in dumps(expense.model_dump())
    decoded = loads(dumps(expense.model_dump()))["amountSettled"]["value"]
    assert isinstance(decoded, int | float)


@PROPERTY_SETTINGS
@given(item=export_items())
def test_id_round_trip_and_idempotence(item: ExportItemV3) -> None:
    """Expense.id is the accountingEntryId, and mapping the same input twice is equal."""
    first = to_expense(TABLE, item, "pending")
    assert first.id == item.accounting_entry_id
    assert to_expense(TABLE, item, "pending") == first
    assert dumps(to_expense(TABLE, item, "pending").model_dump()) == dumps(first.model_dump())


@pytest.mark.parametrize("current", ITEM_STATUSES)
@pytest.mark.parametrize("requested", list(LegacyStatus))
def test_status_round_trip_and_second_put_is_a_no_op(
    current: str | None, requested: LegacyStatus
) -> None:
    """A planned update reads back as the requested legacy status; repeating it is a no-op."""
    try:
        update = plan_item_update(TABLE, current, requested, accounting_entry_id="e-1", now=NOW)
    except StatusChangeRefused:
        assert legacy_status(TABLE, current) != requested
        return
    if update is None:
        assert legacy_status(TABLE, current) == requested
        return
    assert legacy_status(TABLE, update.status) == requested
    again = plan_item_update(TABLE, update.status, requested, accounting_entry_id="e-1", now=NOW)
    assert again is None


@PROPERTY_SETTINGS
@given(
    current=st.sampled_from(ITEM_STATUSES),
    requests=st.lists(st.sampled_from(list(LegacyStatus)), max_size=6),
)
def test_any_sequence_of_puts_never_leaves_a_terminal_status(
    current: str | None, requests: list[LegacyStatus]
) -> None:
    """Applying legacy PUTs in any order never changes an item once it is terminal (A.3)."""
    status = current
    for requested in requests:
        before = status
        try:
            update = plan_item_update(TABLE, status, requested, accounting_entry_id="e-1", now=NOW)
        except StatusChangeRefused:
            continue
        if update is not None:
            assert before is None or not ExportJobItemStatus(before).is_terminal
            status = update.status.value


CARD_TYPES = frozenset(
    ["card_purchase", "card_invoice", "chargeback", "refund", "atm_withdrawal", "personal_spend"]
)


@PROPERTY_SETTINGS
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES))
def test_every_expense_has_the_legacy_documents_shape(item: ExportItemV3, status: str) -> None:
    """amountOriginal is the supplier amount; cardTransaction is there exactly for card types,
    then with a state (by the item's type for a chargeback or refund, else by the amount's
    sign) and a merchant name; the type is one of the document's 12."""
    expense = to_expense(TABLE, item, status)
    supplier = item.amount.in_supplier_currency
    exponent = TABLE.currencies.exponent(supplier.currency)
    assert expense.amountOriginal.value.scaleb(exponent) == supplier.value
    assert (expense.cardTransaction is not None) == (item.type in CARD_TYPES)
    if expense.cardTransaction is not None:
        negative = item.amount.in_wallet_currency.value < 0
        by_type = {"chargeback": "CHARGE_BACK", "refund": "REFUND"}.get(item.type)
        expected = by_type or ("REFUND" if negative else "PRESENTMENT")
        assert expense.cardTransaction.state == expected
        assert isinstance(expense.cardTransaction.merchant.name, str)


@PROPERTY_SETTINGS
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES) | text)
def test_fast_path_writes_the_validated_paths_bytes(item: ExportItemV3, status: str) -> None:
    """to_expense_json gives the bytes of the validated Expense, and MappingError where it does."""
    try:
        validated = to_expense(TABLE, item, status)
    except MappingError:
        with pytest.raises(MappingError):
            to_expense_json(TABLE, item, status)
        return
    produced = to_expense_json(TABLE, item, status)
    assert produced == dumps(validated.model_dump())
    assert Expense.model_validate_json(produced) == validated


@PROPERTY_SETTINGS
@given(item=export_items(), status=st.sampled_from(ITEM_STATUSES))
def test_fast_path_data_equals_the_validated_expense_dumped(
    item: ExportItemV3, status: str | None
) -> None:
    """to_expense_data is model_dump() of the validated Expense: keys, order, types and values."""
    expected = to_expense(TABLE, item, status).model_dump()
    produced = to_expense_data(TABLE, item, status)
    assert produced == expected
    assert list(produced) == list(expected)
    assert Expense.model_validate(produced).model_dump() == expected


@PROPERTY_SETTINGS
@given(item=export_items())
def test_receipt_data_is_the_validated_receipt_dumped(item: ExportItemV3) -> None:
    """receipt_data equals receipt_of(...).model_dump(), and its id is the one receiptIds lists."""
    files = item.files or []
    expense = to_expense_data(TABLE, item, "pending")
    assert [receipt_data(f) for f in files] == [receipt_of(f).model_dump() for f in files]
    assert [receipt_data(f)["id"] for f in files] == expense["receiptIds"]


@PROPERTY_SETTINGS
@given(path=st.text(max_size=40))
def test_receipt_uuid_is_uuid5_of_the_url_path(path: str) -> None:
    """A file without an id gets str(uuid5(NAMESPACE_URL, path)) however the path is spelled."""
    file = ExportItemFile(url=f"https://files.example/{path}?sig=s", type="pdf", size=1)
    try:
        expected = str(uuid.uuid5(uuid.NAMESPACE_URL, urlsplit(file.url).path))
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            receipt_id(file)
        return
    assert receipt_id(file) == expected


URL_LIKE = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda scheme, rest: f"{scheme}://{rest}",
        st.sampled_from(["http", "https", "HTTPS", "ftp"]),
        st.text(alphabet=st.characters(codec="ascii"), max_size=30) | st.text(max_size=30),
    ),
)


@settings(max_examples=500, deadline=None)
@given(url=URL_LIKE)
def test_url_path_is_urlsplits_path(url: str) -> None:
    """The receipt id's URL path reader agrees with urlsplit on any text, URL or not."""
    try:
        expected = urlsplit(url).path
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            url_path(url)
        return
    assert url_path(url) == expected

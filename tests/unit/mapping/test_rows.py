"""Every row of the shipped field table, with its source present and absent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from adapter.export.models import ExportItemV3
from adapter.mapping import MappingTable, load_mapping_table, to_expense
from tests.support.mapping_items import item, pluck, raw_item

REQUIRED = object()  # the source cannot be absent: ExportItemV3 rejects an item without it

FULL_ID = "59540ed2-0d68-4e36-9e31-58223975d9e9"
DATE = "2025-12-10T15:46:34Z"
SIGNED_FILE_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "/r/b.jpg"))


@dataclass(frozen=True)
class Case:
    """Expected value at a legacy path for full.json (present) and minimal.json (absent)."""

    present: Any
    absent: Any
    # wire key removed from full.json to show a REQUIRED source cannot be absent
    required_key: str | None = None


CASES: dict[str, Case] = {
    "id": Case(FULL_ID, REQUIRED, "accountingEntryId"),
    "performedAt": Case(DATE, REQUIRED, "date"),
    "amountOriginal": Case({"value": "100.00", "currency": "USD"}, REQUIRED, "amount"),
    "type": Case("CARD", REQUIRED, "type"),
    "lines[].amountSettled": Case(
        [{"value": "538.18", "currency": "SEK"}, {"value": "358.78", "currency": "SEK"}],
        REQUIRED,
        "accountingEntryLines",
    ),
    "lines[].accountId": Case(["acc-meals", "acc-office"], [None]),
    "lines[].taxCodeId": Case(["tax-25", "tax-25"], [None]),
    "lines[].tagIds[].id": Case(["tag-dept-ops", "tag-proj-x", "tag-proj-x", "tag-proj-y"], []),
    "lines[].tagIds[].tagGroupId": Case(["DEPT", "PROJECT", "PROJECT", "PROJECT"], []),
    "status": Case("QUEUED", "QUEUED"),
    "createdAt": Case(DATE, REQUIRED, "date"),
    "updatedAt": Case(DATE, REQUIRED, "date"),
    "employeeId": Case("6b71f6bd-e83d-4d49-88ee-2b8cda2d57cf", None),
    "employeeCode": Case("E-17", None),
    "departmentId": Case("team-ops", None),
    "amountSettled": Case({"value": "896.96", "currency": "SEK"}, REQUIRED, "amount"),
    "note": Case("Printer ink", None),
    # minimal.json is out_of_pocket: no cardTransaction, so every leaf under it reads null.
    "cardTransaction.state": Case("PRESENTMENT", None),
    "cardTransaction.merchant.id": Case("vendor-target", None),
    "cardTransaction.merchant.name": Case("Target Ltd", None),
    "cardTransaction.authorizedAt": Case(None, None),
    "cardTransaction.settledAt": Case(DATE, REQUIRED, "date"),
    "cardTransaction.reversedAt": Case(None, None),
    "accountId": Case(None, None),  # full.json lines differ: null (A.2)
    "taxCodeId": Case("tax-25", None),  # full.json lines agree: that value (A.2)
    "tagIds[].id": Case(["tag-dept-ops", "tag-proj-x", "tag-proj-y"], []),
    "tagIds[].tagGroupId": Case(["DEPT", "PROJECT", "PROJECT"], []),
    "receiptIds[]": Case(["file-1", SIGNED_FILE_ID], []),
    "settledExpenseIds[]": Case(["BOOK-0", "BOOK-00"], []),
    "supplier.CIF": Case("GB999", None),
    "supplier.documentNumber": Case(None, None),
    "deletedAt": Case(None, None),
}

SHIPPED_ROWS = [row.legacy for row in load_mapping_table().fields]


def _dump(table: MappingTable, name: str) -> Any:
    expense = to_expense(table, item(name), "pending")
    return expense.model_dump(mode="json")


def _case(legacy: str) -> Case:
    if legacy not in CASES:
        pytest.fail(f"row {legacy!r} of the shipped table has no test case in CASES")
    return CASES[legacy]


@pytest.mark.parametrize("legacy", SHIPPED_ROWS)
def test_row_with_source_present(table: MappingTable, legacy: str) -> None:
    """Each row maps its source in full.json to the documented legacy value."""
    assert pluck(_dump(table, "full"), legacy) == _case(legacy).present


@pytest.mark.parametrize("legacy", SHIPPED_ROWS)
def test_row_with_source_absent(table: MappingTable, legacy: str) -> None:
    """Each row gives null/[] when its source is null, or its source cannot be absent at all."""
    case = _case(legacy)
    if case.absent is REQUIRED:
        data = raw_item("full")
        assert case.required_key is not None
        del data[case.required_key]
        with pytest.raises(ValidationError):
            ExportItemV3.model_validate(data)
    else:
        assert pluck(_dump(table, "minimal"), legacy) == case.absent


def test_every_shipped_row_has_a_case_and_no_case_is_stale() -> None:
    """The row tests above exercise exactly the rows of the shipped table."""
    assert sorted(CASES) == sorted(SHIPPED_ROWS)

"""The legacy ``Expense`` (pleo-api.md §4.3) rendered from the sandbox's own accounting entries.

This is written independently of ``adapter.mapping`` on purpose: it is the counterpart a
comparison checks the proxy against. It follows Part A.1/A.2 of pleo-api.md:

- money in MAJOR units as a JSON number with the currency's exponent (89696 SEK -> 896.96,
  JPY exponent 0, BHD exponent 3); ``amountSettled`` from ``amount.inWalletCurrency``,
  ``lines[].amountSettled`` from ``lineAmount.inWalletCurrency``;
- fields the table marks unavailable (``amountOriginal``, ``deletedAt``, ``cardTransaction.state``
  / ``authorizedAt`` / ``reversedAt``, ``supplier.documentNumber``) are ``null`` with the key kept;
- ``performedAt``, ``createdAt``, ``updatedAt`` and ``cardTransaction.settledAt`` are ``date``;
- top-level ``accountId``/``taxCodeId``: the lines' common value, else ``null`` (a line without
  an account counts as a different value); ``tagIds``: the union over lines, first-seen order,
  without duplicates, each ``{id, tagGroupId}`` with ``tagGroupId`` = the tag's ``groupCode``;
- ``receiptIds``: one UUIDv5 (``NAMESPACE_URL``) of each file URL's path, query dropped;
- ``settledExpenseIds``: ``additionalInformation.reconciledEntries`` (``null`` when absent);
- ``supplier``: ``{"CIF": supplier.taxIdentifier, "documentNumber": null}``, ``null`` without a
  supplier; ``cardTransaction.merchant``: the entry's vendor ``{id, name}`` or ``null``;
- ``type``: the sandbox's own table below (unknown types -> ``MANUAL``);
- ``status``: see :meth:`adapter.sandbox.state.SandboxState.legacy_status`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from adapter.sandbox.models import Entry
from adapter.sandbox.reference import CURRENCY_EXPONENTS

__all__ = ["LEGACY_TYPES", "LEGACY_TYPE_OF", "major_amount", "render_expense"]

LEGACY_TYPES = (
    "CARD",
    "PERSONAL_TRANSFER",
    "BILL_INVOICE",
    "LOAD",
    "MANUAL",
    "MANUAL_TRANSFER",
    "PLEO_INVOICE",
)
LEGACY_TYPE_OF: dict[str, str] = {
    "card_purchase": "CARD",
    "card_invoice": "CARD",
    "chargeback": "CARD",
    "refund": "CARD",
    "atm_withdrawal": "CARD",
    "personal_spend": "CARD",
    "out_of_pocket": "MANUAL",
    "mileage": "MANUAL",
    "per_diem": "MANUAL",
    "external_reimbursement": "MANUAL_TRANSFER",
    "direct_reimbursement": "PERSONAL_TRANSFER",
    "invoice": "BILL_INVOICE",
    "invoice_payment": "BILL_INVOICE",
    "wallet_topup": "LOAD",
    "wallet_unload": "LOAD",
    "cashback": "PLEO_INVOICE",
    "fee": "PLEO_INVOICE",
}


def major_amount(money: dict[str, Any]) -> dict[str, Any]:
    """``{"value": <major units>, "currency"}`` from a v3 ``MoneyModel`` in minor units."""
    currency = str(money["currency"])
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    value = Decimal(int(money["value"])).scaleb(-exponent)
    number: int | float = int(value) if exponent == 0 else float(value)
    return {"value": number, "currency": currency}


def _receipt_id(url: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urlsplit(url).path))


def _common(values: list[str | None]) -> str | None:
    distinct = set(values)
    if len(distinct) == 1:
        return values[0]
    return None


def render_expense(entry: Entry, status: str) -> dict[str, Any]:
    """The legacy ``Expense`` JSON for one entry."""
    item = entry.item
    lines_in = item["accountingEntryLines"]
    lines = []
    all_tags: dict[str, dict[str, str]] = {}
    account_ids: list[str | None] = []
    tax_ids: list[str | None] = []
    for line in lines_in:
        account = line.get("account")
        tax = line.get("tax")
        account_id = account["id"] if account else None
        tax_id = tax["id"] if tax else None
        account_ids.append(account_id)
        tax_ids.append(tax_id)
        tag_ids = [
            {"id": tag["id"], "tagGroupId": tag["groupCode"]} for tag in line.get("tags") or []
        ]
        for tag in tag_ids:
            all_tags.setdefault(tag["id"], tag)
        lines.append(
            {
                "amountSettled": major_amount(line["lineAmount"]["inWalletCurrency"]),
                "accountId": account_id,
                "taxCodeId": tax_id,
                "tagIds": tag_ids,
            }
        )
    user = item.get("user")
    team = item.get("team")
    supplier = item.get("supplier")
    vendor = entry.vendor
    files = item.get("files") or []
    return {
        "id": entry.id,
        "performedAt": item["date"],
        "amountOriginal": None,
        "type": LEGACY_TYPE_OF.get(item["type"], "MANUAL"),
        "lines": lines,
        "status": status,
        "createdAt": item["date"],
        "updatedAt": item["date"],
        "employeeId": user["id"] if user else None,
        "employeeCode": user.get("code") if user else None,
        "departmentId": team["id"] if team else None,
        "amountSettled": major_amount(item["amount"]["inWalletCurrency"]),
        "note": item.get("note"),
        "cardTransaction": {
            "state": None,
            "merchant": {"id": vendor["id"], "name": vendor["name"]} if vendor else None,
            "authorizedAt": None,
            "settledAt": item["date"],
            "reversedAt": None,
        },
        "accountId": _common(account_ids),
        "taxCodeId": _common(tax_ids),
        "tagIds": list(all_tags.values()),
        "receiptIds": [_receipt_id(file["url"]) for file in files],
        "settledExpenseIds": item["additionalInformation"].get("reconciledEntries"),
        "supplier": (
            {"CIF": supplier.get("taxIdentifier"), "documentNumber": None} if supplier else None
        ),
        "deletedAt": None,
    }

"""The legacy ``Expense`` the sandbox's legacy API answers, rendered from its accounting entries.

This is written independently of ``adapter.mapping`` on purpose: it plays the real legacy API
that a comparison checks the proxy's translation against. Fields an export item also carries
get the value Pleo's mapping table derives (pleo-api.md A.1, A.2, A.7, ``mappings/expense.toml``);
fields the table marks unavailable get what the real API would hold
(:mod:`adapter.sandbox.legacy_facts`):

- money in MAJOR units as a JSON number with the currency's exponent (89696 SEK -> 896.96,
  JPY exponent 0, BHD exponent 3); ``amountSettled`` from ``amount.inWalletCurrency``,
  ``lines[].amountSettled`` from ``lineAmount.inWalletCurrency``, ``amountOriginal`` (required,
  never null, A.7) from ``amount.inSupplierCurrency``;
- ``performedAt`` and ``createdAt`` are ``date``; so is ``updatedAt``, except on the noisy
  entries (see ``legacy_facts``);
- top-level ``accountId``/``taxCodeId``: the lines' common value, else ``null`` (a line without
  an account counts as a different value); ``tagIds``: the union over lines, first-seen order,
  without duplicates, each ``{id, tagGroupId}`` with ``tagGroupId`` = the tag's ``groupCode``;
- ``receiptIds``: one UUIDv5 (``NAMESPACE_URL``) of each file URL's path, query dropped;
- ``settledExpenseIds``: ``additionalInformation.reconciledEntries``, ``[]`` when absent;
- ``supplier``: always an object, ``{"CIF": supplier.taxIdentifier, "documentNumber"}``;
- ``type``: :data:`LEGACY_TYPE_OF` (the exact legacy value where one exists, A.7; ``MANUAL``
  for unknown types); ``cardTransaction`` is ``null`` unless the type is ``CARD``, then
  ``{state, merchant: {id: vendor.id, name: vendor, else supplier, else ""},
  authorizedAt, settledAt: date, reversedAt: null}``;
- ``status``: see :meth:`adapter.sandbox.state.SandboxState.legacy_status`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from adapter.sandbox.clock import format_timestamp, parse_timestamp
from adapter.sandbox.legacy_facts import LegacyFacts
from adapter.sandbox.models import Entry
from adapter.sandbox.reference import CURRENCY_EXPONENTS

__all__ = [
    "LEGACY_TYPES",
    "LEGACY_TYPE_OF",
    "LEGACY_TYPE_OF_SUBTYPE",
    "legacy_type",
    "major_amount",
    "receipt_id",
    "render_expense",
]

LEGACY_TYPES = (
    "CARD",
    "PERSONAL_TRANSFER",
    "BILL_INVOICE",
    "BILL_INVOICE_PAYMENT",
    "LOAD",
    "MANUAL",
    "MANUAL_TRANSFER",
    "PLEO_INVOICE",
    "EMPLOYEE_BANK_TRANSFER",
    "CASHBACK",
    "OVERDRAFT_FEE",
    "OVERDRAFT_INTEREST",
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
    "invoice_payment": "BILL_INVOICE_PAYMENT",
    "wallet_topup": "LOAD",
    "wallet_unload": "LOAD",
    "cashback": "CASHBACK",
    "fee": "PLEO_INVOICE",
    "overdraft": "OVERDRAFT_FEE",
}
# A (type, subType) with its own legacy value: interest charged as a fee (A.7).
LEGACY_TYPE_OF_SUBTYPE: dict[tuple[str, str], str] = {("fee", "interest"): "OVERDRAFT_INTEREST"}
_DEFAULT_TYPE = "MANUAL"


def legacy_type(v3_type: str, sub_type: str | None = None) -> str:
    """The legacy ``type`` of a v3 item type (and subType)."""
    if sub_type is not None and (v3_type, sub_type) in LEGACY_TYPE_OF_SUBTYPE:
        return LEGACY_TYPE_OF_SUBTYPE[(v3_type, sub_type)]
    return LEGACY_TYPE_OF.get(v3_type, _DEFAULT_TYPE)


def major_amount(money: dict[str, Any]) -> dict[str, Any]:
    """``{"value": <major units>, "currency"}`` from a v3 ``MoneyModel`` in minor units."""
    currency = str(money["currency"])
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    value = Decimal(int(money["value"])).scaleb(-exponent)
    number: int | float = int(value) if exponent == 0 else float(value)
    return {"value": number, "currency": currency}


def receipt_id(url: str) -> str:
    """The legacy receipt id of a file: UUIDv5 of its URL path (A.2), never the signed URL."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urlsplit(url).path))


def _common(values: list[str | None]) -> str | None:
    distinct = set(values)
    if len(distinct) == 1:
        return values[0]
    return None


def _lines(entry: Entry) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = []
    all_tags: dict[str, dict[str, str]] = {}
    account_ids: list[str | None] = []
    tax_ids: list[str | None] = []
    for line in entry.item["accountingEntryLines"]:
        account = line.get("account")
        tax = line.get("tax")
        account_ids.append(account["id"] if account else None)
        tax_ids.append(tax["id"] if tax else None)
        tag_ids = [
            {"id": tag["id"], "tagGroupId": tag["groupCode"]} for tag in line.get("tags") or []
        ]
        for tag in tag_ids:
            all_tags.setdefault(tag["id"], tag)
        lines.append(
            {
                "amountSettled": major_amount(line["lineAmount"]["inWalletCurrency"]),
                "accountId": account_ids[-1],
                "taxCodeId": tax_ids[-1],
                "tagIds": tag_ids,
            }
        )
    top = {
        "accountId": _common(account_ids),
        "taxCodeId": _common(tax_ids),
        "tagIds": list(all_tags.values()),
    }
    return lines, top


def _card_transaction(entry: Entry, facts: LegacyFacts, vendor_exposed: bool) -> dict[str, Any]:
    # The merchant is the vendor where the Export API shows it, else the supplier (A.1, A.7):
    # the fields the translation does derive agree; only the unavailable ones differ.
    vendor = entry.vendor if vendor_exposed else None
    supplier = entry.item.get("supplier")
    name = (vendor or {}).get("name") or (supplier or {}).get("name") or ""
    return {
        "state": facts.card_state,
        "merchant": {"id": vendor["id"] if vendor else None, "name": name},
        "authorizedAt": facts.authorized_at,
        "settledAt": entry.item["date"],
        "reversedAt": None,
    }


def render_expense(
    entry: Entry, status: str, facts: LegacyFacts, read: int, vendor_exposed: bool = True
) -> dict[str, Any]:
    """The legacy ``Expense`` JSON for one entry, as legacy read number ``read`` sees it."""
    item = entry.item
    lines, top = _lines(entry)
    user = item.get("user")
    team = item.get("team")
    supplier = item.get("supplier")
    files = item.get("files") or []
    expense_type = legacy_type(item["type"], item.get("subType"))
    updated_at = item["date"]
    if facts.noisy:
        updated_at = format_timestamp(parse_timestamp(item["date"]) + timedelta(seconds=read))
    return {
        "id": entry.id,
        "performedAt": item["date"],
        "amountOriginal": major_amount(item["amount"]["inSupplierCurrency"]),
        "type": expense_type,
        "lines": lines,
        "status": status,
        "createdAt": item["date"],
        "updatedAt": updated_at,
        "employeeId": user["id"] if user else None,
        "employeeCode": user.get("code") if user else None,
        "departmentId": team["id"] if team else None,
        "amountSettled": major_amount(item["amount"]["inWalletCurrency"]),
        "note": item.get("note"),
        "cardTransaction": _card_transaction(entry, facts, vendor_exposed)
        if expense_type == "CARD"
        else None,
        **top,
        "receiptIds": [receipt_id(file["url"]) for file in files],
        "settledExpenseIds": item["additionalInformation"].get("reconciledEntries") or [],
        "supplier": {
            "CIF": (supplier or {}).get("taxIdentifier"),
            "documentNumber": facts.document_number,
        },
        "deletedAt": facts.deleted_at,
    }

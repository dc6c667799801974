"""Seeded, realistic accounting entries (the v3 export item data) for the seeded companies.

Everything comes from one ``random.Random(seed)``, so a seed always gives the same ids, amounts
and texts (timestamps are relative to the sandbox clock's start). The generator makes sure the
first entries of the first company cover every ``ExportItemTypeV3`` value and every currency
(including the 0-exponent JPY and the 3-exponent BHD, in both the supplier and the wallet
amount), so a default dataset exercises all of them. Optional blocks are sometimes missing in
every way the schema allows: ``user``/``team`` null, no ``supplier``, ``files`` absent, null or
empty, and ``account``/``tax``/``tags`` null on some lines.

Money is in minor units, as the v3 ``MoneyModel`` says ("896.96 SEK is represented as 89696").
The reference data (names, currencies, merchants, ...) is in :mod:`adapter.sandbox.reference`;
the companies the entries belong to come from :mod:`adapter.sandbox.companies`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapter.sandbox.clock import format_timestamp
from adapter.sandbox.ids import random_uuid
from adapter.sandbox.models import Company, Entry, JsonObject
from adapter.sandbox.reference import (
    CONTRA_TYPES,
    CURRENCY_EXPONENTS,
    FILE_TYPES,
    FIRST_NAMES,
    FORCED_CURRENCIES,
    INVOICE_STATUSES,
    INVOICE_TYPES,
    ITEM_TYPES,
    LAST_NAMES,
    NO_TAX_TYPES,
    NO_USER_TYPES,
    NOTES,
    PER_EUR,
    REIMBURSEMENT_TYPES,
    SINGLE_LINE_TYPES,
    SUPPLIER_TYPES,
    TYPE_WEIGHTS,
    VENDOR_TYPES,
)

__all__ = ["EntryFactory"]


@dataclass(slots=True)
class _Amount:
    supplier_currency: str
    supplier_minor: int
    wallet_currency: str
    wallet_minor: int


class EntryFactory:
    """Makes accounting entries for companies, deterministically from one PRNG.

    ``web_base``/``api_base`` only shape the ``_links`` and file URLs; nothing is served there.
    """

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self._rng = rng
        self._now = now
        self._seq = 0
        self._reconciliation_ids: dict[str, list[str]] = {}

    def make(self, company: Company, count: int) -> list[Entry]:
        """``count`` new entries for ``company``, each with a fresh id."""
        return [self._make_one(company) for _ in range(count)]

    def _make_one(self, company: Company) -> Entry:
        rng = self._rng
        seq = self._seq
        self._seq += 1
        item_type = ITEM_TYPES[seq] if seq < len(ITEM_TYPES) else self._pick_type()
        entry_id = random_uuid(rng)
        amount = self._amount(company, item_type, seq)
        date = self._now - timedelta(seconds=rng.randint(3600, 60 * 86400))
        reconciliation_id = f"BK-{rng.randint(10**7, 10**8 - 1)}"
        self._reconciliation_ids.setdefault(company.id, []).append(reconciliation_id)

        item: JsonObject = {
            "_links": {
                "web": {"exportItem": f"https://app.sandbox.pleo.invalid/export/items/{entry_id}"},
                "mobile": {"exportItem": f"pleo://export/items/{entry_id}"},
                "api": {
                    "exportItem": f"https://external.sandbox.pleo.invalid/v3/export-items/{entry_id}"
                },
            },
            "accountingEntryId": entry_id,
            "companyId": company.id,
            "type": item_type,
            "date": format_timestamp(date),
            "note": rng.choice(NOTES) if rng.random() < 0.8 else None,
            "amount": {
                "inSupplierCurrency": _money(amount.supplier_currency, amount.supplier_minor),
                "inWalletCurrency": _money(amount.wallet_currency, amount.wallet_minor),
            },
            "accountingEntryLines": self._lines(company, item_type, amount),
            "additionalInformation": self._additional(company, item_type, reconciliation_id),
        }
        sub_type = self._sub_type(item_type)
        if sub_type is not None:
            item["subType"] = sub_type
        if item_type in NO_USER_TYPES:
            item["user"] = None
            item["team"] = None
        else:
            user = rng.choice(company.users) if rng.random() < 0.9 else None
            item["user"] = dict(user) if user is not None else None
            item["team"] = dict(rng.choice(company.teams)) if rng.random() < 0.75 else None
        if item_type in SUPPLIER_TYPES and rng.random() < 0.85:
            item["supplier"] = dict(rng.choice(company.suppliers))
        files = self._files(item_type)
        if files is not _ABSENT:
            item["files"] = files
        if item_type in CONTRA_TYPES:
            item["contraAccount"] = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{company.id}/{amount.wallet_currency}")),
                "name": f"Pleo {amount.wallet_currency} Account",
                "code": f"19{CURRENCY_EXPONENTS[amount.wallet_currency]}0",
                "identifier": None,
            }
        if item_type == "invoice" and rng.random() < 0.5:
            start = date - timedelta(days=30)
            item["servicePeriod"] = {"from": format_timestamp(start), "to": format_timestamp(date)}

        vendor = None
        if item_type in VENDOR_TYPES and rng.random() < 0.7:
            vendor = dict(rng.choice(company.vendors))
        method = "accounts_payable" if item_type in INVOICE_TYPES and vendor else "journal"
        if vendor is None and rng.random() < 0.3:
            method = "none"
        return Entry(
            id=entry_id,
            company_id=company.id,
            seq=seq,
            item=item,
            vendor=vendor,
            bookkeeping_method=method,
        )

    def _pick_type(self) -> str:
        return self._rng.choices(ITEM_TYPES, weights=TYPE_WEIGHTS, k=1)[0]

    def _amount(self, company: Company, item_type: str, seq: int) -> _Amount:
        rng = self._rng
        if seq < len(FORCED_CURRENCIES):
            forced = FORCED_CURRENCIES[seq]
            supplier_currency = forced
            wallet_currency = forced if forced in ("JPY", "BHD") else company.wallet_currencies[0]
        else:
            wallet_currency = (
                company.wallet_currencies[0]
                if rng.random() < 0.75
                else rng.choice(company.wallet_currencies)
            )
            supplier_currency = (
                wallet_currency if rng.random() < 0.7 else rng.choice(tuple(PER_EUR))
            )
        if item_type in ("wallet_topup", "wallet_unload"):
            supplier_currency = wallet_currency
            euros = rng.uniform(500, 20000)
        elif item_type in ("invoice", "invoice_payment", "card_invoice"):
            euros = rng.uniform(80, 6000)
        elif item_type in ("fee", "cashback"):
            euros = rng.uniform(0.5, 40)
        else:
            euros = rng.uniform(3, 800)
        supplier_minor = _to_minor(euros, supplier_currency)
        wallet_minor = _to_minor(euros * rng.uniform(0.99, 1.01), wallet_currency)
        if supplier_currency == wallet_currency:
            wallet_minor = supplier_minor
        return _Amount(supplier_currency, supplier_minor, wallet_currency, wallet_minor)

    def _lines(self, company: Company, item_type: str, amount: _Amount) -> list[JsonObject]:
        rng = self._rng
        count = (
            1 if item_type in SINGLE_LINE_TYPES else rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        )
        supplier_parts = _split(rng, amount.supplier_minor, count)
        wallet_parts = _split_like(amount.wallet_minor, supplier_parts, amount.supplier_minor)
        lines = []
        for supplier_minor, wallet_minor in zip(supplier_parts, wallet_parts, strict=True):
            tax = None
            net_supplier, net_wallet = supplier_minor, wallet_minor
            if item_type not in NO_TAX_TYPES and rng.random() < 0.8:
                tax_row = rng.choice(company.taxes)
                rate = float(tax_row["rate"])
                if tax_row["type"] == "reverse":
                    tax_supplier, tax_wallet = (
                        round(supplier_minor * rate),
                        round(wallet_minor * rate),
                    )
                else:
                    tax_supplier = round(supplier_minor * rate / (1 + rate))
                    tax_wallet = round(wallet_minor * rate / (1 + rate))
                    net_supplier, net_wallet = (
                        supplier_minor - tax_supplier,
                        wallet_minor - tax_wallet,
                    )
                tax = {
                    "id": tax_row["id"],
                    "code": tax_row["code"],
                    "rate": rate,
                    "type": tax_row["type"],
                    "amount": {
                        "inSupplierCurrency": _money(amount.supplier_currency, tax_supplier),
                        "inWalletCurrency": _money(amount.wallet_currency, tax_wallet),
                    },
                }
                if tax_row["type"] == "reverse":
                    tax["ingoingTaxAccount"] = "2645"
                    tax["outgoingTaxAccount"] = "2614"
            account = dict(rng.choice(company.accounts)) if rng.random() < 0.9 else None
            tags_roll = rng.random()
            tags: list[JsonObject] | None
            if tags_roll < 0.2:
                tags = None
            elif tags_roll < 0.35:
                tags = []
            else:
                picked = rng.sample(company.tags, k=rng.choice((1, 1, 2)))
                # one tag per group, as Pleo allows
                by_group = {tag["groupCode"]: tag for tag in picked}
                tags = [dict(tag) for tag in by_group.values()]
            lines.append(
                {
                    "accountingEntryLineId": random_uuid(rng),
                    "lineAmount": {
                        "inSupplierCurrency": _money(amount.supplier_currency, supplier_minor),
                        "inWalletCurrency": _money(amount.wallet_currency, wallet_minor),
                    },
                    "netAmount": {
                        "inSupplierCurrency": _money(amount.supplier_currency, net_supplier),
                        "inWalletCurrency": _money(amount.wallet_currency, net_wallet),
                    },
                    "account": account,
                    "tags": tags,
                    "tax": tax,
                }
            )
        return lines

    def _additional(self, company: Company, item_type: str, reconciliation_id: str) -> JsonObject:
        rng = self._rng
        info: JsonObject = {"reconciliationId": reconciliation_id}
        if item_type == "card_purchase" and rng.random() < 0.15:
            info["attendees"] = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"]
        if item_type in REIMBURSEMENT_TYPES and rng.random() < 0.75:
            earlier = self._reconciliation_ids.get(company.id, [])[:-1]
            if earlier:
                picked = rng.sample(earlier, k=min(len(earlier), rng.randint(1, 3)))
            else:
                picked = [f"BK-{rng.randint(10**7, 10**8 - 1)}"]
            info["reconciledEntries"] = sorted(set(picked))
        if item_type in INVOICE_TYPES:
            invoice_date = self._now - timedelta(days=rng.randint(5, 60))
            status = rng.choice(INVOICE_STATUSES)
            invoice: JsonObject = {
                "invoiceNumber": f"INV-{rng.randint(10000, 99999)}",
                "invoiceDate": format_timestamp(invoice_date.replace(hour=0, minute=0, second=0)),
                "status": status,
                "dueDate": format_timestamp(
                    (invoice_date + timedelta(days=30)).replace(hour=0, minute=0, second=0)
                ),
                "paymentDate": (
                    format_timestamp(
                        (invoice_date + timedelta(days=20)).replace(hour=0, minute=0, second=0)
                    )
                    if status == "paid"
                    else None
                ),
            }
            if rng.random() < 0.6:
                invoice["supplierBankAccount"] = {
                    "bankName": rng.choice(("Nordea", "Danske Bank", "SEB", "Barclays")),
                    "country": rng.choice(("DK", "SE", "GB", "DE")),
                    "iban": f"DK{rng.randint(10**15, 10**16 - 1)}",
                    "bic": rng.choice(("NDEADKKK", "DABADKKK", None)),
                    "accountNumber": None,
                    "bankCode": None,
                }
            info["invoiceInformation"] = invoice
        return info

    def _sub_type(self, item_type: str) -> str | None:
        rng = self._rng
        if item_type == "direct_reimbursement":
            return "reimbursement_to_employee"
        if item_type == "external_reimbursement":
            return rng.choice(("reimbursement_to_employee", "reimbursement_to_company"))
        if item_type == "invoice_payment":
            return "invoice_payment_sent" if rng.random() < 0.9 else "invoice_payment_returned"
        if item_type == "fee" and rng.random() < 0.3:
            return "interest"
        if item_type == "refund" and rng.random() < 0.3:
            return "reimbursement_to_employee_refund"
        return None

    def _files(self, item_type: str) -> list[JsonObject] | object | None:
        rng = self._rng
        if item_type not in FILE_TYPES:
            return _ABSENT if rng.random() < 0.5 else None
        roll = rng.random()
        if roll < 0.1:
            return _ABSENT
        if roll < 0.2:
            return []
        files = []
        for _ in range(rng.choice((1, 1, 2))):
            kind = rng.choice(("application/pdf", "image/jpeg", "image/png"))
            ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[kind]
            files.append(
                {
                    "url": (
                        f"https://files.sandbox.pleo.invalid/receipts/{random_uuid(rng)}.{ext}"
                        f"?X-Signature={rng.getrandbits(64):016x}&expires=86400"
                    ),
                    "type": kind,
                    "size": rng.randint(8_000, 2_000_000),
                }
            )
        return files


_ABSENT = object()


def _money(currency: str, value: int) -> JsonObject:
    return {"currency": currency, "value": value}


def _to_minor(euros: float, currency: str) -> int:
    scale: int = 10 ** CURRENCY_EXPONENTS[currency]
    return max(1, round(euros * PER_EUR[currency] * scale))


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    if parts == 1 or total < parts:
        return [total]
    weights = [rng.uniform(1, 4) for _ in range(parts)]
    scale = sum(weights)
    values = [int(total * weight / scale) for weight in weights[:-1]]
    values.append(total - sum(values))
    return values


def _split_like(total: int, reference: list[int], reference_total: int) -> list[int]:
    if len(reference) == 1:
        return [total]
    values = [int(total * part / reference_total) for part in reference[:-1]]
    values.append(total - sum(values))
    return values

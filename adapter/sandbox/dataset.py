"""Seeded, realistic fake data: companies, their reference data and accounting entries.

Everything comes from one ``random.Random(seed)``, so a seed always gives the same ids, amounts
and texts (timestamps are relative to the sandbox clock's start). The generator makes sure the
first entries of the first company cover every ``ExportItemTypeV3`` value and every currency
(including the 0-exponent JPY and the 3-exponent BHD, in both the supplier and the wallet
amount), so a default dataset exercises all of them. Optional blocks are sometimes missing in
every way the schema allows: ``user``/``team`` null, no ``supplier``, ``files`` absent, null or
empty, and ``account``/``tax``/``tags`` null on some lines.

Money is in minor units, as the v3 ``MoneyModel`` says ("896.96 SEK is represented as 89696").
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapter.export.models import ExportItemType
from adapter.sandbox.clock import format_timestamp
from adapter.sandbox.models import Company, Entry

__all__ = [
    "CURRENCY_EXPONENTS",
    "ITEM_TYPES",
    "EntryFactory",
    "build_companies",
]

JsonObject = dict[str, Any]

ITEM_TYPES: tuple[str, ...] = tuple(t.value for t in ExportItemType)
_TYPE_WEIGHTS: tuple[int, ...] = (30, 4, 10, 4, 3, 3, 4, 8, 4, 2, 3, 2, 2, 2, 1, 2, 3)

# ISO 4217 minor-unit exponents of every currency the sandbox uses.
CURRENCY_EXPONENTS: dict[str, int] = {
    "SEK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "USD": 2,
    "NOK": 2,
    "JPY": 0,
    "BHD": 3,
}
# Units of each currency per euro; only used to make converted amounts plausible.
_PER_EUR: dict[str, float] = {
    "SEK": 11.5,
    "DKK": 7.46,
    "EUR": 1.0,
    "GBP": 0.85,
    "USD": 1.08,
    "NOK": 11.7,
    "JPY": 160.0,
    "BHD": 0.41,
}
_COUNTRY_OF: dict[str, str] = {
    "SEK": "SE",
    "DKK": "DK",
    "EUR": "DE",
    "GBP": "GB",
    "USD": "US",
    "NOK": "NO",
    "JPY": "JP",
    "BHD": "BH",
}
_COMPANY_WALLETS: tuple[tuple[str, ...], ...] = (
    ("SEK", "EUR", "JPY", "BHD"),
    ("DKK", "GBP", "USD"),
    ("EUR", "USD"),
    ("GBP", "EUR"),
    ("NOK",),
    ("USD",),
)
_COMPANY_NAMES = ("Nordlys", "Havbryn", "Kvarts", "Fjellvik", "Solberg", "Lindqvist", "Brattli")
_COMPANY_SUFFIXES = ("AB", "ApS", "GmbH", "Ltd", "AS", "Inc")
_FIRST_NAMES = ("Astrid", "Mikkel", "Sofia", "Lars", "Ingrid", "Jonas", "Freya", "Emil", "Nora")
_LAST_NAMES = ("Lund", "Berg", "Holm", "Dahl", "Strand", "Eriksen", "Nielsen", "Larsson")
_TEAMS = ("Marketing", "Engineering", "Sales", "Finance", "Operations")
_ACCOUNTS = (
    ("Meals and Entertainment", "6010"),
    ("Travel", "6020"),
    ("Software", "6540"),
    ("Office Supplies", "6110"),
    ("Marketing", "6300"),
    ("Bank Fees", "7790"),
    ("Mileage Allowance", "7330"),
    ("Accounts Payable", "2440"),
)
_TAXES = (  # (code, rate, type)
    ("VAT25", 0.25, "inclusive"),
    ("VAT12", 0.12, "inclusive"),
    ("VAT20EX", 0.2, "exclusive"),
    ("RC0", 0.25, "reverse"),
)
_TAG_GROUPS = {
    "PROJECT": ("APOLLO", "GEMINI", "MERCURY"),
    "COSTCENTRE": ("CC100", "CC200", "CC300"),
}
_MERCHANTS = (
    ("GOOGLE*ADS8693645259", "7311"),
    ("Printer Ink Direct", "5111"),
    ("SAS Airlines", "3000"),
    ("Hotel Norrmalm", "7011"),
    ("Atlassian", "5734"),
    ("Restaurang Tradition", "5812"),
    ("Circle K", "5541"),
)
_NOTES = (
    "Printer ink",
    "Team lunch with client",
    "Flight to Copenhagen",
    "Conference ticket",
    "Monthly software subscription",
    "Taxi from airport",
    "Office snacks",
)
_INVOICE_STATUSES = ("ready", "paid", "scheduled", "prepared", "marked_as_paid")

_NO_USER_TYPES = frozenset({"wallet_topup", "wallet_unload", "cashback", "fee"})
_SUPPLIER_TYPES = frozenset(
    {
        "card_purchase",
        "card_invoice",
        "out_of_pocket",
        "invoice",
        "invoice_payment",
        "chargeback",
        "refund",
        "atm_withdrawal",
        "personal_spend",
    }
)
_FILE_TYPES = frozenset({"card_purchase", "card_invoice", "out_of_pocket", "invoice", "per_diem"})
_CONTRA_TYPES = frozenset(
    {
        "card_purchase",
        "fee",
        "cashback",
        "refund",
        "chargeback",
        "direct_reimbursement",
        "invoice_payment",
        "card_invoice",
        "atm_withdrawal",
        "personal_spend",
        "wallet_topup",
        "wallet_unload",
    }
)
_VENDOR_TYPES = frozenset(
    {"card_purchase", "fee", "chargeback", "refund", "cashback", "invoice", "invoice_payment"}
)
_INVOICE_TYPES = frozenset({"invoice", "card_invoice", "invoice_payment"})
_REIMBURSEMENT_TYPES = frozenset({"direct_reimbursement", "external_reimbursement"})
_SINGLE_LINE_TYPES = frozenset({"atm_withdrawal", "wallet_topup", "wallet_unload", "fee"})
_NO_TAX_TYPES = frozenset(
    {"mileage", "per_diem", "atm_withdrawal", "wallet_topup", "wallet_unload", "fee"}
)
_FORCED_CURRENCIES = ("JPY", "BHD", "EUR", "GBP", "USD", "NOK", "DKK", "SEK")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _token(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices("abcdefghijkmnopqrstuvwxyz23456789", k=32))


def build_companies(rng: random.Random, count: int) -> list[Company]:
    """Seed ``count`` companies with credentials and reference data."""
    companies = []
    for index in range(count):
        name = (
            f"{_COMPANY_NAMES[index % len(_COMPANY_NAMES)]} "
            f"{_COMPANY_SUFFIXES[index % len(_COMPANY_SUFFIXES)]}"
        )
        users = [
            {
                "id": _uuid(rng),
                "name": f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                "code": f"E{rng.randint(100, 999)}" if rng.random() < 0.7 else None,
            }
            for _ in range(6)
        ]
        teams = [
            {"id": _uuid(rng), "name": team, "code": f"T{n + 1:02d}" if n % 3 else None}
            for n, team in enumerate(_TEAMS)
        ]
        accounts = [
            {
                "id": _uuid(rng),
                "name": account_name,
                "code": code,
                "identifier": f"GL-{code}" if rng.random() < 0.5 else None,
            }
            for account_name, code in _ACCOUNTS
        ]
        taxes = [
            {"id": _uuid(rng), "code": code if n != 1 else None, "rate": rate, "type": kind}
            for n, (code, rate, kind) in enumerate(_TAXES)
        ]
        tags = [
            {"id": _uuid(rng), "code": code, "groupCode": group}
            for group, codes in _TAG_GROUPS.items()
            for code in codes
        ]
        vendors = []
        for merchant, _mcc in _MERCHANTS[:5]:
            currency = rng.choice(("EUR", "USD", "SEK", "DKK", "GBP"))
            vendor: JsonObject = {
                "id": _uuid(rng),
                "name": merchant,
                "defaultCurrency": currency,
                "code": f"V{rng.randint(1000, 9999)}",
                "country": _COUNTRY_OF[currency],
            }
            vendor["externalId"] = vendor["code"]
            if rng.random() < 0.6:
                vendor["taxRegistrationNumber"] = (
                    f"{_COUNTRY_OF[currency]}{rng.randint(10**8, 10**9 - 1)}"
                )
                vendor["registrationNumber"] = str(rng.randint(10**6, 10**7 - 1))
            vendors.append(vendor)
        suppliers = []
        for merchant, mcc in _MERCHANTS:
            supplier: JsonObject = {
                "name": merchant,
                "code": str(rng.randint(10**9, 10**10 - 1)) if rng.random() < 0.6 else None,
                "account": f"S{rng.randint(100, 999)}" if rng.random() < 0.3 else None,
                "categoryCode": mcc,
                "taxIdentifier": f"TAX{rng.randint(10**6, 10**7 - 1)}"
                if rng.random() < 0.5
                else None,
            }
            # the spec's country enum has no null: a supplier without a country omits the key
            if rng.random() < 0.85:
                supplier["country"] = rng.choice(("SE", "DK", "GB", "DE", "US", "NO"))
            suppliers.append(supplier)
        companies.append(
            Company(
                id=_uuid(rng),
                name=name,
                wallet_currencies=_COMPANY_WALLETS[index % len(_COMPANY_WALLETS)],
                api_key=_token(rng, "plp_sbx_"),
                bearer_token=_token(rng, "sbx-oauth-"),
                legacy_token=_token(rng, "sbx-legacy-"),
                users=users,
                teams=teams,
                accounts=accounts,
                taxes=taxes,
                tags=tags,
                vendors=vendors,
                suppliers=suppliers,
            )
        )
    return companies


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
        entry_id = _uuid(rng)
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
            "note": rng.choice(_NOTES) if rng.random() < 0.8 else None,
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
        if item_type in _NO_USER_TYPES:
            item["user"] = None
            item["team"] = None
        else:
            user = rng.choice(company.users) if rng.random() < 0.9 else None
            item["user"] = dict(user) if user is not None else None
            item["team"] = dict(rng.choice(company.teams)) if rng.random() < 0.75 else None
        if item_type in _SUPPLIER_TYPES and rng.random() < 0.85:
            item["supplier"] = dict(rng.choice(company.suppliers))
        files = self._files(item_type)
        if files is not _ABSENT:
            item["files"] = files
        if item_type in _CONTRA_TYPES:
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
        if item_type in _VENDOR_TYPES and rng.random() < 0.7:
            vendor = dict(rng.choice(company.vendors))
        method = "accounts_payable" if item_type in _INVOICE_TYPES and vendor else "journal"
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
        return self._rng.choices(ITEM_TYPES, weights=_TYPE_WEIGHTS, k=1)[0]

    def _amount(self, company: Company, item_type: str, seq: int) -> _Amount:
        rng = self._rng
        if seq < len(_FORCED_CURRENCIES):
            forced = _FORCED_CURRENCIES[seq]
            supplier_currency = forced
            wallet_currency = forced if forced in ("JPY", "BHD") else company.wallet_currencies[0]
        else:
            wallet_currency = (
                company.wallet_currencies[0]
                if rng.random() < 0.75
                else rng.choice(company.wallet_currencies)
            )
            supplier_currency = (
                wallet_currency if rng.random() < 0.7 else rng.choice(tuple(_PER_EUR))
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
            1 if item_type in _SINGLE_LINE_TYPES else rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        )
        supplier_parts = _split(rng, amount.supplier_minor, count)
        wallet_parts = _split_like(amount.wallet_minor, supplier_parts, amount.supplier_minor)
        lines = []
        for supplier_minor, wallet_minor in zip(supplier_parts, wallet_parts, strict=True):
            tax = None
            net_supplier, net_wallet = supplier_minor, wallet_minor
            if item_type not in _NO_TAX_TYPES and rng.random() < 0.8:
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
                    "accountingEntryLineId": _uuid(rng),
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
            info["attendees"] = [f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"]
        if item_type in _REIMBURSEMENT_TYPES and rng.random() < 0.75:
            earlier = self._reconciliation_ids.get(company.id, [])[:-1]
            if earlier:
                picked = rng.sample(earlier, k=min(len(earlier), rng.randint(1, 3)))
            else:
                picked = [f"BK-{rng.randint(10**7, 10**8 - 1)}"]
            info["reconciledEntries"] = sorted(set(picked))
        if item_type in _INVOICE_TYPES:
            invoice_date = self._now - timedelta(days=rng.randint(5, 60))
            status = rng.choice(_INVOICE_STATUSES)
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
        if item_type not in _FILE_TYPES:
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
                        f"https://files.sandbox.pleo.invalid/receipts/{_uuid(rng)}.{ext}"
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
    return max(1, round(euros * _PER_EUR[currency] * scale))


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

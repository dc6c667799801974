"""The sandbox's reference data: names, currencies, merchants, ledgers, and which v3 item types
carry which optional blocks. Plain constants only; :mod:`adapter.sandbox.companies` and
:mod:`adapter.sandbox.dataset` draw from them with the seeded PRNG.

Reordering or editing a tuple here changes every seeded dataset (the PRNG picks by position).
"""

from __future__ import annotations

from adapter.export.models import ExportItemType

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_GROUP_OF",
    "COMPANY_NAMES",
    "COMPANY_SUFFIXES",
    "COMPANY_WALLETS",
    "CONTRA_TYPES",
    "COUNTRY_OF",
    "CURRENCY_EXPONENTS",
    "FILE_TYPES",
    "FIRST_NAMES",
    "FORCED_CURRENCIES",
    "INVOICE_STATUSES",
    "INVOICE_TYPES",
    "ITEM_TYPES",
    "JOB_TITLES",
    "LAST_NAMES",
    "MERCHANTS",
    "NOTES",
    "NO_TAX_TYPES",
    "NO_USER_TYPES",
    "PER_EUR",
    "REIMBURSEMENT_TYPES",
    "SINGLE_LINE_TYPES",
    "SUPPLIER_TYPES",
    "TAG_GROUPS",
    "TAXES",
    "TEAMS",
    "TYPE_WEIGHTS",
    "VENDOR_TYPES",
]

ITEM_TYPES: tuple[str, ...] = tuple(t.value for t in ExportItemType)
# relative frequency of each ITEM_TYPES value after the first len(ITEM_TYPES) entries
TYPE_WEIGHTS: tuple[int, ...] = (30, 4, 10, 4, 3, 3, 4, 8, 4, 2, 3, 2, 2, 2, 1, 2, 3)

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
PER_EUR: dict[str, float] = {
    "SEK": 11.5,
    "DKK": 7.46,
    "EUR": 1.0,
    "GBP": 0.85,
    "USD": 1.08,
    "NOK": 11.7,
    "JPY": 160.0,
    "BHD": 0.41,
}
COUNTRY_OF: dict[str, str] = {
    "SEK": "SE",
    "DKK": "DK",
    "EUR": "DE",
    "GBP": "GB",
    "USD": "US",
    "NOK": "NO",
    "JPY": "JP",
    "BHD": "BH",
}
# the first entries of the first company use these supplier currencies, so every exponent shows
FORCED_CURRENCIES = ("JPY", "BHD", "EUR", "GBP", "USD", "NOK", "DKK", "SEK")
COMPANY_WALLETS: tuple[tuple[str, ...], ...] = (
    ("SEK", "EUR", "JPY", "BHD"),
    ("DKK", "GBP", "USD"),
    ("EUR", "USD"),
    ("GBP", "EUR"),
    ("NOK",),
    ("USD",),
)

COMPANY_NAMES = ("Nordlys", "Havbryn", "Kvarts", "Fjellvik", "Solberg", "Lindqvist", "Brattli")
COMPANY_SUFFIXES = ("AB", "ApS", "GmbH", "Ltd", "AS", "Inc")
FIRST_NAMES = ("Astrid", "Mikkel", "Sofia", "Lars", "Ingrid", "Jonas", "Freya", "Emil", "Nora")
LAST_NAMES = ("Lund", "Berg", "Holm", "Dahl", "Strand", "Eriksen", "Nielsen", "Larsson")
TEAMS = ("Marketing", "Engineering", "Sales", "Finance", "Operations")
JOB_TITLES = ("Account Manager", "Engineer", "Controller", "Designer", "Office Manager", None)
ACCOUNTS = (  # (name, code)
    ("Meals and Entertainment", "6010"),
    ("Travel", "6020"),
    ("Software", "6540"),
    ("Office Supplies", "6110"),
    ("Marketing", "6300"),
    ("Bank Fees", "7790"),
    ("Mileage Allowance", "7330"),
    ("Accounts Payable", "2440"),
)
# the legacy account group (``typeKey`` and name) each account above belongs to
ACCOUNT_GROUP_OF: dict[str, tuple[str, str]] = {
    "Meals and Entertainment": ("meals_and_drinks", "Meals and drinks"),
    "Travel": ("travel", "Travel"),
    "Software": ("software", "Software"),
    "Office Supplies": ("office_expenses", "Office expenses"),
    "Marketing": ("marketing_and_advertising", "Marketing and advertising"),
    "Bank Fees": ("other", "Other"),
    "Mileage Allowance": ("travel", "Travel"),
    "Accounts Payable": ("no_suitable_category", "No suitable category"),
}
TAXES = (  # (code, rate, type, name)
    ("VAT25", 0.25, "inclusive", "VAT 25%"),
    ("VAT12", 0.12, "inclusive", "VAT 12%"),
    ("VAT20EX", 0.2, "exclusive", "VAT 20% (exclusive)"),
    ("RC0", 0.25, "reverse", "Reverse charge EU"),
)
TAG_GROUPS = {  # groupCode -> (display name, tag codes)
    "PROJECT": ("Project", ("APOLLO", "GEMINI", "MERCURY")),
    "COSTCENTRE": ("Cost centre", ("CC100", "CC200", "CC300")),
}
MERCHANTS = (  # (name, merchant category code)
    ("GOOGLE*ADS8693645259", "7311"),
    ("Printer Ink Direct", "5111"),
    ("SAS Airlines", "3000"),
    ("Hotel Norrmalm", "7011"),
    ("Atlassian", "5734"),
    ("Restaurang Tradition", "5812"),
    ("Circle K", "5541"),
)
NOTES = (
    "Printer ink",
    "Team lunch with client",
    "Flight to Copenhagen",
    "Conference ticket",
    "Monthly software subscription",
    "Taxi from airport",
    "Office snacks",
)
INVOICE_STATUSES = ("ready", "paid", "scheduled", "prepared", "marked_as_paid")

# Which item types carry which optional blocks (pleo-api.md B §2.8.1).
NO_USER_TYPES = frozenset({"wallet_topup", "wallet_unload", "cashback", "fee"})
SUPPLIER_TYPES = frozenset(
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
FILE_TYPES = frozenset({"card_purchase", "card_invoice", "out_of_pocket", "invoice", "per_diem"})
CONTRA_TYPES = frozenset(
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
VENDOR_TYPES = frozenset(
    {"card_purchase", "fee", "chargeback", "refund", "cashback", "invoice", "invoice_payment"}
)
INVOICE_TYPES = frozenset({"invoice", "card_invoice", "invoice_payment"})
REIMBURSEMENT_TYPES = frozenset({"direct_reimbursement", "external_reimbursement"})
SINGLE_LINE_TYPES = frozenset({"atm_withdrawal", "wallet_topup", "wallet_unload", "fee"})
NO_TAX_TYPES = frozenset(
    {"mileage", "per_diem", "atm_withdrawal", "wallet_topup", "wallet_unload", "fee"}
)

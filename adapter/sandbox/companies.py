"""Seeded companies: credentials plus the reference data their entries draw from."""

from __future__ import annotations

import random

from adapter.sandbox.ids import random_uuid
from adapter.sandbox.models import Company, JsonObject
from adapter.sandbox.reference import (
    ACCOUNTS,
    COMPANY_NAMES,
    COMPANY_SUFFIXES,
    COMPANY_WALLETS,
    COUNTRY_OF,
    FIRST_NAMES,
    LAST_NAMES,
    MERCHANTS,
    TAG_GROUPS,
    TAXES,
    TEAMS,
)

__all__ = ["build_companies"]


def _token(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices("abcdefghijkmnopqrstuvwxyz23456789", k=32))


def build_companies(rng: random.Random, count: int) -> list[Company]:
    """Seed ``count`` companies with credentials and reference data."""
    companies = []
    for index in range(count):
        name = (
            f"{COMPANY_NAMES[index % len(COMPANY_NAMES)]} "
            f"{COMPANY_SUFFIXES[index % len(COMPANY_SUFFIXES)]}"
        )
        users = [
            {
                "id": random_uuid(rng),
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "code": f"E{rng.randint(100, 999)}" if rng.random() < 0.7 else None,
            }
            for _ in range(6)
        ]
        teams = [
            {"id": random_uuid(rng), "name": team, "code": f"T{n + 1:02d}" if n % 3 else None}
            for n, team in enumerate(TEAMS)
        ]
        accounts = [
            {
                "id": random_uuid(rng),
                "name": account_name,
                "code": code,
                "identifier": f"GL-{code}" if rng.random() < 0.5 else None,
            }
            for account_name, code in ACCOUNTS
        ]
        taxes = [
            {"id": random_uuid(rng), "code": code if n != 1 else None, "rate": rate, "type": kind}
            for n, (code, rate, kind, _name) in enumerate(TAXES)
        ]
        tags = [
            {"id": random_uuid(rng), "code": code, "groupCode": group}
            for group, (_group_name, codes) in TAG_GROUPS.items()
            for code in codes
        ]
        vendors = _vendors(rng)
        suppliers = _suppliers(rng)
        companies.append(
            Company(
                id=random_uuid(rng),
                name=name,
                wallet_currencies=COMPANY_WALLETS[index % len(COMPANY_WALLETS)],
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


def _vendors(rng: random.Random) -> list[JsonObject]:
    vendors = []
    for merchant, _mcc in MERCHANTS[:5]:
        currency = rng.choice(("EUR", "USD", "SEK", "DKK", "GBP"))
        vendor: JsonObject = {
            "id": random_uuid(rng),
            "name": merchant,
            "defaultCurrency": currency,
            "code": f"V{rng.randint(1000, 9999)}",
            "country": COUNTRY_OF[currency],
        }
        vendor["externalId"] = vendor["code"]
        if rng.random() < 0.6:
            vendor["taxRegistrationNumber"] = (
                f"{COUNTRY_OF[currency]}{rng.randint(10**8, 10**9 - 1)}"
            )
            vendor["registrationNumber"] = str(rng.randint(10**6, 10**7 - 1))
        vendors.append(vendor)
    return vendors


def _suppliers(rng: random.Random) -> list[JsonObject]:
    suppliers = []
    for merchant, mcc in MERCHANTS:
        supplier: JsonObject = {
            "name": merchant,
            "code": str(rng.randint(10**9, 10**10 - 1)) if rng.random() < 0.6 else None,
            "account": f"S{rng.randint(100, 999)}" if rng.random() < 0.3 else None,
            "categoryCode": mcc,
            "taxIdentifier": f"TAX{rng.randint(10**6, 10**7 - 1)}" if rng.random() < 0.5 else None,
        }
        # the spec's country enum has no null: a supplier without a country omits the key
        if rng.random() < 0.85:
            supplier["country"] = rng.choice(("SE", "DK", "GB", "DE", "US", "NO"))
        suppliers.append(supplier)
    return suppliers

"""Pleo payloads for the Export API client tests (shapes from pleo-api.md §2)."""

from __future__ import annotations

from typing import Any

import httpx

BASE_URL = "https://external.pleo.test"
COMPANY_ID = "0c0c0c0c-0000-4000-8000-000000000001"
JOB_ID = "0b0b0b0b-0000-4000-8000-000000000001"
CANARY = "canary-7f3a9d2e-do-not-log"


def entry_id(n: int) -> str:
    """A stable accounting entry id for item ``n``."""
    return f"0e0e0e0e-0000-4000-8000-{n:012d}"


def job_json(job_id: str = JOB_ID, company_id: str = COMPANY_ID, **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "companyId": company_id,
        "status": "pending",
        "createdAt": "2026-01-05T09:00:00Z",
        "expiresIn": 3600,
        "isInteractive": True,
        "numberOfItems": 3,
        "vendorBasedBookkeeping": False,
        **extra,
    }


def job_item_json(n: int, job_id: str = JOB_ID, status: str = "pending") -> dict[str, Any]:
    return {"accountingEntryId": entry_id(n), "exportJobId": job_id, "status": status}


def export_item_json(n: int) -> dict[str, Any]:
    money = {"currency": "DKK", "value": 12345}
    return {
        "accountingEntryId": entry_id(n),
        "companyId": COMPANY_ID,
        "type": "card_purchase",
        "date": "2026-01-04T12:00:00Z",
        "amount": {"inSupplierCurrency": money, "inWalletCurrency": money},
        "accountingEntryLines": [],
        "additionalInformation": {"reconciliationId": f"rec-{n}"},
        "_links": {},
    }


def page_json(data: list[dict[str, Any]], next_cursor: str | None = None) -> dict[str, Any]:
    pagination: dict[str, Any] = {
        "currentRequestPagination": {"parameters": {}},
        "hasNextPage": next_cursor is not None,
        "hasPreviousPage": False,
    }
    if next_cursor is not None:
        pagination["endCursor"] = next_cursor
    return {"data": data, "pagination": pagination}


def url(path: str, params: list[tuple[str, str]] | None = None) -> httpx.URL:
    return httpx.URL(BASE_URL + path, params=params)

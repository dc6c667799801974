"""Every answer of the translated legacy surface validates against Pleo's legacy document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.harness import Harness
from tests.support.legacy_contract import validate_legacy_answer
from tests.support.legacy_errors import assert_legacy_error


async def _checked(response: httpx.Response) -> httpx.Response:
    validate_legacy_answer(response)
    return response


async def _all_queued(harness: Harness) -> list[dict[str, Any]]:
    response = await _checked(
        await harness.proxy.get("/v1/expenses", params={"status": "QUEUED"}, headers=harness.auth())
    )
    expenses: list[dict[str, Any]] = response.json()["expenses"]
    return expenses


async def test_list_pages_and_single_expense_follow_the_legacy_document(harness: Harness) -> None:
    """Each page, the last page's null nextPageOffset and one expense validate against Pleo's."""
    offset: int | None = 0
    seen: list[str] = []
    while offset is not None:
        response = await _checked(
            await harness.proxy.get(
                "/v1/expenses",
                params=[
                    ("status", "QUEUED"),
                    ("status", "EXPORTING"),
                    ("pageSize", 4),
                    ("pageOffset", offset),
                ],
                headers=harness.auth(),
            )
        )
        info = response.json()["metadata"]["pageInfo"]
        assert "nextPageOffset" in info
        assert info["pageSize"] == len(response.json()["expenses"])
        seen += [e["id"] for e in response.json()["expenses"]]
        offset = info["nextPageOffset"]
    assert len(seen) == len(set(seen)) == 6
    one = await _checked(await harness.proxy.get(f"/v1/expenses/{seen[0]}", headers=harness.auth()))
    assert one.json()["id"] == seen[0]


async def test_every_expense_has_the_shape_the_document_requires(harness: Harness) -> None:
    """amountOriginal is never null; cardTransaction is null or has a state and a merchant name."""
    for company in (0, 1):
        for expense in await harness.queued(company):
            assert expense["amountOriginal"] is not None
            card = expense["cardTransaction"]
            assert (card is None) == (expense["type"] != "CARD")
            if card is not None:
                assert card["state"] in ("PRESENTMENT", "REFUND", "CHARGE_BACK")
                assert isinstance(card["merchant"]["name"], str)


async def test_put_answers_follow_the_legacy_document(harness: Harness) -> None:
    """PUT EXPORTING then EXPORTED with Pleo's ExpensesUpdateRequest body answer 200 objects."""
    ids = [e["id"] for e in await _all_queued(harness)]
    for status in ("EXPORTING", "EXPORTED"):
        response = await _checked(
            await harness.proxy.put(
                "/v1/expenses",
                json={"expenseIds": ids, "status": status},
                headers=harness.auth() | {"Accept": "application/json"},
            )
        )
        assert {e["status"] for e in response.json()["expenses"]} == {status}


async def test_receipts_are_the_export_items_files(harness: Harness) -> None:
    """GET .../receipts lists one receipt per receiptIds entry; GET .../receipts/{id} gives one."""
    with_receipts = [e for e in await _all_queued(harness) if e["receiptIds"]]
    assert with_receipts, "the seeded job has no expense with a file"
    expense = with_receipts[0]
    listed = await _checked(
        await harness.proxy.get(f"/v1/expenses/{expense['id']}/receipts", headers=harness.auth())
    )
    assert [r["id"] for r in listed.json()] == expense["receiptIds"]
    first = listed.json()[0]
    assert set(first) == {"id", "name", "url", "mimeType", "size"}
    one = await _checked(
        await harness.proxy.get(
            f"/v1/expenses/{expense['id']}/receipts/{first['id']}", headers=harness.auth()
        )
    )
    assert one.json() == first


async def test_receipts_of_another_companys_expense_are_not_found(harness: Harness) -> None:
    """A receipt list is only for the tenant allowed to see the expense: others get 404."""
    expense = next(e for e in await _all_queued(harness) if e["receiptIds"])
    other = await harness.proxy.get(
        f"/v1/expenses/{expense['id']}/receipts", headers=harness.auth(1)
    )
    assert_legacy_error(other, 404)
    validate_legacy_answer(other)
    unknown = await harness.proxy.get(
        f"/v1/expenses/{expense['id']}/receipts/no-such-receipt", headers=harness.auth()
    )
    assert_legacy_error(unknown, 404, mentions="no-such-receipt")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/v1/expenses", {"headers": {}}, 401),
        ("GET", "/v1/expenses", {"params": {"pageSize": "0"}}, 400),
        ("GET", "/v1/expenses", {"params": {"types": "CAR"}}, 400),
        ("GET", "/v1/expenses/no-such-expense", {}, 404),
        ("GET", "/v1/no-such-route", {}, 404),
        ("DELETE", "/v1/expenses", {}, 405),
        ("POST", "/v1/expenses/x/receipts", {}, 405),
        ("PUT", "/v1/expenses", {"content": b"{", "headers": {"Content-Type": "json"}}, 400),
        ("PUT", "/v1/expenses", {"content": b"x", "headers": {"Content-Type": "text/plain"}}, 415),
        ("PUT", "/v1/expenses", {"json": {"expenseIds": ["a"], "status": "DONE"}}, 422),
        ("PUT", "/v1/expenses", {"json": {"expenseIds": ["a"] * 1001, "status": "QUEUED"}}, 413),
    ],
)
async def test_every_error_has_the_legacy_body(
    harness: Harness, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    """401, 400, 404 (expense and route), 405, 415, 422 and 413 all carry the legacy body."""
    headers = {**harness.auth(), **kwargs.pop("headers", {"Accept": "application/json"})}
    if status == 401:
        headers = {}
    response = await harness.proxy.request(method, path, headers=headers, **kwargs)
    assert_legacy_error(response, status)
    validate_legacy_answer(response, check_request=False)


async def test_a_refused_status_change_is_a_legacy_409(harness: Harness) -> None:
    """Going back to QUEUED after EXPORTING is a 409 in the legacy body."""
    ids = [e["id"] for e in await _all_queued(harness)][:1]
    await harness.put(ids, "EXPORTING")
    response = await harness.put(ids, "QUEUED")
    assert_legacy_error(response, 409)
    validate_legacy_answer(response)


async def test_repeated_slashes_reach_the_same_route(harness: Harness) -> None:
    """/v1//expenses (what Pleo's generated client sends) is /v1/expenses."""
    plain = await harness.proxy.get("/v1/expenses", headers=harness.auth())
    doubled = await harness.proxy.get("/v1//expenses", headers=harness.auth())
    assert doubled.status_code == 200
    assert doubled.json() == plain.json()


async def test_all_twelve_legacy_types_are_accepted_as_a_filter(harness: Harness) -> None:
    """types takes every value of the document's enum, repeated or comma-separated."""
    types = [
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
    ]
    everything = await harness.queued()
    response = await _checked(
        await harness.proxy.get(
            "/v1/expenses",
            params=[("status", "QUEUED"), *(("types", t) for t in types)],
            headers=harness.auth(),
        )
    )
    assert len(response.json()["expenses"]) == len(everything)


@pytest.mark.parametrize("settings_overrides", [{"max_page_size": 2, "default_page_size": 2}])
async def test_a_clamped_page_says_so_and_loses_nothing(harness: Harness) -> None:
    """A pageSize above the maximum gives maxPageSize in pageInfo and a next page to follow."""
    response = await _checked(
        await harness.proxy.get(
            "/v1/expenses", params={"status": "QUEUED", "pageSize": 100000}, headers=harness.auth()
        )
    )
    info = response.json()["metadata"]["pageInfo"]
    assert (info["pageSize"], info["maxPageSize"], info["nextPageOffset"]) == (2, 2, 2)
    unclamped = await harness.proxy.get(
        "/v1/expenses", params={"status": "QUEUED", "pageSize": 2}, headers=harness.auth()
    )
    assert "maxPageSize" not in unclamped.json()["metadata"]["pageInfo"]

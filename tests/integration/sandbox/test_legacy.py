"""Behaviour of the sandbox's legacy ``/v1/expenses`` API over the same data as v3."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapter.sandbox.legacy_render import LEGACY_TYPE_OF, LEGACY_TYPES
from adapter.sandbox.operations import V3_WRITES
from tests.support.openapi import assert_legacy_error
from tests.support.sandbox import basic, bearer, legacy_auth, runtime_of, send, start_job


async def _all_expenses(
    client: httpx.AsyncClient, auth: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    expenses: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = await client.get(
            "/v1/expenses", headers=auth, params={**params, "pageSize": 30, "pageOffset": offset}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        expenses.extend(body["expenses"])
        page_info = body["metadata"]["pageInfo"]
        assert page_info["pageSize"] == len(body["expenses"])
        if page_info["nextPageOffset"] is None:
            assert page_info["totalCount"] == len(expenses)
            return expenses
        offset = page_info["nextPageOffset"]


async def test_list_pages_with_next_offset_null_on_the_last_page(client, companies):
    """Paging by nextPageOffset returns every entry once; the last page says null."""
    expenses = await _all_expenses(client, legacy_auth(companies[0]))
    assert len(expenses) == 2 * 25 + 20
    assert len({expense["id"] for expense in expenses}) == len(expenses)
    assert [e["performedAt"] for e in expenses] == sorted(e["performedAt"] for e in expenses)


async def test_page_info_counts_the_items_returned_and_huge_pages_return_everything(
    client, companies
):
    """pageSize=100000 gets every expense at once; pageInfo.pageSize is the number returned."""
    auth = legacy_auth(companies[0])
    everything = await client.get("/v1/expenses", headers=auth, params={"pageSize": 100000})
    info = everything.json()["metadata"]["pageInfo"]
    assert info == {"pageSize": 70, "totalCount": 70, "nextPageOffset": None}
    tail = await client.get("/v1/expenses", headers=auth, params={"pageSize": 30, "pageOffset": 60})
    assert tail.json()["metadata"]["pageInfo"] == {
        "pageSize": 10,
        "totalCount": 70,
        "nextPageOffset": None,
    }
    middle = await client.get("/v1/expenses", headers=auth, params={"pageSize": 30})
    assert middle.json()["metadata"]["pageInfo"]["nextPageOffset"] == 30
    default = await client.get("/v1/expenses", headers=auth)
    assert default.json()["metadata"]["pageInfo"]["pageSize"] == 50


async def test_status_follows_the_export_state(client, companies):
    """QUEUED in a pending job or no job, EXPORTING in progress, EXPORTED, NOT_EXPORTED."""
    company = companies[0]
    auth = basic(company["apiKey"])
    jobs = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"]
    items = (await client.get(f"/sandbox/jobs/{jobs[0]['id']}")).json()["items"]
    ids = [item["accountingEntryId"] for item in items]
    assert {e["status"] for e in await _all_expenses(client, legacy_auth(company))} == {"QUEUED"}
    await start_job(client, auth, jobs[0]["id"])
    await send(
        client,
        "PUT",
        f"/v3/export-jobs/{jobs[0]['id']}/items",
        auth,
        body=[
            {"accountingEntryId": ids[0], "status": "in_progress"},
            {"accountingEntryId": ids[1], "status": "successful"},
            {"accountingEntryId": ids[2], "status": "failed"},
        ],
    )
    await send(
        client,
        "POST",
        "/v3/export-job-events",
        auth,
        body={"event": "failed", "jobId": jobs[0]["id"]},
    )
    by_id = {e["id"]: e["status"] for e in await _all_expenses(client, legacy_auth(company))}
    assert by_id[ids[0]] == "NOT_EXPORTED"  # in progress, then abandoned by the failed job
    assert by_id[ids[1]] == "EXPORTED"
    assert by_id[ids[2]] == "NOT_EXPORTED"
    assert by_id[ids[3]] == "NOT_EXPORTED"
    second = (await client.get(f"/sandbox/jobs/{jobs[1]['id']}")).json()["items"][0]
    await start_job(client, auth, jobs[1]["id"])
    await send(
        client,
        "PUT",
        f"/v3/export-jobs/{jobs[1]['id']}/items",
        auth,
        body=[{"accountingEntryId": second["accountingEntryId"], "status": "in_progress"}],
    )
    single = await client.get(
        f"/v1/expenses/{second['accountingEntryId']}", headers=legacy_auth(company)
    )
    assert single.json()["status"] == "EXPORTING"


async def test_status_filter_accepts_repeated_and_comma_separated_values(client, companies):
    """``status=A,B`` and ``status=A&status=B`` select the same expenses."""
    company = companies[0]
    first = (await _all_expenses(client, legacy_auth(company)))[0]["id"]
    await client.put(
        "/v1/expenses",
        headers=legacy_auth(company),
        json={"expenseIds": [first], "status": "EXPORTED"},
    )
    exported = await _all_expenses(client, legacy_auth(company), status="EXPORTED")
    assert [e["id"] for e in exported] == [first]
    comma = await _all_expenses(client, legacy_auth(company), status="EXPORTED,QUEUED")
    response = await client.get(
        "/v1/expenses",
        headers=legacy_auth(company),
        params=[("status", "EXPORTED"), ("status", "QUEUED"), ("pageSize", 1000)],
    )
    assert len(comma) == len(response.json()["expenses"]) == 70
    bad = await client.get("/v1/expenses?status=DONE", headers=legacy_auth(company))
    assert_legacy_error(bad, 400)


async def test_filters_by_date_type_account_and_tag(client, companies):
    """dateFrom/dateTo, types, accountId and tagId narrow the list consistently."""
    auth = legacy_auth(companies[0])
    everything = await _all_expenses(client, auth)
    middle = sorted(e["performedAt"] for e in everything)[35]
    later = await _all_expenses(client, auth, dateFrom=middle)
    assert all(e["performedAt"] >= middle for e in later)
    assert len(later) == sum(1 for e in everything if e["performedAt"] >= middle)
    day = middle[:10]
    on_day = await _all_expenses(client, auth, dateFrom=day, dateTo=day)
    assert on_day
    assert all(e["performedAt"].startswith(day) for e in on_day)
    cards = await _all_expenses(client, auth, types="CARD")
    assert cards
    assert {e["type"] for e in cards} == {"CARD"}
    account = next(
        line["accountId"] for e in everything for line in e["lines"] if line["accountId"]
    )
    by_account = await _all_expenses(client, auth, accountId=account)
    assert all(any(line["accountId"] == account for line in e["lines"]) for e in by_account)
    tag = next(t["id"] for e in everything for t in e["tagIds"])
    by_tag = await _all_expenses(client, auth, tagId=tag)
    assert by_tag
    assert all(any(t["id"] == tag for t in e["tagIds"]) for e in by_tag)


async def test_expense_amounts_are_major_units_with_the_currency_exponent(
    client, companies, sandbox_app
):
    """89696 SEK minor is 896.96; JPY has exponent 0 and BHD exponent 3."""
    auth = legacy_auth(companies[0])
    state = runtime_of(sandbox_app).state
    checked = set()
    for expense in await _all_expenses(client, auth):
        wallet = state.entries[expense["id"]].item["amount"]["inWalletCurrency"]
        currency = wallet["currency"]
        exponent = {"JPY": 0, "BHD": 3}.get(currency, 2)
        assert expense["amountSettled"]["currency"] == currency
        assert expense["amountSettled"]["value"] == pytest.approx(wallet["value"] / 10**exponent)
        if exponent == 0:
            assert isinstance(expense["amountSettled"]["value"], int)
        checked.add(exponent)
        line_sum = sum(line["amountSettled"]["value"] for line in expense["lines"])
        assert line_sum == pytest.approx(expense["amountSettled"]["value"])
        supplier = state.entries[expense["id"]].item["amount"]["inSupplierCurrency"]
        supplier_exponent = {"JPY": 0, "BHD": 3}.get(supplier["currency"], 2)
        assert expense["amountOriginal"] == {
            "value": pytest.approx(supplier["value"] / 10**supplier_exponent),
            "currency": supplier["currency"],
        }
    assert checked == {0, 2, 3}


async def test_get_expense_by_id_and_404_for_foreign_or_unknown(client, companies):
    """A tenant sees its own expense; another tenant's or an unknown id is 404."""
    mine = (await _all_expenses(client, legacy_auth(companies[0])))[0]
    response = await client.get(f"/v1/expenses/{mine['id']}", headers=legacy_auth(companies[0]))
    assert response.status_code == 200
    # updatedAt may move between reads (the documented noise)
    assert {**response.json(), "updatedAt": None} == {**mine, "updatedAt": None}
    foreign = await client.get(f"/v1/expenses/{mine['id']}", headers=legacy_auth(companies[1]))
    assert_legacy_error(foreign, 404)
    unknown = await client.get("/v1/expenses/nope", headers=legacy_auth(companies[0]))
    assert_legacy_error(unknown, 404)


@pytest.mark.parametrize(
    "shape",
    ["expenseIds", "expenses", "bare"],
)
async def test_put_accepts_all_three_body_shapes_and_records_the_ledger(client, companies, shape):
    """Each legacy PUT shape sets the status, answers the expenses and lands in the ledger."""
    company = companies[0]
    ids = [e["id"] for e in (await _all_expenses(client, legacy_auth(company)))[:2]]
    bodies: dict[str, Any] = {
        "expenseIds": {"expenseIds": ids, "status": "EXPORTING"},
        "expenses": {"expenses": [{"id": i, "status": "EXPORTING"} for i in ids]},
        "bare": [{"id": i, "status": "EXPORTING"} for i in ids],
    }
    response = await client.put("/v1/expenses", headers=legacy_auth(company), json=bodies[shape])
    assert response.status_code == 200
    assert [(e["id"], e["status"]) for e in response.json()["expenses"]] == [
        (i, "EXPORTING") for i in ids
    ]
    ledger = (await client.get("/sandbox/ledger")).json()["entries"]
    assert [(e["kind"], e["accountingEntryId"], e["resultingStatus"]) for e in ledger] == [
        ("legacy_update", i, "EXPORTING") for i in ids
    ]
    assert ledger[0]["previousStatus"] == "QUEUED"


async def test_put_with_an_unknown_id_changes_nothing(client, companies):
    """A legacy PUT naming another tenant's expense is 404 and applies no change."""
    mine = (await _all_expenses(client, legacy_auth(companies[0])))[0]["id"]
    theirs = (await _all_expenses(client, legacy_auth(companies[1])))[0]["id"]
    response = await client.put(
        "/v1/expenses",
        headers=legacy_auth(companies[0]),
        json={"expenseIds": [mine, theirs], "status": "EXPORTED"},
    )
    assert_legacy_error(response, 404)
    single = await client.get(f"/v1/expenses/{mine}", headers=legacy_auth(companies[0]))
    assert single.json()["status"] == "QUEUED"
    bad = await client.put(
        "/v1/expenses",
        headers=legacy_auth(companies[0]),
        json={"expenseIds": [mine], "status": "X"},
    )
    assert_legacy_error(bad, 400)


async def test_put_single_expense_path(client, companies):
    """``PUT /v1/expenses/{id}`` with {"status"} updates one expense."""
    mine = (await _all_expenses(client, legacy_auth(companies[0])))[0]["id"]
    response = await client.put(
        f"/v1/expenses/{mine}", headers=legacy_auth(companies[0]), json={"status": "NOT_EXPORTED"}
    )
    assert response.status_code == 200
    assert response.json()["expenses"][0]["status"] == "NOT_EXPORTED"


async def test_legacy_api_accepts_only_legacy_tokens(client, companies):
    """v3 credentials and missing tokens are 401 on the legacy API."""
    for auth in ({}, basic(companies[0]["apiKey"]), bearer(companies[0]["bearerToken"])):
        response = await client.get("/v1/expenses", headers=auth)
        assert_legacy_error(response, 401)
    trailing = await client.get("/v1/expenses/", headers=legacy_auth(companies[0]))
    assert trailing.status_code == 200


async def test_expense_shape_follows_the_mapping_rules(client, companies, sandbox_app):
    """Top-level account/tax/tags derive from the lines; unavailable fields are null."""
    state = runtime_of(sandbox_app).state
    for expense in await _all_expenses(client, legacy_auth(companies[0])):
        entry = state.entries[expense["id"]]
        lines = entry.item["accountingEntryLines"]
        accounts = {(line["account"] or {}).get("id") for line in lines}
        assert expense["accountId"] == (accounts.pop() if len(accounts) == 1 else None)
        tag_ids = [t["id"] for line in lines for t in (line["tags"] or [])]
        assert [t["id"] for t in expense["tagIds"]] == list(dict.fromkeys(tag_ids))
        assert expense["performedAt"] == entry.item["date"] == expense["createdAt"]
        assert len(expense["receiptIds"]) == len(entry.item.get("files") or [])
        reconciled = entry.item["additionalInformation"].get("reconciledEntries")
        assert expense["settledExpenseIds"] == (reconciled or [])
        supplier = entry.item.get("supplier") or {}
        assert expense["supplier"]["CIF"] == supplier.get("taxIdentifier")
        assert [t["tagGroupId"] for t in expense["tagIds"]] == [
            next(t["groupCode"] for line in lines for t in (line["tags"] or []) if t["id"] == tag)
            for tag in dict.fromkeys(tag_ids)
        ]
        user = entry.item.get("user")
        assert expense["employeeId"] == (user["id"] if user else None)


async def test_types_take_the_exact_legacy_value_and_filter_on_all_twelve(
    client, companies, sandbox_app
):
    """Each v3 type maps to its legacy value (cashback -> CASHBACK, invoice_payment ->
    BILL_INVOICE_PAYMENT); ``types`` accepts all 12 legacy values, repeated or comma-joined."""
    state = runtime_of(sandbox_app).state
    auth = legacy_auth(companies[0])
    everything = await _all_expenses(client, auth)
    for expense in everything:
        assert expense["type"] == LEGACY_TYPE_OF[state.entries[expense["id"]].item["type"]]
    assert {"CASHBACK", "BILL_INVOICE_PAYMENT"} <= {e["type"] for e in everything}
    response = await client.get(
        "/v1/expenses", headers=auth, params=[("types", t) for t in LEGACY_TYPES]
    )
    assert response.json()["metadata"]["pageInfo"]["totalCount"] == 70
    some = await _all_expenses(client, auth, types="CASHBACK,BILL_INVOICE_PAYMENT")
    assert some
    assert {e["type"] for e in some} == {"CASHBACK", "BILL_INVOICE_PAYMENT"}


async def test_card_transaction_only_on_card_expenses_with_state_and_merchant(
    client, companies, sandbox_app
):
    """Non-card expenses have cardTransaction null; card ones a state and the merchant the
    Export API shows: the vendor under vendor bookkeeping, else the supplier (A.1, A.7)."""
    state = runtime_of(sandbox_app).state
    expenses = await _all_expenses(client, legacy_auth(companies[0]))
    cards = [e for e in expenses if e["type"] == "CARD"]
    assert cards
    assert all(e["cardTransaction"] is None for e in expenses if e["type"] != "CARD")
    for expense in cards:
        card = expense["cardTransaction"]
        assert card["state"] in {"PRESENTMENT", "REFUND", "CHARGE_BACK"}
        assert card["settledAt"] == expense["performedAt"]
        entry = state.entries[expense["id"]]
        vendor = entry.vendor if state.vendor_exposed(entry) else None
        supplier = entry.item.get("supplier") or {}
        assert card["merchant"]["id"] == (vendor["id"] if vendor else None)
        expected_name = (vendor or {}).get("name") or supplier.get("name") or ""
        assert card["merchant"]["name"] == expected_name


async def test_legacy_put_never_changes_v3_item_statuses(client, companies, sandbox_app):
    """A legacy PUT sets the expense's legacy status only; v3 items keep theirs, and a later v3
    change wins again."""
    company = companies[0]
    auth = basic(company["apiKey"])
    job = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"][0]
    entry_id = (await client.get(f"/sandbox/jobs/{job['id']}")).json()["items"][0][
        "accountingEntryId"
    ]
    put = await client.put(
        "/v1/expenses",
        headers=legacy_auth(company),
        json={"expenseIds": [entry_id], "status": "EXPORTED"},
    )
    assert put.status_code == 200
    assert isinstance(put.json(), dict)
    items = (await client.get(f"/sandbox/jobs/{job['id']}")).json()["items"]
    assert {item["status"] for item in items} == {"pending"}
    single = await client.get(f"/v1/expenses/{entry_id}", headers=legacy_auth(company))
    assert single.json()["status"] == "EXPORTED"
    await start_job(client, auth, job["id"])
    await send(
        client,
        "PUT",
        f"/v3/export-jobs/{job['id']}/items",
        auth,
        body=[{"accountingEntryId": entry_id, "status": "in_progress"}],
    )
    again = await client.get(f"/v1/expenses/{entry_id}", headers=legacy_auth(company))
    assert again.json()["status"] == "EXPORTING"


async def test_legacy_calls_are_counted_apart_from_v3_writes(client, companies):
    """Stats name legacy calls legacy:<operationId>: legacy PUTs count as no Export API write,
    v3 writes count under their own operationIds."""
    company = companies[0]
    await client.post("/sandbox/stats/reset")
    ids = [e["id"] for e in (await _all_expenses(client, legacy_auth(company)))[:2]]
    await client.put(
        "/v1/expenses",
        headers=legacy_auth(company),
        json={"expenseIds": ids, "status": "EXPORTING"},
    )
    await client.put(
        f"/v1/expenses/{ids[0]}", headers=legacy_auth(company), json={"status": "QUEUED"}
    )
    await client.get(f"/v1/expenses/{ids[0]}", headers=legacy_auth(company))
    await client.get("/v1/accounts", headers=legacy_auth(company))
    legacy_only = (await client.get("/sandbox/stats")).json()["byOperation"]
    assert legacy_only == {
        "legacy:getExpenses": 3,
        "legacy:updateExpenses": 1,
        "legacy:updateExpense": 1,
        "legacy:getExpense": 1,
        "legacy:getAccounts": 1,
    }
    assert not set(legacy_only) & V3_WRITES
    auth = basic(company["apiKey"])
    job = (await send(client, "GET", "/v3/export-jobs", auth)).json()["data"][0]
    await start_job(client, auth, job["id"])
    both = (await client.get("/sandbox/stats")).json()["byOperation"]
    assert set(both) & V3_WRITES == {"createExportJobEventV3"}
    assert both["getExportJobsListV3"] == 1

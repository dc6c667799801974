"""What the sandbox's legacy API holds beyond the v3 data: legacy-only values, noise between
reads, and the disagreement knob a comparison test can turn."""

from __future__ import annotations

from typing import Any

import httpx

from adapter.sandbox.legacy_facts import NOISE_EVERY
from tests.support.openapi import assert_exception_info
from tests.support.sandbox import basic, bearer, client_for, make_app, runtime_of, send


async def _expenses(client: httpx.AsyncClient, company: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/expenses", headers=bearer(company["legacyToken"]), params={"pageSize": 100000}
    )
    assert response.status_code == 200, response.text
    expenses: list[dict[str, Any]] = response.json()["expenses"]
    return expenses


async def test_fields_v3_lacks_hold_values_like_the_real_legacy_api():
    """Card expenses carry an authorization before settlement; some expenses have a document
    number (invoices: their invoice number) and a few a deletedAt."""
    app = make_app(items_per_job=100)
    state = runtime_of(app).state
    async with client_for(app) as client:
        companies = (await client.get("/sandbox/companies")).json()
        expenses = [e for company in companies for e in await _expenses(client, company)]
    cards = [e["cardTransaction"] for e in expenses if e["cardTransaction"]]
    assert cards
    assert all(card["authorizedAt"] < card["settledAt"] for card in cards)
    assert {card["state"] for card in cards} == {"PRESENTMENT", "REFUND", "CHARGE_BACK"}
    assert all(card["reversedAt"] is None for card in cards)
    documents = [e for e in expenses if e["supplier"]["documentNumber"] is not None]
    assert 0 < len(documents) < len(expenses)
    for expense in documents:
        invoice = (
            state.entries[expense["id"]].item["additionalInformation"].get("invoiceInformation")
        )
        if invoice is not None:
            assert expense["supplier"]["documentNumber"] == invoice["invoiceNumber"]
    deleted = [e for e in expenses if e["deletedAt"] is not None]
    assert 0 < len(deleted) < len(expenses) / 10
    assert all(e["deletedAt"] > e["performedAt"] for e in deleted)


async def test_legacy_only_values_are_fixed_by_the_seed():
    """Two sandboxes of one seed show the same legacy expenses; another seed differs."""
    views = []
    for seed in (7, 7, 8):
        async with client_for(make_app(seed=seed)) as client:
            company = (await client.get("/sandbox/companies")).json()[0]
            views.append(await _expenses(client, company))
    assert views[0] == views[1]
    assert views[0] != views[2]


async def test_every_seventh_expense_moves_its_updated_at_on_each_read(
    client, companies, sandbox_app
):
    """Between two reads only the updatedAt of every 7th entry changes (the documented noise);
    everything else, and every other expense, reads the same."""
    state = runtime_of(sandbox_app).state
    first = {e["id"]: e for e in await _expenses(client, companies[0])}
    second = {e["id"]: e for e in await _expenses(client, companies[0])}
    moved = {i for i in first if first[i]["updatedAt"] != second[i]["updatedAt"]}
    noisy = {i for i in first if (state.entries[i].seq + 1) % NOISE_EVERY == 0}
    assert moved == noisy
    assert 0 < len(noisy) < len(first)
    for expense_id, expense in first.items():
        assert {**expense, "updatedAt": None} == {**second[expense_id], "updatedAt": None}
        if expense_id in noisy:
            assert second[expense_id]["updatedAt"] > expense["updatedAt"] > expense["createdAt"]
        else:
            assert expense["updatedAt"] == expense["createdAt"] == expense["performedAt"]


async def test_disagreements_change_what_the_legacy_api_shows_and_nothing_else(client, companies):
    """A disagreement rule shows its value on the named field of the named expenses only; the
    Export API and the legacy filters still see the real data; DELETE removes every rule."""
    company = companies[0]
    auth = bearer(company["legacyToken"])
    items = (
        await send(
            client, "GET", "/v3/export-items", basic(company["apiKey"]), params={"limit": 100}
        )
    ).json()["data"]
    chosen = [items[0]["accountingEntryId"], items[3]["accountingEntryId"]]
    before = await _expenses(client, company)
    original = {e["id"]: e for e in before}
    rules: list[dict[str, Any]] = [
        {"field": "amountSettled.value", "expenseIds": chosen, "value": 0},
        {"field": "note", "expenseIds": chosen[:1], "value": "changed"},
        {"field": "lines[].accountId", "expenseIds": chosen[1:], "value": None},
        {"field": "status", "expenseIds": chosen, "value": "EXPORTED"},
    ]
    for rule in rules:
        added = await client.post("/sandbox/legacy/disagreements", json=rule)
        assert added.status_code == 201, added.text
    listed = (await client.get("/sandbox/legacy/disagreements")).json()["disagreements"]
    assert listed == [{**rule, "expenseIds": sorted(rule["expenseIds"])} for rule in rules]
    after = {e["id"]: e for e in await _expenses(client, company)}
    assert [after[i]["amountSettled"]["value"] for i in chosen] == [0, 0]
    assert after[chosen[0]]["note"] == "changed"
    assert all(line["accountId"] is None for line in after[chosen[1]]["lines"])
    assert after[chosen[1]]["note"] == original[chosen[1]]["note"]
    single = (await client.get(f"/v1/expenses/{chosen[0]}", headers=auth)).json()
    assert single["amountSettled"]["value"] == 0
    untouched = [e for e in before if e["id"] not in chosen]
    assert all(after[e["id"]]["amountSettled"] == e["amountSettled"] for e in untouched)
    exported = await client.get("/v1/expenses", headers=auth, params={"status": "EXPORTED"})
    assert exported.json()["expenses"] == []
    items = (
        await send(
            client, "GET", "/v3/export-items", basic(company["apiKey"]), params={"limit": 100}
        )
    ).json()["data"]
    item = next(i for i in items if i["accountingEntryId"] == chosen[0])
    assert item["amount"]["inWalletCurrency"]["value"] != 0
    cleared = await client.delete("/sandbox/legacy/disagreements")
    assert cleared.json() == {"disagreements": []}
    restored = {e["id"]: e for e in await _expenses(client, company)}
    assert restored[chosen[0]]["amountSettled"] == original[chosen[0]]["amountSettled"]


async def test_disagreement_rules_are_checked_before_they_apply(client, companies):
    """Unknown expenses are 404; a path that reaches no field, bad syntax or no value are 400."""
    expenses = await _expenses(client, companies[0])
    card = next(e for e in expenses if e["cardTransaction"])["id"]
    other = next(e for e in expenses if e["cardTransaction"] is None)["id"]
    unknown = await client.post(
        "/sandbox/legacy/disagreements",
        json={"field": "note", "expenseIds": ["nope"], "value": "x"},
    )
    assert_exception_info(unknown, 404, "EXPENSE_NOT_FOUND")
    for body in (
        {"field": "cardTransaction.state", "expenseIds": [card, other], "value": "REFUND"},
        {"field": "noSuchField", "expenseIds": [card], "value": 1},
        {"field": "amount settled", "expenseIds": [card], "value": 1},
        {"field": "note", "expenseIds": [], "value": 1},
        {"field": "note", "expenseIds": [card]},
    ):
        refused = await client.post("/sandbox/legacy/disagreements", json=body)
        assert_exception_info(refused, 400, "BAD_REQUEST")
    card_rule = {"field": "cardTransaction.state", "expenseIds": [card], "value": "REFUND"}
    assert (await client.post("/sandbox/legacy/disagreements", json=card_rule)).status_code == 201

"""Behaviour of the legacy reference resources, receipts, balance and health of the sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.openapi import assert_legacy_error
from tests.support.sandbox import basic, legacy_auth, make_app, runtime_of, send, start_job


async def _get(client: httpx.AsyncClient, auth: dict[str, str], url: str, **params: Any) -> Any:
    response = await client.get(url, headers=auth, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _directory(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, set[str]]:
    everything = {"pageSize": 100000}
    groups = await _get(client, auth, "/v1/tag-groups")
    tags = {
        (tag["id"], group["id"])
        for group in groups
        for tag in await _get(client, auth, f"/v1/tag-groups/{group['id']}/tags")
    }
    return {
        "accounts": {
            a["id"] for a in (await _get(client, auth, "/v1/accounts", **everything))["accounts"]
        },
        "taxCodes": {t["id"] for t in (await _get(client, auth, "/v1/tax-codes"))["taxCodes"]},
        "employees": {
            e["id"] for e in (await _get(client, auth, "/v1/employees", **everything))["employees"]
        },
        "teams": {t["id"] for t in (await _get(client, auth, "/v1/teams", **everything))["teams"]},
        "tags": {f"{tag}/{group}" for tag, group in tags},
    }


async def test_every_id_an_expense_or_export_item_shows_resolves(client, companies):
    """Accounts, tax codes, tags with their groups, employees and teams of every v3 export item
    and every legacy expense exist in the legacy reference resources."""
    for company in companies:
        auth = legacy_auth(company)
        known = await _directory(client, auth)
        used: dict[str, set[str | None]] = {kind: set() for kind in known}
        expenses = (await _get(client, auth, "/v1/expenses", pageSize=100000))["expenses"]
        for expense in expenses:
            for line in expense["lines"]:
                used["accounts"].add(line["accountId"])
                used["taxCodes"].add(line["taxCodeId"])
                used["tags"].update(f"{t['id']}/{t['tagGroupId']}" for t in line["tagIds"])
            used["employees"].add(expense["employeeId"])
            used["teams"].add(expense["departmentId"])
        items = (
            await send(
                client, "GET", "/v3/export-items", basic(company["apiKey"]), params={"limit": 100}
            )
        ).json()["data"]
        assert items
        for item in items:
            for line in item["accountingEntryLines"]:
                used["accounts"].add((line["account"] or {}).get("id"))
                used["taxCodes"].add((line["tax"] or {}).get("id"))
                used["tags"].update(f"{t['id']}/{t['groupCode']}" for t in line["tags"] or [])
            used["accounts"].add((item.get("contraAccount") or {}).get("id"))
            used["employees"].add((item["user"] or {}).get("id"))
            used["teams"].add((item["team"] or {}).get("id"))
        for kind, ids in used.items():
            shown = ids - {None}  # an absent block shows no id
            assert shown, kind
            assert shown <= known[kind], kind


async def test_entries_added_later_resolve_too(client, companies):
    """Entries added through the admin API use accounts the legacy API knows."""
    company = companies[1]
    await client.post(f"/sandbox/companies/{company['companyId']}/entries", json={"count": 300})
    known = await _directory(client, legacy_auth(company))
    expenses = (await _get(client, legacy_auth(company), "/v1/expenses", pageSize=100000))[
        "expenses"
    ]
    assert len(expenses) == 2 * 25 + 20 + 300
    accounts = {line["accountId"] for e in expenses for line in e["lines"]} - {None}
    assert accounts <= known["accounts"]


async def test_tags_are_grouped_by_group_code_and_employees_have_teams(client, companies):
    """Tag groups are the v3 group codes with their tags; each employee's team exists."""
    auth = legacy_auth(companies[0])
    groups = await _get(client, auth, "/v1/tag-groups")
    assert [group["id"] for group in groups] == ["PROJECT", "COSTCENTRE"]
    tags = await _get(client, auth, "/v1/tag-groups/PROJECT/tags")
    code_attribute = groups[0]["tagAttributes"][0]["id"]
    assert [t["attributeValues"][0] for t in tags] == [
        {"attributeId": code_attribute, "value": code} for code in ("APOLLO", "GEMINI", "MERCURY")
    ]
    teams = {t["id"]: t for t in (await _get(client, auth, "/v1/teams", pageSize=100))["teams"]}
    employees = (await _get(client, auth, "/v1/employees"))["employees"]
    for employee in employees:
        assert employee["teamId"] in teams
        assert employee in teams[employee["teamId"]]["employees"]
    assert len({employee["email"] for employee in employees}) == len(employees)


@pytest.mark.parametrize(
    ("collection", "create", "update", "envelope"),
    [
        ("/v1/employees", {"email": "ada@example.test"}, {"firstName": "Ada"}, "employees"),
        ("/v1/teams", {"name": "Legal"}, {"name": "Legal and Compliance", "code": "T9"}, "teams"),
        (
            "/v1/account-groups",
            {"name": "Consultancy", "typeKey": "services_and_consultancy"},
            {"hidden": True},
            "accountGroups",
        ),
        (
            "/v1/account-categories",
            {"name": "Gear", "typeKey": "equipment_and_hardware"},
            {"name": "Hardware"},
            "accountGroups",
        ),
        (
            "/v1/tag-groups",
            {"name": "Region", "tagAttributes": [{"name": "Code"}]},
            {"name": "Area"},
            None,
        ),
    ],
)
async def test_resources_can_be_created_read_updated_and_deleted(
    client, companies, collection, create, update, envelope
):
    """A created record is listed and readable, an update merges fields, a delete removes it."""
    auth = legacy_auth(companies[0])
    created = await client.post(collection, headers=auth, json=create)
    assert created.status_code == 200, created.text
    record_id = created.json()["id"]
    url = f"{collection}/{record_id}"
    listing = await _get(client, auth, collection, pageSize=1000)
    listed = listing[envelope] if envelope else listing
    assert record_id in {record["id"] for record in listed}
    method = "PATCH" if collection == "/v1/tag-groups" else "PUT"
    updated = await client.request(method, url, headers=auth, json=update)
    assert updated.status_code == 200, updated.text
    read = await _get(client, auth, url)
    assert {key: read[key] for key in update} == update
    assert (await client.delete(url, headers=auth)).json() == {}
    assert_legacy_error(await client.get(url, headers=auth), 404)
    other = legacy_auth(companies[1])
    assert record_id not in str(await _get(client, other, collection, pageSize=1000))


async def test_accounts_validate_their_references(client, companies):
    """Creating an account needs a name and an existing account group; an update merges."""
    auth = legacy_auth(companies[0])
    group = (await _get(client, auth, "/v1/account-groups"))["accountGroups"][0]["id"]
    missing = await client.post("/v1/accounts", headers=auth, json={"name": "X"})
    assert_legacy_error(missing, 400)
    dangling = await client.post(
        "/v1/accounts", headers=auth, json={"name": "X", "accountCategoryId": "nope"}
    )
    assert_legacy_error(dangling, 400)
    wrong_type = await client.post(
        "/v1/accounts", headers=auth, json={"name": 5, "accountCategoryId": group}
    )
    assert_legacy_error(wrong_type, 400)
    created = await client.post(
        "/v1/accounts",
        headers=auth,
        json={"name": "Consulting", "accountNumber": "6550", "accountCategoryId": group},
    )
    account = created.json()
    assert account["hidden"] is False
    renamed = await client.put(
        f"/v1/accounts/{account['id']}", headers=auth, json={"name": "Advisory"}
    )
    assert renamed.json() == {**account, "name": "Advisory"}
    in_group = await _get(client, auth, f"/v1/account-groups/{group}")
    assert account["id"] in {a["id"] for a in in_group["accounts"]}


async def test_tag_rules_follow_the_document(client, companies):
    """A tag in use cannot be deleted; archiving hides a group; a plain delete drops its tags."""
    auth = legacy_auth(companies[0])
    used_tag = (await _get(client, auth, "/v1/expenses", pageSize=1000))["expenses"]
    tag = next(t for e in used_tag for t in e["tagIds"])
    in_use = await client.delete(
        f"/v1/tag-groups/{tag['tagGroupId']}/tags/{tag['id']}", headers=auth
    )
    assert_legacy_error(in_use, 409)
    group = (await _get(client, auth, "/v1/tag-groups"))[0]
    attribute = group["tagAttributes"][0]["id"]
    wrong = await client.post(
        f"/v1/tag-groups/{group['id']}/tags",
        headers=auth,
        json={"attributeValues": [{"attributeId": "nope", "value": "X"}]},
    )
    assert_legacy_error(wrong, 400)
    created = await client.post(
        f"/v1/tag-groups/{group['id']}/tags",
        headers=auth,
        json={"attributeValues": [{"attributeId": attribute, "value": "ZEUS"}]},
    )
    hidden = await client.patch(
        f"/v1/tag-groups/{group['id']}/tags/{created.json()['id']}",
        headers=auth,
        json={"hidden": True},
    )
    assert hidden.json()["hidden"] is True
    shown = await _get(client, auth, f"/v1/tag-groups/{group['id']}/tags")
    assert created.json()["id"] not in {t["id"] for t in shown}
    only_hidden = await _get(client, auth, f"/v1/tag-groups/{group['id']}/tags", hidden="true")
    assert [t["id"] for t in only_hidden] == [created.json()["id"]]
    renamed = await client.patch(
        f"/v1/tag-groups/{group['id']}",
        headers=auth,
        json={"tagAttributes": [{"id": attribute, "name": "Key"}]},
    )
    assert renamed.json()["tagAttributes"][0] == {**group["tagAttributes"][0], "name": "Key"}
    archived = await client.delete(f"/v1/tag-groups/{group['id']}?archive=true", headers=auth)
    assert archived.status_code == 200
    assert group["id"] not in {g["id"] for g in await _get(client, auth, "/v1/tag-groups")}
    assert group["id"] in {
        g["id"] for g in await _get(client, auth, "/v1/tag-groups", archived="true")
    }
    await client.delete(f"/v1/tag-groups/{group['id']}", headers=auth)
    assert_legacy_error(await client.get(f"/v1/tag-groups/{group['id']}/tags", headers=auth), 404)


async def test_team_membership_moves_employees(client, companies):
    """PUT/DELETE /teams/{id}/employees/{id} set and clear the employee's team."""
    auth = legacy_auth(companies[0])
    employee = (await _get(client, auth, "/v1/employees"))["employees"][0]
    team = (await client.post("/v1/teams", headers=auth, json={"name": "Legal"})).json()
    assert team["employees"] == []
    added = await client.put(f"/v1/teams/{team['id']}/employees/{employee['id']}", headers=auth)
    assert added.json() == {}
    members = (await _get(client, auth, f"/v1/teams/{team['id']}"))["employees"]
    assert [m["id"] for m in members] == [employee["id"]]
    await client.delete(f"/v1/teams/{team['id']}/employees/{employee['id']}", headers=auth)
    assert (await _get(client, auth, f"/v1/employees/{employee['id']}"))["teamId"] is None
    await client.put(f"/v1/teams/{team['id']}/employees/{employee['id']}", headers=auth)
    await client.delete(f"/v1/teams/{team['id']}", headers=auth)
    assert (await _get(client, auth, f"/v1/employees/{employee['id']}"))["teamId"] is None
    created = await client.post("/v1/employees", headers=auth, json={"email": "new@example.test"})
    assert list(created.json()) == ["id"]


async def test_receipts_are_the_expense_files_with_fresh_signed_urls(
    client, companies, sandbox_app
):
    """Receipts have the ids receiptIds shows, size in KB, and a URL signed anew on each read."""
    state = runtime_of(sandbox_app).state
    auth = legacy_auth(companies[0])
    expenses = (await _get(client, auth, "/v1/expenses", pageSize=1000))["expenses"]
    expense = next(e for e in expenses if len(e["receiptIds"]) >= 1)
    files = state.entries[expense["id"]].item["files"]
    receipts = await _get(client, auth, f"/v1/expenses/{expense['id']}/receipts")
    assert [r["id"] for r in receipts] == expense["receiptIds"]
    assert [r["size"] for r in receipts] == [round(f["size"] / 1024, 2) for f in files]
    assert [r["mimeType"] for r in receipts] == [f["type"] for f in files]
    one = await _get(client, auth, f"/v1/expenses/{expense['id']}/receipts/{receipts[0]['id']}")
    assert {**one, "url": None} == {**receipts[0], "url": None}
    assert one["url"] != receipts[0]["url"]
    assert one["url"].split("?")[0] == receipts[0]["url"].split("?")[0]
    unknown = await client.get(f"/v1/expenses/{expense['id']}/receipts/nope", headers=auth)
    assert_legacy_error(unknown, 404)
    bare = next(e for e in expenses if not e["receiptIds"])
    assert await _get(client, auth, f"/v1/expenses/{bare['id']}/receipts") == []


async def test_health_and_balance_are_fixed_by_the_seed(client, companies):
    """Health says UP; the balance is in the primary wallet currency and fixed by the seed."""
    auth = legacy_auth(companies[0])
    assert await _get(client, auth, "/v1/health") == {"status": "UP"}
    balance = await _get(client, auth, "/v1/companies/balance")
    assert balance["currency"] == companies[0]["walletCurrencies"][0]
    assert balance["current"] >= balance["available"] > 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_app()), base_url="http://again.test"
    ) as again:
        assert await _get(again, auth, "/v1/companies/balance") == balance


async def test_v3_flow_is_untouched_by_legacy_writes(client, companies):
    """Legacy resource writes leave the v3 export items as they were."""
    v3 = basic(companies[0]["apiKey"])
    job = (await send(client, "GET", "/v3/export-jobs", v3)).json()["data"][0]
    before = (
        await send(client, "GET", "/v3/export-items", v3, params={"job_id": job["id"]})
    ).json()
    auth = legacy_auth(companies[0])
    account = (await _get(client, auth, "/v1/accounts"))["accounts"][0]
    await client.put(f"/v1/accounts/{account['id']}", headers=auth, json={"name": "Renamed"})
    await start_job(client, v3, job["id"])
    after = (await send(client, "GET", "/v3/export-items", v3, params={"job_id": job["id"]})).json()
    assert after["data"] == before["data"]

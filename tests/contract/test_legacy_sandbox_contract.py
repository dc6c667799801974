"""Contract tests: every path and method of Pleo's legacy document, served by the sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from adapter.sandbox.legacy_operations import LEGACY_OPERATIONS, UNDOCUMENTED
from tests.support.openapi import (
    LEGACY_SPEC,
    ContractViolation,
    assert_legacy_error,
    legacy_declared_statuses,
    spec_document,
    validate_legacy_exchange,
    validate_legacy_response,
)
from tests.support.sandbox import basic, bearer, send, start_job

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
DOCUMENTED = [op for op in LEGACY_OPERATIONS if op.operation_id not in UNDOCUMENTED]


def _document_operations() -> set[tuple[str, str, str]]:
    paths = spec_document(LEGACY_SPEC)["paths"]
    return {
        (method.upper(), path, operation["operationId"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }


def test_the_sandbox_serves_exactly_the_documents_operations():
    """Every path and method of legacy-expenses-v1.yaml is served, and nothing else but one."""
    served = {(op.method, op.path, op.operation_id) for op in DOCUMENTED}
    assert served == _document_operations()
    assert {op.operation_id for op in LEGACY_OPERATIONS} - {op[2] for op in served} == UNDOCUMENTED


async def _targets(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, str]:
    """Real ids for every path parameter, and a tag no expense uses (so it may be deleted)."""
    expenses = (await client.get("/v1/expenses", headers=auth, params={"pageSize": 1000})).json()
    with_receipt = next(e for e in expenses["expenses"] if e["receiptIds"])
    group = (await client.get("/v1/tag-groups/PROJECT", headers=auth)).json()
    tag = (await client.get("/v1/tag-groups/PROJECT/tags", headers=auth)).json()[0]
    free_tag = await client.post(
        "/v1/tag-groups/PROJECT/tags",
        headers=auth,
        json={"attributeValues": [{"attributeId": group["tagAttributes"][0]["id"], "value": "X"}]},
    )
    account = (await client.get("/v1/accounts", headers=auth)).json()["accounts"][0]
    return {
        "expenseId": with_receipt["id"],
        "receiptId": with_receipt["receiptIds"][0],
        "tagGroupId": "PROJECT",
        "tagAttributeId": group["tagAttributes"][0]["id"],
        "tagId": tag["id"],
        "freeTagId": free_tag.json()["id"],
        "employeeId": (await client.get("/v1/employees", headers=auth)).json()["employees"][0][
            "id"
        ],
        "accountId": account["id"],
        "accountCategoryId": account["accountCategoryId"],
        "teamId": (await client.get("/v1/teams", headers=auth)).json()["teams"][0]["id"],
        "taxCodeId": (await client.get("/v1/tax-codes", headers=auth)).json()["taxCodes"][0]["id"],
    }


def _body(operation_id: str, ids: dict[str, str]) -> Any:
    account = {"name": "Consulting", "accountNumber": "6550", "accountCategoryId": "{group}"}
    bodies: dict[str, Any] = {
        "updateExpenses": {"expenseIds": [ids["expenseId"]], "status": "EXPORTED"},
        "createTagGroup": {
            "name": "Region",
            "tagAttributes": [{"name": "Code", "displayOrder": 0}],
        },
        "updateTagGroup": {"name": "Projects", "archived": False},
        "createTag": {"attributeValues": [{"attributeId": ids["tagAttributeId"], "value": "ZEUS"}]},
        "updateTag": {"hidden": True, "displayOrder": 4},
        "createEmployee": {"email": "ada.lovelace@example.test"},
        "updateEmployee": {"firstName": "Ada", "jobTitle": None, "code": "E042"},
        "createAccount": {**account, "accountCategoryId": ids["accountCategoryId"]},
        "updateAccount": {"name": "Consulting", "hidden": True, "taxCodeId": ids["taxCodeId"]},
        "createAccountGroup": {"name": "Consultancy", "typeKey": "services_and_consultancy"},
        "updateAccountGroup": {"name": "Renamed", "hidden": False},
        "createTeam": {"name": "Legal", "code": "T09"},
        "updateTeam": {"name": "Growth", "code": None},
    }
    bodies["createAccountGroupV1_1"] = bodies["createAccountGroup"]
    bodies["updateAccountGroupV1_1"] = bodies["updateAccountGroup"]
    return bodies.get(operation_id)


def _url(path: str, ids: dict[str, str], operation_id: str, *, unknown_last: bool = False) -> str:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    values = {name: ids[name] for name in names}
    if operation_id == "deleteTag":
        values["tagId"] = ids["freeTagId"]  # a tag in use cannot be deleted
    if unknown_last and names:
        values[names[-1]] = UNKNOWN_ID
    return "/v1" + path.format(**values)


async def _call(
    client: httpx.AsyncClient, method: str, url: str, auth: dict[str, str], body: Any
) -> httpx.Response:
    headers = dict(auth)
    content = None
    if body is not None:
        content = orjson.dumps(body)
        headers["Content-Type"] = "application/json"
    return await client.request(method, url, headers=headers, content=content)


def _check(response: httpx.Response, status: int, *, check_request: bool = True) -> None:
    """Schema-validate a declared status; otherwise check the legacy error body."""
    request = response.request
    template = next(
        op.path
        for op in DOCUMENTED
        if op.method == request.method and _matches(op.path, request.url.path)
    )
    if str(status) in legacy_declared_statuses(request.method, template):
        assert response.status_code == status, response.text
        validate_legacy_exchange(response, check_request=check_request)
    else:
        assert_legacy_error(response, status)


def _matches(template: str, path: str) -> bool:
    parts, concrete = template.split("/"), path.removeprefix("/v1").split("/")
    return len(parts) == len(concrete) and all(
        t.startswith("{") or t == c for t, c in zip(parts, concrete, strict=True)
    )


@pytest.mark.parametrize("operation", DOCUMENTED, ids=lambda op: op.operation_id)
async def test_every_operation_answers_per_the_document(client, companies, operation):
    """Each operation answers 200 with a valid body, 401 without or with a bad token, and 404
    for an unknown id, every answer checked against the legacy document."""
    auth = bearer(companies[0]["legacyToken"])
    ids = await _targets(client, auth)
    body = _body(operation.operation_id, ids)
    url = _url(operation.path, ids, operation.operation_id)
    for wrong in ({}, bearer("not-a-legacy-token"), basic(companies[0]["apiKey"])):
        refused = await _call(client, operation.method, url, wrong, body)
        _check(refused, 401, check_request=False)
    if "{" in operation.path:
        missing = await _call(
            client,
            operation.method,
            _url(operation.path, ids, operation.operation_id, unknown_last=True),
            auth,
            body,
        )
        _check(missing, 404)
    answered = await _call(client, operation.method, url, auth, body)
    _check(answered, 200)


async def test_expense_pages_validate_in_every_status_and_filter(client, companies):
    """Every expense page validates, whatever the statuses, filters and paging asked for."""
    v3 = basic(companies[0]["apiKey"])
    job = (await send(client, "GET", "/v3/export-jobs", v3)).json()["data"][0]
    await start_job(client, v3, job["id"])
    items = (await client.get(f"/sandbox/jobs/{job['id']}")).json()["items"]
    updates = [
        {"accountingEntryId": items[0]["accountingEntryId"], "status": "in_progress"},
        {"accountingEntryId": items[1]["accountingEntryId"], "status": "successful"},
        {"accountingEntryId": items[2]["accountingEntryId"], "status": "failed"},
    ]
    await send(client, "PUT", f"/v3/export-jobs/{job['id']}/items", v3, body=updates)
    auth = bearer(companies[0]["legacyToken"])
    queries: list[Any] = [
        {"pageSize": 7, "pageOffset": 63},
        [("status", "QUEUED"), ("status", "EXPORTING"), ("pageSize", 100000)],
        [("types", "CARD"), ("types", "BILL_INVOICE_PAYMENT"), ("types", "CASHBACK")],
        {"dateFrom": "2026-04-01T00:00:00Z", "dateTo": "2026-05-01T00:00:00Z"},
        {"status": "EXPORTED"},
        {"transactionStates": "PRESENTMENT", "pageOffset": 500},
    ]
    for query in queries:
        response = await client.get("/v1/expenses", headers=auth, params=query)
        validate_legacy_exchange(response)
    seen: set[str] = set()
    offset: int | None = 0
    while offset is not None:
        response = await client.get(
            "/v1/expenses", headers=auth, params={"pageSize": 9, "pageOffset": offset}
        )
        validate_legacy_exchange(response)
        seen.update(e["status"] for e in response.json()["expenses"])
        offset = response.json()["metadata"]["pageInfo"]["nextPageOffset"]
    assert seen == {"QUEUED", "EXPORTING", "EXPORTED", "NOT_EXPORTED"}


async def test_the_validator_rejects_what_the_document_forbids(client, companies):
    """A null amountOriginal, a card state of null or a wrong error body fail validation."""
    auth = bearer(companies[0]["legacyToken"])
    response = await client.get("/v1/expenses", headers=auth, params={"types": "CARD"})
    validate_legacy_exchange(response)
    body = response.json()
    headers = dict(response.headers)
    broken_amount = {**body, "expenses": [{**body["expenses"][0], "amountOriginal": None}]}
    card = body["expenses"][0]
    broken_state = {
        **body,
        "expenses": [{**card, "cardTransaction": {**card["cardTransaction"], "state": None}}],
    }
    for broken in (broken_amount, broken_state):
        with pytest.raises(ContractViolation):
            validate_legacy_response("GET", "/v1/expenses", 200, headers, orjson.dumps(broken))
    wrong_error = orjson.dumps({"type": "UNAUTHORIZED", "message": "no"})
    with pytest.raises(ContractViolation):
        validate_legacy_response("GET", "/v1/expenses", 401, headers, wrong_error)


async def test_errors_outside_the_document_have_the_legacy_shape(client, companies):
    """Unknown routes, wrong methods and bad queries under /v1 answer the legacy error body."""
    auth = bearer(companies[0]["legacyToken"])
    assert_legacy_error(await client.get("/v1/no-such-thing", headers=auth), 404)
    assert_legacy_error(await client.get("/v1", headers=auth), 404)
    wrong_method = await client.delete("/v1/expenses", headers=auth)
    assert_legacy_error(wrong_method, 405)
    assert set(wrong_method.headers["allow"].split(", ")) >= {"GET", "PUT"}
    for query in ({"pageSize": 0}, {"pageOffset": -1}, {"types": "TRAVEL"}, {"dateFrom": "x"}):
        assert_legacy_error(await client.get("/v1/expenses", headers=auth, params=query), 400)
    bad_body = await client.put("/v1/expenses", headers=auth, json={"status": "EXPORTED"})
    assert_legacy_error(bad_body, 400)
    not_json = await client.put("/v1/expenses", headers=auth, content=b"{}")
    assert_legacy_error(not_json, 415)
    await client.post("/sandbox/faults", json={"status": 503, "path": "^/v1/accounts"})
    assert_legacy_error(await client.get("/v1/accounts", headers=auth), 503)

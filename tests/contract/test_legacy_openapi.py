"""The proxy's own /openapi.json and route table agree with Pleo's legacy document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from adapter.app import create_app
from adapter.passthrough import LEGACY_ROUTES
from adapter.settings import Settings
from adapter.web.openapi import openapi_document
from tests.support.legacy_contract import legacy_document, legacy_operations

# Pleo's schema name -> the proxy's, for the schemas both documents describe.
SAME_SCHEMAS = {
    "ExpenseResponse": "Expense",
    "ExpensesResponse": "ExpenseList",
    "Receipt": "Receipt",
    "ExpensesUpdateRequest": "ExpensesUpdateRequest",
    "ErrorResponse": "LegacyError",
}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = document["components"]["schemas"][name]
    return node


def _shape(document: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its null alternative (3.1 anyOf or 3.0 nullable), and nullability."""
    node = _resolve(document, node)
    options = node.get("anyOf")
    if options is not None:
        rest = [o for o in options if o.get("type") != "null"]
        nullable = len(rest) != len(options)
        assert len(rest) == 1, node
        return _resolve(document, rest[0]), nullable
    return node, bool(node.get("nullable"))


def _agree(ours: dict[str, Any], theirs: dict[str, Any], where: str, problems: list[str]) -> None:
    """Ours is a valid refinement of theirs: same types, enums within theirs, required fields
    required, null only where they allow it; recursing into properties and items both name."""
    mine, my_null = _shape(openapi_document(), ours)
    pleo, pleo_null = _shape(legacy_document(), theirs)
    if my_null and not pleo_null:
        problems.append(f"{where}: the proxy may send null, Pleo's document does not allow it")
    my_type, pleo_type = mine.get("type"), pleo.get("type")
    if (
        my_type
        and pleo_type
        and my_type != pleo_type
        and (my_type, pleo_type)
        != (
            "integer",
            "number",
        )
    ):
        problems.append(f"{where}: type {my_type} vs Pleo's {pleo_type}")
    if "enum" in pleo and not set(mine.get("enum", pleo["enum"])) <= set(pleo["enum"]):
        problems.append(f"{where}: enum values Pleo's document does not have")
    if "enum" in pleo and "enum" not in mine:
        problems.append(f"{where}: Pleo's enum is not described")
    missing = set(pleo.get("required", [])) - set(mine.get("required", []))
    if missing:
        problems.append(f"{where}: Pleo requires {sorted(missing)}, the proxy does not")
    for name, schema in pleo.get("properties", {}).items():
        if name in mine.get("properties", {}):
            _agree(mine["properties"][name], schema, f"{where}.{name}", problems)
        elif mine.get("properties"):
            problems.append(f"{where}.{name}: in Pleo's document, not in the proxy's")
    if "items" in pleo and "items" in mine:
        _agree(mine["items"], pleo["items"], f"{where}[]", problems)


def test_the_document_is_valid_openapi() -> None:
    """/openapi.json is a valid OpenAPI 3.1 document."""
    validate(openapi_document())


async def test_the_document_is_served_at_openapi_json() -> None:
    """GET /openapi.json answers the generated document without a credential."""
    app = create_app(Settings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://proxy.test"
    ) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() == openapi_document()["paths"].keys()


def test_the_route_table_is_exactly_the_documents_operations() -> None:
    """Every path and method of Pleo's document has a route; the proxy adds only one."""
    documented = {(m, r.path) for r in LEGACY_ROUTES if r.documented for m in r.methods}
    extra = {(m, r.path) for r in LEGACY_ROUTES if not r.documented for m in r.methods}
    assert documented == set(legacy_operations())
    assert extra == {("PUT", "/v1/expenses/{expenseId}")}


def test_every_path_parameter_and_query_parameter_agrees() -> None:
    """Each operation both documents describe has the same parameters, types and enums."""
    problems: list[str] = []
    ours = openapi_document()["paths"]
    for path, item in legacy_document()["paths"].items():
        mine = ours[f"/v1{path}"]
        for method, operation in item.items():
            my_parameters = {
                (p["name"], p["in"]): p
                for p in mine.get("parameters", []) + mine[method].get("parameters", [])
            }
            for parameter in operation.get("parameters", []):
                key = (parameter["name"], parameter["in"])
                where = f"{method.upper()} {path} {key}"
                if key not in my_parameters:
                    if mine[method]["tags"] == ["translated"]:
                        problems.append(f"{where}: not described")
                    continue
                if parameter.get("required", False) != my_parameters[key]["required"]:
                    problems.append(f"{where}: required differs")
                _agree(my_parameters[key]["schema"], parameter["schema"], where, problems)
    assert problems == []


@pytest.mark.parametrize(("theirs", "ours"), sorted(SAME_SCHEMAS.items()))
def test_every_schema_both_describe_agrees(theirs: str, ours: str) -> None:
    """Required fields, nullability, enums and types of each shared schema agree."""
    problems: list[str] = []
    _agree(
        {"$ref": f"#/components/schemas/{ours}"},
        {"$ref": f"#/components/schemas/{theirs}"},
        theirs,
        problems,
    )
    assert problems == []


def test_the_translated_answers_use_the_shared_schemas() -> None:
    """The 200 answers of the translated operations are the schemas compared above."""
    paths = openapi_document()["paths"]
    content = "application/json; charset=utf-8"

    def schema(path: str, method: str) -> Any:
        return paths[path][method]["responses"]["200"]["content"][content]["schema"]

    assert schema("/v1/expenses", "get") == {"$ref": "#/components/schemas/ExpenseList"}
    assert schema("/v1/expenses/{expenseId}", "get") == {"$ref": "#/components/schemas/Expense"}
    receipt = {"$ref": "#/components/schemas/Receipt"}
    assert schema("/v1/expenses/{expenseId}/receipts", "get")["items"] == receipt


def test_the_proxys_additions_are_described() -> None:
    """X-Request-Id on every answer, and 413/415/501/502/503/504 where they can happen."""
    paths = openapi_document()["paths"]
    put = paths["/v1/expenses"]["put"]["responses"]
    assert {"413", "415", "502", "503", "504"} <= set(put)
    assert "501" in paths["/v1/accounts"]["get"]["responses"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, answer in operation["responses"].items():
                assert "X-Request-Id" in answer["headers"], (path, method, status)

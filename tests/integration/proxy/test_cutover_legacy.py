"""Legacy mode: expense calls go to Pleo's legacy API unchanged, and its answers come back so."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.cutover import cutover_text, mode_of
from tests.support.cutover_stack import cutover_stack
from tests.support.legacy_errors import assert_legacy_error

LEGACY_EVERYWHERE = cutover_text("legacy")


async def test_the_request_reaches_the_legacy_api_unchanged(tmp_path: Path) -> None:
    """Method, path, raw query, body, Authorization, Content-Type and Accept go out as sent;
    hop-by-hop and other headers do not; nothing goes to the Export API."""
    async with cutover_stack(tmp_path, LEGACY_EVERYWHERE) as stack:
        listed = await stack.proxy.get(
            "/v1/expenses?status=QUEUED&status=EXPORTING&pageSize=3&unknown=%C3%A9",
            headers=stack.auth() | {"Accept": "application/json", "Connection": "x-extra"},
        )
        expense_id = listed.json()["expenses"][0]["id"]
        body = b'{"expenseIds": ["' + expense_id.encode() + b'"], "status": "EXPORTING"}'
        updated = await stack.proxy.put(
            "/v1/expenses/",
            content=body,
            headers=stack.auth()
            | {"Content-Type": "application/json", "X-Extra": "private", "Upgrade": "h2c"},
        )

        get, put = stack.legacy.requests
        assert (listed.status_code, updated.status_code) == (200, 200)
        assert (get.method, get.url.path) == ("GET", "/v1/expenses")
        assert get.url.query == b"status=QUEUED&status=EXPORTING&pageSize=3&unknown=%C3%A9"
        assert get.headers["authorization"] == stack.auth()["Authorization"]
        assert get.headers["accept"] == "application/json"
        assert (put.method, put.url.path, put.content) == ("PUT", "/v1/expenses", body)
        assert put.headers["content-type"] == "application/json"
        assert {"x-extra", "upgrade"}.isdisjoint(k.lower() for k in put.headers)
        assert stack.v3.requests == []
        ledger = await stack.ledger()
        assert [(e["kind"], e["accountingEntryId"]) for e in ledger] == [
            ("legacy_update", expense_id)
        ]


@pytest.mark.parametrize(
    ("method", "path", "fault"),
    [
        ("GET", "/v1/expenses?status=QUEUED&pageSize=4", None),
        ("GET", "/v1/expenses/00000000-0000-4000-8000-000000000000", None),
        ("GET", "/v1/expenses?pageSize=0", None),
        ("PUT", "/v1/expenses", None),
        ("GET", "/v1/expenses?status=QUEUED", {"status": 503, "headers": {"Retry-After": "17"}}),
        ("GET", "/v1/expenses?status=QUEUED", {"status": 429, "headers": {"Retry-After": "3"}}),
    ],
)
async def test_answers_come_back_byte_for_byte_errors_included(
    tmp_path: Path, method: str, path: str, fault: dict[str, object] | None
) -> None:
    """Status, body bytes, Content-Type and Retry-After are the legacy API's own, whatever
    the status (its 400, 404, 429 and 503 included)."""
    async with cutover_stack(tmp_path, LEGACY_EVERYWHERE) as stack:
        if fault is not None:
            rule = {"path": "^/v1/expenses", "count": 2, **fault}
            assert (await stack.admin.post("/sandbox/faults", json=rule)).status_code == 201
        body = b'{"status": "EXPORTING"}' if method == "PUT" else None
        headers = stack.auth() | {"Content-Type": "application/json"}

        direct = await stack.admin.request(method, path, content=body, headers=headers)
        answer = await stack.proxy.request(method, path, content=body, headers=headers)

        assert answer.status_code == direct.status_code
        # What the legacy API sent the proxy (two reads differ by its updatedAt noise).
        assert answer.content == stack.legacy.bodies[-1]
        assert answer.headers["content-type"] == direct.headers["content-type"]
        assert answer.headers.get("retry-after") == direct.headers.get("retry-after")
        assert mode_of(answer) == "legacy"
        assert stack.v3.requests == []


def _failing_legacy(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/refused"):
        refused = "refused"
        raise httpx.ConnectError(refused, request=request)
    if request.url.path.endswith("/slow"):
        slow = "slow"
        raise httpx.ReadTimeout(slow, request=request)
    if request.url.path.endswith("/moved"):
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    return httpx.Response(502, text="<html>bad gateway</html>", headers={"Retry-After": "9"})


@pytest.mark.parametrize(
    ("expense", "status", "mentions"),
    [
        ("refused", 503, "cannot be reached"),
        ("slow", 504, "in time"),
        ("moved", 502, "redirected"),
        ("gateway", 502, "answered 502"),
    ],
)
async def test_legacy_failures_are_the_legacy_error_body_with_502_503_504(
    tmp_path: Path, expense: str, status: int, mentions: str
) -> None:
    """A refused connection, a timeout, a redirect or a gateway page from the legacy API is a
    503/504/502 in the legacy error body, like a v3 failure, and still says legacy."""
    async with cutover_stack(
        tmp_path, LEGACY_EVERYWHERE, legacy=httpx.MockTransport(_failing_legacy)
    ) as stack:
        answer = await stack.proxy.get(f"/v1/expenses/{expense}", headers=stack.auth())

        assert_legacy_error(answer, status, mentions=mentions)
        assert mode_of(answer) == "legacy"
        if expense == "gateway":
            assert answer.headers["retry-after"] == "9"
        assert stack.v3.requests == []


async def test_an_unknown_legacy_token_is_refused_before_it_travels(tmp_path: Path) -> None:
    """Credentials mode: a token not in the tenants file is a 401 and reaches no API."""
    async with cutover_stack(tmp_path, LEGACY_EVERYWHERE) as stack:
        answer = await stack.proxy.get("/v1/expenses", headers={"Authorization": "Bearer nope"})

        assert_legacy_error(answer, 401)
        assert mode_of(answer) == "legacy"
        assert stack.legacy.requests == stack.v3.requests == []


async def test_a_legacy_company_is_not_polled_by_scheduled_work(tmp_path: Path) -> None:
    """Legacy mode sends nothing to the Export API, the scheduled rounds included; a company
    in export mode is polled from start-up as before."""
    async with cutover_stack(tmp_path, LEGACY_EVERYWHERE) as stack:
        await stack.app.state.workflow.maintenance.run_all()
        legacy_round = list(stack.v3.requests)
    async with cutover_stack(tmp_path, cutover_text("export")) as stack:
        await stack.app.state.workflow.maintenance.run_all()
        export_round = list(stack.v3.requests)

    assert legacy_round == []
    assert {r.url.path for r in export_round} >= {"/v3/export-jobs"}

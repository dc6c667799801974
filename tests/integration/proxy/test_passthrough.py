"""Legacy routes the proxy does not translate are passed through to the legacy API, or 501."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from adapter.app import create_app
from adapter.passthrough import LEGACY_ROUTES, routes_by_handling
from adapter.sandbox.app import create_sandbox_app
from adapter.sandbox.config import SandboxConfig
from adapter.settings import Settings
from tests.support.credentials import write_credentials_file
from tests.support.harness import PROXY, SANDBOX
from tests.support.legacy_contract import validate_legacy_answer, validate_legacy_error
from tests.support.legacy_errors import assert_legacy_error

LEGACY = "http://legacy.test"
ACCOUNTS = {
    "accounts": [{"id": "acc-1", "name": "Meals", "accountCategoryId": "cat-1", "hidden": False}],
    "metadata": {"pageInfo": {"pageSize": 1, "totalCount": 1, "nextPageOffset": None}},
}


@dataclass
class Recorder:
    """What reached one upstream: every request, headers and body included."""

    requests: list[httpx.Request] = field(default_factory=list)

    def authorizations(self) -> set[str]:
        return {r.headers.get("authorization", "") for r in self.requests}


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.recorder.requests.append(request)
        return await self.inner.handle_async_request(request)


def _legacy_api(request: httpx.Request) -> httpx.Response:
    """A stand-in legacy API: accounts, a 404 of its own, a gateway page, a slow route."""
    path = request.url.path
    if path == "/v1/accounts":
        return httpx.Response(200, json=ACCOUNTS)
    if path == "/v1/tag-groups" and request.method == "POST":
        return httpx.Response(200, json={"id": "tg-1", "echo": request.content.decode()})
    if path == "/v1/companies/balance":
        return httpx.Response(503, text="<html>down</html>", headers={"Retry-After": "7"})
    if path == "/v1/teams":
        refused = "refused"
        raise httpx.ConnectError(refused, request=request)
    if path == "/v1/tax-codes":
        slow = "slow"
        raise httpx.ReadTimeout(slow, request=request)
    if path == "/v1/employees":
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})
    return httpx.Response(
        404,
        json={"statusCode": 404, "error": "Not Found", "message": "legacy says no"},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


@dataclass
class Stack:
    proxy: httpx.AsyncClient
    companies: list[dict[str, Any]]
    v3: Recorder
    legacy: Recorder

    def auth(self, company: int = 0) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.companies[company]['legacyToken']}"}


@pytest.fixture
async def stack(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The proxy in credentials mode, the sandbox as v3 and a stand-in legacy API, recorded."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    sandbox = create_sandbox_app(SandboxConfig(seed=3, companies=2, jobs_per_company=1))
    v3, legacy = Recorder(), Recorder()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        companies = (await admin.get("/sandbox/companies")).json()
    settings = Settings(
        export_api_url=SANDBOX,
        credentials_file=write_credentials_file(tmp_path / "credentials.toml", companies),
        poll_interval_seconds=3600,
        discovery_min_interval_seconds=0,
        **{"legacy_api_url": LEGACY, **overrides},
    )
    app = create_app(
        settings,
        export_transport=RecordingTransport(httpx.ASGITransport(app=sandbox), v3),
        legacy_transport=RecordingTransport(httpx.MockTransport(_legacy_api), legacy),
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=PROXY) as proxy,
    ):
        yield Stack(proxy, companies, v3, legacy)


async def test_accounts_are_passed_through_unchanged(stack: Stack) -> None:
    """GET /v1/accounts answers the legacy API's status, body and content type as they are."""
    response = await stack.proxy.get("/v1//accounts/", params={"pageSize": 5}, headers=stack.auth())
    assert response.status_code == 200
    assert response.json() == ACCOUNTS
    assert response.headers["content-type"] == "application/json"
    validate_legacy_answer(response, check_request=False)
    (sent,) = stack.legacy.requests
    assert (sent.method, sent.url.path, sent.url.query) == ("GET", "/v1/accounts", b"pageSize=5")


async def test_request_body_and_content_type_reach_the_legacy_api(stack: Stack) -> None:
    """A POST's body and Content-Type are forwarded; hop-by-hop and other headers are not."""
    response = await stack.proxy.post(
        "/v1/tag-groups",
        content=b'{"name": "Projects"}',
        headers=stack.auth()
        | {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Connection": "keep-alive, X-Secret",
            "X-Secret": "do-not-forward",
            "Cookie": "session=abc",
            "Upgrade": "h2c",
        },
    )
    assert response.json()["echo"] == '{"name": "Projects"}'
    (sent,) = stack.legacy.requests
    forwarded = {k.lower() for k in sent.headers}
    assert {"x-secret", "cookie", "upgrade"}.isdisjoint(forwarded)
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "application/json"


async def test_the_v3_credential_never_reaches_the_legacy_api_nor_the_token_v3(
    stack: Stack,
) -> None:
    """The legacy token goes only to the legacy origin; the tenant's v3 key only to v3."""
    token = stack.companies[0]["legacyToken"]
    await stack.proxy.get("/v1/expenses", headers=stack.auth())
    await stack.proxy.get("/v1/accounts", headers=stack.auth())
    await stack.proxy.get("/v1/tag-groups/x/tags/y", headers=stack.auth())
    assert stack.v3.requests
    assert stack.legacy.requests
    assert stack.legacy.authorizations() == {f"Bearer {token}"}
    assert all(token not in a for a in stack.v3.authorizations())
    assert all(a.startswith("Basic ") for a in stack.v3.authorizations())
    assert all(r.url.host == "legacy.test" for r in stack.legacy.requests)


async def test_an_unknown_legacy_token_is_refused_before_it_travels(stack: Stack) -> None:
    """In credentials mode a token not in the tenants file gets 401 and is sent nowhere."""
    response = await stack.proxy.get("/v1/accounts", headers={"Authorization": "Bearer nope"})
    assert_legacy_error(response, 401)
    assert stack.legacy.requests == []


async def test_a_legacy_answer_of_any_status_is_returned_unchanged(stack: Stack) -> None:
    """The legacy API's own 404 (already a legacy body) reaches the client as it is."""
    response = await stack.proxy.delete("/v1/accounts/acc-9", headers=stack.auth())
    assert response.json()["message"] == "legacy says no"
    assert_legacy_error(response, 404)


@pytest.mark.parametrize(
    ("path", "status", "mentions"),
    [
        ("/v1/companies/balance", 503, "answered 503"),
        ("/v1/teams", 503, "cannot be reached"),
        ("/v1/tax-codes", 504, "in time"),
        ("/v1/employees", 502, "redirected"),
    ],
)
async def test_legacy_failures_are_502_503_504_in_the_legacy_body(
    stack: Stack, path: str, status: int, mentions: str
) -> None:
    """Refused connections, timeouts, redirects and non-JSON errors get the legacy body."""
    response = await stack.proxy.get(path, headers=stack.auth())
    assert_legacy_error(response, status, mentions=mentions)
    if path == "/v1/companies/balance":
        assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize("stack", [{"legacy_api_url": None}], indirect=True)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        (method, route.path.replace("{", "x").replace("}", ""))
        for route in routes_by_handling("passthrough")
        if route.when_gone == "501"
        for method in route.methods
    ],
)
async def test_without_a_legacy_api_every_passthrough_route_is_501(
    stack: Stack, method: str, path: str
) -> None:
    """With ADAPTER_LEGACY_API_URL unset each passed-through route is a 501 naming itself."""
    response = await stack.proxy.request(method, path, headers=stack.auth())
    template = next(
        r.path for r in LEGACY_ROUTES if r.path.replace("{", "x").replace("}", "") == path
    )
    assert_legacy_error(response, 501, mentions=f"{method} {template}")
    validate_legacy_error(501, response.headers, response.content)


@pytest.mark.parametrize("stack", [{"legacy_api_url": None}], indirect=True)
async def test_without_a_legacy_api_health_is_the_proxys_own(stack: Stack) -> None:
    """GET /v1/health answers the document's HealthCheckResponse when the legacy API is gone."""
    response = await stack.proxy.get("/v1/health", headers=stack.auth())
    assert response.json() == {"status": "OK"}
    validate_legacy_answer(response)
    assert_legacy_error(await stack.proxy.get("/v1/health"), 401)


async def test_a_legacy_token_in_passthrough_mode_is_told_to_use_credentials_mode() -> None:
    """Without a credentials file (auto = passthrough) a legacy token gets a 401 saying how."""
    sandbox = create_sandbox_app(SandboxConfig(seed=3, companies=1, jobs_per_company=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox), base_url=SANDBOX
    ) as admin:
        (company,) = (await admin.get("/sandbox/companies")).json()
    settings = Settings(export_api_url=SANDBOX, poll_interval_seconds=3600)
    assert settings.resolved_auth_mode == "passthrough"
    app = create_app(settings, export_transport=httpx.ASGITransport(app=sandbox))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=PROXY) as proxy,
    ):
        response = await proxy.get(
            "/v1/expenses", headers={"Authorization": f"Bearer {company['legacyToken']}"}
        )
    assert_legacy_error(response, 401, mentions="configure credentials mode")

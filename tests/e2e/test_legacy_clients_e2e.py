"""Real legacy clients, unchanged, against the real proxy process in front of the real sandbox.

The published PyPI client ``pypleo`` hard-codes ``https://openapi.pleo.io``: it runs against the
proxy serving HTTPS with a certificate for that name, with the name resolved to the proxy (what
the README's DNS and certificate steps set up). The Go client generated from Pleo's legacy
document is re-created call for call (``tests/support/go_legacy_client.py``). Every answer is
validated against ``legacy-expenses-v1.yaml``; what Pleo received is read from the sandbox.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pypleo  # type: ignore[import-untyped]  # a small untyped client; only called, never subclassed
import pytest
import urllib3.util.connection

from tests.support.checks import assert_job_exported_once, item_status_for
from tests.support.credentials import write_credentials_file
from tests.support.go_legacy_client import GoLegacyClient
from tests.support.legacy_contract import validate_legacy_answer
from tests.support.legacy_errors import assert_legacy_error
from tests.support.processes import ManagedProcess, Sandbox, SandboxFactory, start_proxy
from tests.support.tls import LEGACY_HOST, TlsFiles, make_tls_files

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@contextlib.contextmanager
def _proxy(
    tmp_path: Path, sandbox: Sandbox, *, legacy: bool = True, tls: TlsFiles | None = None
) -> Iterator[ManagedProcess]:
    proxy = start_proxy(
        tmp_path / "logs",
        sandbox_url=sandbox.url,
        credentials_file=write_credentials_file(tmp_path / "tenants.toml", sandbox.companies),
        auth_mode="auto",
        legacy_api_url=sandbox.url if legacy else None,
        tls=(tls.certificate, tls.key, tls.ca) if tls is not None else None,
    )
    try:
        yield proxy
    finally:
        proxy.stop()
        print(f"--- {proxy.log_path.name}\n{proxy.log_tail()}")


def test_go_client_pages_a_250_expense_job_and_completes_it_once(
    start_sandbox_process: SandboxFactory, tmp_path: Path
) -> None:
    """Paging on nextPageOffset until null returns all 250; EXPORTING then EXPORTED complete
    the job once; every answer validates against Pleo's legacy document."""
    sandbox = start_sandbox_process(companies=1, jobs=1, items=250)
    (company,) = sandbox.companies
    (job,) = sandbox.v3_jobs(company)
    with _proxy(tmp_path, sandbox) as proxy:
        client = GoLegacyClient(proxy.url, company["legacyToken"])
        try:
            ids: list[str] = []
            offset: int | None = 0
            while offset is not None:
                page = client.get_expenses(status=["QUEUED", "EXPORTING"], page_offset=offset)
                assert page.status_code == 200, page.text
                ids += [e["id"] for e in page.json()["expenses"]]
                offset = page.json()["metadata"]["pageInfo"]["nextPageOffset"]
            assert len(ids) == len(set(ids)) == 250
            assert client.get_expense(ids[0]).json()["id"] == ids[0]
            for status in ("EXPORTING", "EXPORTED"):
                answer = client.update_expenses(ids, status)
                assert answer.status_code == 200, answer.text
                assert "errors" not in answer.json()
            for exchange in client.exchanges:
                assert exchange.request.url.raw_path.startswith(b"/v1//expenses")
                validate_legacy_answer(exchange)
        finally:
            client.close()
    expected = {i: item_status_for("EXPORTED") for i in ids}
    assert_job_exported_once(sandbox.ledger(company["companyId"]), job["id"], expected, "completed")


def test_accounts_pass_through_unchanged_and_are_501_without_a_legacy_api(
    start_sandbox_process: SandboxFactory, tmp_path: Path
) -> None:
    """GET /v1/accounts through the proxy is what the sandbox's legacy API answers, byte for
    byte; with no legacy API configured it is a 501 in the legacy error body."""
    sandbox = start_sandbox_process(companies=1, jobs=1, items=3)
    token = {"Authorization": f"Bearer {sandbox.companies[0]['legacyToken']}"}
    direct = httpx.get(f"{sandbox.url}/v1/accounts", headers=token, timeout=30)
    with _proxy(tmp_path, sandbox) as proxy:
        through = httpx.get(f"{proxy.url}/v1/accounts", headers=token, timeout=30)
        assert (through.status_code, through.content) == (direct.status_code, direct.content)
        assert through.headers["content-type"] == direct.headers["content-type"]
        if through.status_code == 200:
            validate_legacy_answer(through)
    with _proxy(tmp_path, sandbox, legacy=False) as proxy:
        gone = httpx.get(f"{proxy.url}/v1/accounts", headers=token, timeout=30)
        assert_legacy_error(gone, 501, mentions="GET /v1/accounts")


@pytest.fixture
def resolve_legacy_host_to(monkeypatch: pytest.MonkeyPatch) -> Any:
    """What a hosts-file entry does: openapi.pleo.io:443 connects to the proxy instead."""

    def point(proxy: ManagedProcess, ca: Path) -> None:
        port = httpx.URL(proxy.url).port
        original = urllib3.util.connection.create_connection

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            if address == (LEGACY_HOST, 443):
                address = ("127.0.0.1", port or 443)
            return original(address, *args, **kwargs)

        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
        # The organisation's CA, trusted by the client (requests reads this variable).
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))

    return point


def test_pypleo_runs_unchanged_against_the_proxy_standing_in_for_openapi_pleo_io(
    start_sandbox_process: SandboxFactory, tmp_path: Path, resolve_legacy_host_to: Any
) -> None:
    """pypleo's hard-coded https://openapi.pleo.io calls reach the proxy over TLS: all
    expenses in one pageSize=100000 call, one expense, its receipts; all validate."""
    tls = make_tls_files(tmp_path / "tls")
    sandbox = start_sandbox_process(companies=1, jobs=1, items=40)
    (company,) = sandbox.companies
    with _proxy(tmp_path, sandbox, tls=tls) as proxy:
        resolve_legacy_host_to(proxy, tls.ca)
        client = pypleo.PleoAPIClient(company["legacyToken"])
        listed = client.get_all_expenses()
        assert listed is not None
        assert len(listed["expenses"]) == listed["metadata"]["pageInfo"]["totalCount"] == 40
        assert listed["metadata"]["pageInfo"]["nextPageOffset"] is None
        expense = next(e for e in listed["expenses"] if e["receiptIds"])
        assert client.get_expense(expense["id"]) == expense
        receipts = client.get_all_receipts(expense["id"])
        assert [r["id"] for r in receipts] == expense["receiptIds"]
        receipt = client.get_a_receipt(expense["id"], receipts[0]["id"])
        assert receipt == receipts[0]
        # The same calls, checked against Pleo's document over the same TLS connection setup.
        with httpx.Client(
            base_url=proxy.url, verify=ssl.create_default_context(cafile=str(tls.ca)), timeout=30
        ) as http:
            headers = {"Authorization": f"Bearer {company['legacyToken']}"}
            for path in (
                "/v1/expenses/?pageSize=100000",
                f"/v1/expenses/{expense['id']}",
                f"/v1/expenses/{expense['id']}/receipts",
                f"/v1/expenses/{expense['id']}/receipts/{receipts[0]['id']}",
            ):
                validate_legacy_answer(http.get(path, headers=headers))


def test_plain_http_is_refused_by_a_tls_proxy(
    start_sandbox_process: SandboxFactory, tmp_path: Path
) -> None:
    """With --ssl-certfile/--ssl-keyfile the proxy speaks HTTPS only, with that certificate."""
    tls = make_tls_files(tmp_path / "tls")
    sandbox = start_sandbox_process(companies=1, jobs=1, items=1)
    with _proxy(tmp_path, sandbox, tls=tls) as proxy:
        assert proxy.url.startswith("https://")
        assert (
            httpx.get(
                f"{proxy.url}/livez", verify=ssl.create_default_context(cafile=str(tls.ca))
            ).status_code
            == 200
        )
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{proxy.url}/livez", timeout=5)  # the system CAs do not know it

"""Issue #9's observed failures across tenants, against the real processes: garbage and
made-up credentials in passthrough mode, and one tenant whose Pleo calls never answer."""

from __future__ import annotations

import base64
import re
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.legacy_client import LegacyClient
from tests.support.legacy_errors import assert_legacy_error
from tests.support.relay import Exchange, Rule
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

LIST_JOBS = "/v3/export-jobs"
EVENTS = "^/v3/export-job-events$"


def _list_jobs(exchanges: list[Exchange], status: int | None = None) -> list[Exchange]:
    return [
        e
        for e in exchanges
        if e.method == "GET" and e.path == LIST_JOBS and (status is None or e.status == status)
    ]


def _raw_get(url: str, authorization: bytes) -> tuple[int, bytes]:
    """A GET with an Authorization header no HTTP library would send; status and body."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        b"GET /v1/expenses HTTP/1.1\r\nHost: proxy\r\nAuthorization: "
        + authorization
        + b"\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_a_non_ascii_authorization_in_passthrough_mode_leaves_scheduled_rounds_alone(
    make_stack: Callable[..., Stack],
) -> None:
    """Authorization headers with non-ASCII bytes get a legacy 401, reach nothing upstream,
    and the scheduled rounds of real companies keep running (no failed pass)."""
    stack = make_stack(companies=1, jobs=1, items=3, auth_mode="passthrough")
    stack.start_proxy(ADAPTER_POLL_INTERVAL_SECONDS="1", ADAPTER_CLOSE_RETRY_SECONDS="1")

    for header in (b"Bearer t\xc3\xa9st", b"Basic \xff\xfe", "Bearer ünïcode".encode()):
        status, body = _raw_get(stack.url, header)
        assert status == 401, body
        assert b'"statusCode":401' in body
    assert stack.relay.exchanges() == []

    with LegacyClient(stack.url, stack.companies[0]["bearerToken"]) as client:
        assert len(client.list_expenses("QUEUED")) == 3
    seen = len(_list_jobs(stack.relay.exchanges()))
    stack.relay.wait_for(
        lambda ex: len(_list_jobs(ex, 200)) >= seen + 2, what="two scheduled rounds"
    )

    logs = stack.logs()
    assert "scheduled pass failed" not in logs
    assert "scheduled work for company" not in logs
    assert "Traceback" not in logs


def test_made_up_tokens_in_passthrough_mode_cost_one_refused_call_each_and_are_never_polled(
    make_stack: Callable[..., Stack],
) -> None:
    """200 made-up tokens: each gets the legacy 401 after exactly one call Pleo refuses; the
    scheduled rounds that follow poll only the real company, never a made-up token."""
    stack = make_stack(companies=1, jobs=1, items=3, auth_mode="passthrough")
    stack.start_proxy(ADAPTER_POLL_INTERVAL_SECONDS="1", ADAPTER_CLOSE_RETRY_SECONDS="1")

    with httpx.Client(base_url=stack.url, timeout=30) as client:
        for n in range(200):
            refused = client.get("/v1/expenses", headers={"Authorization": f"Bearer made-up-{n}"})
            assert_legacy_error(refused, 401, "credentials mode")
    assert len(_list_jobs(stack.relay.exchanges(), 401)) == 200
    assert len(stack.relay.exchanges()) == 200

    with LegacyClient(stack.url, stack.companies[0]["bearerToken"]) as real:
        real.list_expenses("QUEUED")
    seen = len(_list_jobs(stack.relay.exchanges(), 200))
    stack.relay.wait_for(
        lambda ex: len(_list_jobs(ex, 200)) >= seen + 2, what="two scheduled rounds"
    )

    assert len(_list_jobs(stack.relay.exchanges(), 401)) == 200


def _basic(api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()


def test_one_tenant_whose_pleo_calls_never_answer_delays_no_other(
    make_stack: Callable[..., Stack],
) -> None:
    """Every Pleo call for one company is swallowed: that company's GET waits, but the other
    company exports a whole job meanwhile, and its scheduled round closes its job (after a
    refused `completed`) while the silent company's round is still stuck."""
    stack = make_stack(companies=2, jobs=1, items=3)
    silent_company, company = stack.companies
    silent = stack.relay.add(
        Rule(
            "blackhole",
            count=None,
            header=("authorization", f"^{re.escape(_basic(silent_company['apiKey']))}$"),
        )
    )
    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    silent.wait_arrived()  # the silent company's first scheduled round is stuck
    waiting: dict[str, Any] = {}

    def silent_get() -> None:
        with LegacyClient(stack.url, silent_company["legacyToken"]) as client:
            try:
                waiting["response"] = client.get_page("QUEUED")
            except httpx.HTTPError as exc:
                waiting["error"] = exc

    thread = threading.Thread(target=silent_get)
    thread.start()

    job_id = stack.sandbox.v3_jobs(company)[0]["id"]
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = [e["id"] for e in client.list_expenses("QUEUED")]
        client.put_status(ids, "EXPORTING")
        stack.sandbox.add_fault(status=503, path=EVENTS, method="POST", count=1)
        client.put_status(ids, "EXPORTED")
    assert stack.wait_for_job(job_id, {"completed"}) == "completed"

    assert thread.is_alive(), f"the silent company's GET was answered first: {waiting}"
    assert not [e for e in stack.sandbox.ledger(silent_company["companyId"])]
    stack.kill_proxy()
    thread.join(timeout=30)

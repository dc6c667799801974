"""SIGTERM against the real ``serve`` process (issue #9 item 8): requests in flight finish or get
the legacy 503, scheduled rounds are cut, and the process exits 0 within the grace period plus a
second, however silent Pleo is."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.legacy_errors import assert_legacy_error
from tests.support.stack import Stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

GRACE = 2
# Scheduling noise on a loaded machine, on top of the bound the issue sets (grace + 1 s).
SLACK = 2.0
LIST_JOBS = r"^/v3/export-jobs\?"


def _get_in_background(stack: Stack, token: str) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        with stack.legacy(token) as client:
            try:
                result["response"] = client.get("/v1/expenses", params={"status": "QUEUED"})
            except httpx.HTTPError as exc:
                result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_get_waiting_on_a_silent_pleo_gets_a_legacy_503_and_the_proxy_exits_0(
    make_stack: Callable[..., Stack],
) -> None:
    """SIGTERM while a GET waits on a Pleo that never answers: the GET is answered 503 in the
    legacy body with Retry-After, and the process exits 0 within grace + 1 s."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy(ADAPTER_SHUTDOWN_GRACE_SECONDS=str(GRACE))
    silent = stack.relay.blackhole("GET", LIST_JOBS)
    thread, result = _get_in_background(stack, stack.companies[0]["legacyToken"])
    silent.wait_arrived()

    code, seconds = stack.terminate_proxy(timeout=GRACE + 1 + SLACK)
    thread.join(timeout=30)

    print(f"exit {code} after {seconds:.2f} s (grace {GRACE} s)")
    assert code == 0
    assert "error" not in result, result
    response = result["response"]
    assert_legacy_error(response, 503, "shutting down")
    assert response.headers["Retry-After"] == "1"
    assert "cut by shutdown" in stack.logs()


def test_a_scheduled_round_waiting_on_a_silent_pleo_is_cut_at_once(
    make_stack: Callable[..., Stack],
) -> None:
    """SIGTERM while a scheduled round waits on a silent Pleo (under its 30 s deadline) and no
    request is in flight: the round is cancelled and the process exits 0 within grace + 1 s."""
    stack = make_stack(companies=1, jobs=1, items=3)
    silent = stack.relay.blackhole("GET", LIST_JOBS)
    stack.start_proxy(
        ADAPTER_SHUTDOWN_GRACE_SECONDS=str(GRACE),
        ADAPTER_CLOSE_RETRY_SECONDS="1",
        ADAPTER_MAINTENANCE_DEADLINE_SECONDS="30",
    )
    silent.wait_arrived()

    code, seconds = stack.terminate_proxy(timeout=GRACE + 1 + SLACK)

    print(f"exit {code} after {seconds:.2f} s (grace {GRACE} s)")
    assert code == 0


def test_a_request_answered_within_the_grace_period_gets_its_normal_answer(
    make_stack: Callable[..., Stack],
) -> None:
    """A GET in flight at SIGTERM whose answer from Pleo comes within the grace period is
    answered normally (200 with the expenses), then the process exits 0."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy(ADAPTER_SHUTDOWN_GRACE_SECONDS="20")
    held = stack.relay.hold_answer("GET", LIST_JOBS)
    thread, result = _get_in_background(stack, stack.companies[0]["legacyToken"])
    held.wait_held()

    assert stack.proxy is not None
    stack.proxy.popen.send_signal(signal.SIGTERM)
    wait_until(lambda: "shutting down" in stack.logs(), what="the shutdown log line")
    held.release()
    code = stack.proxy.popen.wait(timeout=20 + 1 + SLACK)
    thread.join(timeout=30)

    assert code == 0
    response = result["response"]
    assert response.status_code == 200, response.text
    assert len(response.json()["expenses"]) == 3

"""reliability.md §1.13 F1-F12 against the real processes: the sandbox's injected answers and the
relay's cut, lost, held and forged ones between the proxy and the sandbox. (F7, a lost or late
answer to a job event, is in test_issue9_jobs.py; the unit versions of all twelve are in
tests/unit/export/test_export_client_faults.py.)"""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.legacy_client import LegacyClient
from tests.support.legacy_errors import assert_legacy_error
from tests.support.relay import HOST
from tests.support.stack import Stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

JOBS_PATH = "^/v3/export-jobs$"
LIST_JOBS = r"^/v3/export-jobs\?"
JOB_ITEMS = r"^/v3/export-jobs/[^/]+/items\?"
ITEM_PUT = r"^/v3/export-jobs/[^/]+/items$"
SLACK = 2.0


def _get(stack: Stack, company: dict[str, Any], timeout: float = 60.0) -> httpx.Response:
    with LegacyClient(stack.url, company["legacyToken"], timeout_seconds=timeout) as client:
        return client.get_page("QUEUED")


def _list_jobs_answers(stack: Stack) -> list[int]:
    return [
        e.status or 0
        for e in stack.relay.exchanges()
        if e.method == "GET" and e.path == "/v3/export-jobs"
    ]


def test_f1_retry_after_seconds_is_waited_then_the_get_succeeds(
    make_stack: Callable[..., Stack],
) -> None:
    """F1: Pleo answers 429 with Retry-After: 1, then 200: the GET answers 200, the retry was
    sent no sooner than a second later, and one retry is counted."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    stack.sandbox.add_fault(status=429, path=JOBS_PATH, headers={"Retry-After": "1"})

    assert _get(stack, stack.companies[0]).status_code == 200

    assert _list_jobs_answers(stack) == [429, 200]
    refused, retried = (e for e in stack.relay.exchanges() if e.path == "/v3/export-jobs")
    assert refused.answered_at is not None
    assert retried.forwarded_at is not None
    assert retried.forwarded_at - refused.answered_at >= 0.9  # waited, never sooner
    assert stack.metric("adapter_upstream_retries_total", operation="list_jobs") == 1


def test_f2_a_date_retry_after_and_no_retry_after_are_both_retried(
    make_stack: Callable[..., Stack],
) -> None:
    """F2: a 429 with an HTTP-date Retry-After and a 429 without one are both retried (the
    second with jittered backoff) and the GET answers 200 within its deadline."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    stack.sandbox.add_fault(
        status=429, path=JOBS_PATH, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    stack.sandbox.add_fault(status=429, path=JOBS_PATH)

    assert _get(stack, stack.companies[0], timeout=30 + 1 + SLACK).status_code == 200

    assert _list_jobs_answers(stack) == [429, 429, 200]
    assert stack.metric("adapter_upstream_retries_total", operation="list_jobs") == 2


def test_f3_a_retry_after_past_the_deadline_is_passed_on_at_once(
    make_stack: Callable[..., Stack],
) -> None:
    """F3: a 429 whose Retry-After exceeds the deadline is not waited for: the client gets a
    legacy 503 with Retry-After within the deadline, and Pleo is asked once."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy(ADAPTER_REQUEST_DEADLINE_SECONDS="5")
    stack.sandbox.add_fault(status=429, path=JOBS_PATH, headers={"Retry-After": "3600"})

    answer = _get(stack, stack.companies[0], timeout=5 + 1 + SLACK)

    assert_legacy_error(answer, 503)
    assert int(answer.headers["Retry-After"]) > 5
    assert _list_jobs_answers(stack) == [429]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_f4_a_5xx_on_a_get_is_retried_then_succeeds(
    make_stack: Callable[..., Stack], status: int
) -> None:
    """F4: two 5xx answers to a read, then success: the GET answers 200 after two retries."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    stack.sandbox.add_fault(status=status, path=JOBS_PATH, count=2)

    answer = _get(stack, stack.companies[0])

    assert answer.status_code == 200
    assert len(answer.json()["expenses"]) == 3
    assert _list_jobs_answers(stack) == [status, status, 200]


def test_f5_five_consecutive_5xx_open_the_circuit_then_a_probe_closes_it(
    make_stack: Callable[..., Stack],
) -> None:
    """F5: five 503s in a row open the circuit: the next GET is refused without reaching Pleo
    (503, Retry-After) and /readyz says not ready; after the open interval one probe goes
    through, succeeds, and the circuit closes."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy(
        ADAPTER_UPSTREAM_RETRY_ATTEMPTS="1", ADAPTER_UPSTREAM_CIRCUIT_OPEN_SECONDS="1"
    )
    company = stack.companies[0]
    stack.sandbox.add_fault(status=503, path=JOBS_PATH, count=5)
    for _ in range(5):
        assert_legacy_error(_get(stack, company), 503)

    refused = _get(stack, company)
    assert_legacy_error(refused, 503, "not sent")
    assert int(refused.headers["Retry-After"]) >= 1
    ready = httpx.get(f"{stack.url}/readyz", timeout=30)
    assert ready.status_code == 503
    assert "circuit open" in ready.json()["checks"]["exportApi"]
    assert _list_jobs_answers(stack) == [503] * 5

    wait_until(lambda: _get(stack, company).status_code == 200, what="the circuit to close")
    assert httpx.get(f"{stack.url}/readyz", timeout=30).status_code == 200


def test_f6_a_refused_or_reset_connection_is_retried_then_mapped(
    make_stack: Callable[..., Stack],
) -> None:
    """F6: Pleo refusing connections is a legacy 503 once retries are spent (no secret in
    the logs); a reset connection is retried and the GET succeeds."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    company = stack.companies[0]

    stack.relay.down()
    assert_legacy_error(_get(stack, company), 503, "could not be reached")
    stack.relay.up()
    stack.relay.reset("GET", LIST_JOBS, count=1)

    assert _get(stack, company).status_code == 200
    logs = stack.logs()
    assert company["apiKey"] not in logs
    assert company["legacyToken"] not in logs


def test_f8_a_lost_answer_to_an_item_write_is_sent_again_and_nothing_is_duplicated(
    make_stack: Callable[..., Stack],
) -> None:
    """F8: Pleo applies an item PUT but its answer is lost; the proxy sends it again (a
    set-to-state write), the legacy PUT answers 200, and every item ends with exactly one
    terminal status, the one the client asked for."""
    stack = make_stack(companies=1, jobs=1, items=4)
    stack.start_proxy()
    company = stack.companies[0]
    job_id = stack.sandbox.v3_jobs(company)[0]["id"]
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = [e["id"] for e in client.list_expenses("QUEUED")]
        stack.relay.lose_answer("PUT", ITEM_PUT, count=1)
        client.put_status(ids, "EXPORTING")
        stack.relay.lose_answer("PUT", ITEM_PUT, count=1)
        client.put_status(ids[:2], "EXPORTED")
        client.put_status(ids[2:], "NOT_EXPORTED")

    entries = stack.sandbox.ledger(company["companyId"])
    accepted: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry["kind"] == "item_update" and entry["outcome"] == "accepted":
            accepted[entry["accountingEntryId"]].append(entry["resultingStatus"])
    wanted = {**dict.fromkeys(ids[:2], "successful"), **dict.fromkeys(ids[2:], "failed")}
    for item, statuses in accepted.items():
        assert set(statuses) <= {"in_progress", wanted[item]}, (item, statuses)
        assert statuses[-1] == wanted[item]
    assert {item: s[-1] for item, s in accepted.items()} == wanted
    events = [e["event"] for e in entries if e["kind"] == "job_event"]
    assert events == ["started", "completed_with_errors"]
    assert stack.job(job_id)["job"]["status"] == "completed_with_errors"
    assert [e.outcome for e in stack.relay.exchanges() if e.path.endswith("/items")].count(
        "answer lost"
    ) == 2


def test_f9_an_answer_cut_mid_body_is_retried_never_half_parsed(
    make_stack: Callable[..., Stack],
) -> None:
    """F9: the connection breaks in the middle of the item list; the read is retried and the
    GET lists every item, none half-read."""
    stack = make_stack(companies=1, jobs=1, items=20)
    stack.start_proxy()
    stack.relay.truncate(300, "GET", JOB_ITEMS, count=1)

    answer = _get(stack, stack.companies[0])

    assert answer.status_code == 200
    assert len(answer.json()["expenses"]) == 20
    outcomes = [e.outcome for e in stack.relay.exchanges() if e.path.endswith("/items")]
    assert outcomes == ["truncated", "answered"]


def _canned(status: str, body: bytes, extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_f10_an_answer_breaking_the_contract_is_a_counted_502_and_the_proxy_carries_on(
    make_stack: Callable[..., Stack],
) -> None:
    """F10: a 200 whose body breaks Pleo's schema (an item without accountingEntryId) is a
    legacy 502, counted as a contract violation; the next GET is served normally."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    broken = b'{"data":[{"status":"pending"}],"pagination":{"hasNextPage":false}}'
    stack.relay.respond(_canned("200 OK", broken), "GET", JOB_ITEMS, count=1)

    assert_legacy_error(_get(stack, stack.companies[0]), 502)

    assert stack.metric("adapter_upstream_contract_violations_total", operation="list_job_items")
    assert _get(stack, stack.companies[0]).status_code == 200


@pytest.fixture
def foreign_host() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback listener standing for another host; what it receives is recorded."""
    server = socket.create_server((HOST, 0))
    server.settimeout(0.1)
    received: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                received.append(connection.recv(65536))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.getsockname()[1]}", received
    finally:
        done.set()
        thread.join(timeout=5)
        server.close()


def test_f11_a_redirect_to_another_host_is_not_followed(
    make_stack: Callable[..., Stack], foreign_host: tuple[str, list[bytes]]
) -> None:
    """F11: Pleo answers 302 to another host: the GET is a legacy 502 and nothing, least of
    all the credential, reaches that host."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy()
    elsewhere, received = foreign_host
    redirect = _canned("302 Found", b"", f"Location: {elsewhere}/v3/export-jobs\r\n")
    stack.relay.respond(redirect, "GET", LIST_JOBS, count=1)

    assert_legacy_error(_get(stack, stack.companies[0]), 502)

    assert received == []


def test_f12_latency_on_every_call_stays_within_the_deadline_and_the_in_flight_limit(
    make_stack: Callable[..., Stack],
) -> None:
    """F12: two seconds of latency on every call to Pleo: concurrent GETs of two companies
    each answer within the deadline (200, or the legacy 503/504), and the proxy never has
    more calls in flight than ADAPTER_UPSTREAM_MAX_IN_FLIGHT."""
    stack = make_stack(companies=2, jobs=1, items=3)
    deadline = 10
    stack.start_proxy(
        ADAPTER_UPSTREAM_MAX_IN_FLIGHT="2", ADAPTER_REQUEST_DEADLINE_SECONDS=str(deadline)
    )
    stack.relay.delay(2.0)
    answers: list[Any] = []

    def get(company: dict[str, Any]) -> None:
        try:
            answers.append(_get(stack, company, timeout=deadline + 1 + SLACK))
        except httpx.HTTPError as exc:
            answers.append(exc)

    began = time.monotonic()
    threads = [threading.Thread(target=get, args=(c,)) for c in stack.companies * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    print(f"4 GETs under 2 s latency: {time.monotonic() - began:.1f} s")

    assert len(answers) == 4
    for answer in answers:
        assert isinstance(answer, httpx.Response), f"no answer within the deadline: {answer!r}"
        if answer.status_code != 200:
            assert_legacy_error(answer, answer.status_code)
            assert answer.status_code in (503, 504)
    assert 1 <= stack.relay.peak_in_flight <= 2

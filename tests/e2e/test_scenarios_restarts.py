"""reliability.md §1.13 R1-R6 against the real processes: the proxy is SIGKILLed at each point
of an export (the relay holds the request or the answer there), a new process starts on the
same port and the same Pleo, and the legacy client retries as integrations do. The store is
in memory (R6): the new process knows only what Pleo says, so every case below is recovery
from Pleo alone. The ledger must show each item with exactly one terminal status, one
`started` and one closing event. (R5, a Redis restart, needs a shared store, which is not
built.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.checks import assert_job_exported_once
from tests.support.legacy_client import LegacyCallFailed, LegacyClient
from tests.support.legacy_errors import assert_legacy_error
from tests.support.relay import Rule
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

EVENTS = "^/v3/export-job-events$"
ITEM_PUT = r"^/v3/export-jobs/[^/]+/items$"
JOB_ITEMS = r"^/v3/export-jobs/[^/]+/items\?"


def _killed_during(stack: Stack, rule: Rule, call: Callable[[], Any]) -> BaseException:
    """Run ``call`` until ``rule`` holds its request (or answer), SIGKILL the proxy there, and
    return what the client got instead of an answer."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except (LegacyCallFailed, httpx.HTTPError) as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    rule.wait_held()
    stack.kill_proxy()
    thread.join(timeout=30)
    assert failures, "the call was answered although the proxy was killed under it"
    return failures[0]


def _job(stack: Stack, company: dict[str, Any]) -> tuple[str, list[str]]:
    job_id = stack.sandbox.v3_jobs(company)[0]["id"]
    return job_id, [item["accountingEntryId"] for item in stack.job(job_id)["items"]]


def _events(stack: Stack, company: dict[str, Any]) -> list[str]:
    return [
        e["event"] for e in stack.sandbox.ledger(company["companyId"]) if e["kind"] == "job_event"
    ]


def _ids(client: LegacyClient, status: str = "QUEUED") -> list[str]:
    return [e["id"] for e in client.list_expenses(status)]


def test_r1_killed_during_discovery_the_new_process_offers_the_same_items(
    make_stack: Callable[..., Stack],
) -> None:
    """R1: killed while reading the job's items for a GET: nothing was written; the new
    process offers the same items and the export completes once."""
    stack = make_stack(companies=1, jobs=1, items=5)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    held = stack.relay.hold_request("GET", JOB_ITEMS)
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        _killed_during(stack, held, lambda: client.list_expenses("QUEUED"))
    assert stack.sandbox.ledger(company["companyId"]) == []

    stack.start_proxy()
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        assert sorted(ids) == sorted(items)
        client.put_status(ids, "EXPORTING")
        client.put_status(ids, "EXPORTED")

    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


def test_r2_killed_after_the_client_read_queued_nothing_is_lost_or_acknowledged(
    make_stack: Callable[..., Stack],
) -> None:
    """R2: killed after the client received the items as QUEUED, before its PUT: the new
    process offers the same items again and reports nothing successful without an ack."""
    stack = make_stack(companies=1, jobs=1, items=5)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        first = _ids(client)
    stack.restart_proxy()

    with LegacyClient(stack.url, company["legacyToken"]) as client:
        assert _ids(client) == first
        assert stack.sandbox.ledger(company["companyId"]) == []
        client.put_status(first, "EXPORTING")
        client.put_status(first[:2], "EXPORTED")
        client.put_status(first[2:], "NOT_EXPORTED")

    expected = {**dict.fromkeys(first[:2], "successful"), **dict.fromkeys(first[2:], "failed")}
    assert sorted(expected) == sorted(items)
    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]), job_id, expected, "completed_with_errors"
    )


def test_r3_killed_after_started_before_the_first_batch_the_job_is_resumed_not_reclaimed(
    make_stack: Callable[..., Stack],
) -> None:
    """Killed after Pleo accepted `started` but before the first item batch reached it: the
    retried PUT EXPORTING resumes the in_progress job without a second `started`."""
    stack = make_stack(companies=1, jobs=1, items=5)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    held = stack.relay.hold_request("PUT", ITEM_PUT)
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        _killed_during(stack, held, lambda: client.put_status(ids, "EXPORTING"))
    assert _events(stack, company) == ["started"]
    assert stack.job(job_id)["job"]["status"] == "in_progress"

    stack.start_proxy()
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        assert _ids(client) == ids  # claimed, but no item was written: still QUEUED
        client.put_status(ids, "EXPORTING")
        client.put_status(ids, "EXPORTED")

    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


@pytest.mark.parametrize("status", ["EXPORTING", "EXPORTED"])
def test_r3_killed_between_item_batches_the_retry_writes_only_the_rest(
    make_stack: Callable[..., Stack], status: str
) -> None:
    """Killed after the first batch of 100 items reached Pleo and before the second did: the
    client's retried PUT (it never got an answer) writes only what is missing, and every item
    has exactly one `in_progress` and one terminal status."""
    stack = make_stack(companies=1, jobs=1, items=150)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    with LegacyClient(stack.url, company["legacyToken"], page_size=1000) as client:
        ids = _ids(client)
        if status == "EXPORTED":
            client.put_status(ids, "EXPORTING")
        held = stack.relay.hold_request("PUT", ITEM_PUT, skip=1)
        _killed_during(stack, held, lambda: client.put_status(ids, status))

    stack.start_proxy()
    with LegacyClient(stack.url, company["legacyToken"], page_size=1000) as client:
        if status == "EXPORTING":
            client.put_status(ids, "EXPORTING")
        client.put_status(ids, "EXPORTED")

    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


def test_r4_killed_after_the_last_batch_before_completed_the_new_process_closes_the_job(
    make_stack: Callable[..., Stack],
) -> None:
    """R4: killed after every item is final but before `completed` reached Pleo: the new
    process (credentials mode) closes the job within its first short interval, without any
    client call, exactly once; the client's retried PUT is then a 200 no-op."""
    stack = make_stack(companies=1, jobs=1, items=5)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    held = stack.relay.hold_request("POST", EVENTS, body='"completed"')
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        client.put_status(ids, "EXPORTING")
        _killed_during(stack, held, lambda: client.put_status(ids, "EXPORTED"))
    assert _events(stack, company) == ["started"]

    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    assert stack.wait_for_job(job_id, {"completed"}) == "completed"
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        assert client.put_raw(ids, "EXPORTED").status_code == 200

    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


def test_r4_killed_while_completed_was_answered_nothing_is_posted_again(
    make_stack: Callable[..., Stack],
) -> None:
    """Killed while Pleo's answer to `completed` was on its way (Pleo applied it): the new
    process posts nothing for that job. The client's retried PUT of its ids is a 200 no-op
    or, since a fresh process has never seen that finished job, a legacy 404; never a write."""
    stack = make_stack(companies=1, jobs=2, items=5)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job(stack, company)
    held = stack.relay.hold_answer("POST", EVENTS, body='"completed"')
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        client.put_status(ids, "EXPORTING")
        _killed_during(stack, held, lambda: client.put_status(ids, "EXPORTED"))
    assert stack.job(job_id)["job"]["status"] == "completed"

    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        retried = client.put_raw(ids, "EXPORTED")
        if retried.status_code != 200:
            assert_legacy_error(retried, 404)
        assert set(_ids(client)).isdisjoint(items)  # the next job's items

    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )

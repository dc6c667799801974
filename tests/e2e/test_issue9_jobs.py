"""Issue #9's observed job-lifecycle failures, each replayed against the real processes (the
proxy in front of the relay in front of the sandbox) and judged by the sandbox's ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.checks import assert_job_exported_once
from tests.support.legacy_client import LegacyCallFailed, LegacyClient
from tests.support.legacy_errors import assert_legacy_error
from tests.support.stack import Stack, rotated_token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

EVENTS = "^/v3/export-job-events$"


def _ids(client: LegacyClient, status: str = "QUEUED") -> list[str]:
    return [expense["id"] for expense in client.list_expenses(status)]


def _job_of(stack: Stack, company: dict[str, Any]) -> tuple[str, list[str]]:
    """The company's oldest job and its item ids, as Pleo has them."""
    job_id = stack.sandbox.v3_jobs(company)[0]["id"]
    return job_id, [item["accountingEntryId"] for item in stack.job(job_id)["items"]]


def _writes(stack: Stack, company: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in stack.sandbox.ledger(company["companyId"])
        if e["kind"] in ("job_event", "item_update")
    ]


def test_an_expired_pending_job_is_gone_from_get_and_a_put_on_it_claims_nothing(
    make_stack: Callable[..., Stack],
) -> None:
    """A pending job that expired is no longer listed (the next job is), and repeated PUTs of
    its expenses get 409 saying it expired and they are back in Pleo's queue: no `started`
    for it, none for the next job, no item written."""
    stack = make_stack(companies=1, jobs=1, items=4)
    stack.start_proxy()
    company = stack.companies[0]
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        expired = _ids(client)
        stack.sandbox.advance_clock(3601)
        fresh_job = stack.sandbox.create_job(company["companyId"], count=3)["id"]

        fresh_items = {item["accountingEntryId"] for item in stack.job(fresh_job)["items"]}
        assert set(_ids(client)) == fresh_items
        for _ in range(3):
            refused = client.put_raw(expired, "EXPORTING")
            assert_legacy_error(refused, 409, "expired")
            assert "back in its export queue" in refused.json()["message"]

    assert _writes(stack, company) == []
    assert stack.job(fresh_job)["job"]["status"] == "pending"


def test_a_claimed_job_that_expired_answers_409_not_502_and_writes_nothing(
    make_stack: Callable[..., Stack],
) -> None:
    """After a claimed job expires, PUT EXPORTED is a legacy 409 saying the job expired and the
    expenses are back in Pleo's queue, every time; nothing is accepted after the expiry."""
    stack = make_stack(companies=1, jobs=1, items=4)
    stack.start_proxy()
    company = stack.companies[0]
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        client.put_status(ids, "EXPORTING")
        before = len(_writes(stack, company))
        stack.sandbox.advance_clock(3601)

        for _ in range(3):
            refused = client.put_raw(ids, "EXPORTED")
            assert_legacy_error(refused, 409, "expired")
            assert "back in its export queue" in refused.json()["message"]

    after = _writes(stack, company)[before:]
    assert [e for e in after if e["outcome"] == "accepted"] == []
    events = [e for e in _writes(stack, company) if e["kind"] == "job_event"]
    assert [e["event"] for e in events] == ["started"]


@pytest.mark.parametrize("answer", ["lost", "late"])
def test_a_lost_or_late_answer_to_started_is_a_claim_not_a_409(
    make_stack: Callable[..., Stack], answer: str
) -> None:
    """Pleo applies `started` but its answer is lost (connection dropped) or late (past the
    proxy's timeout): the proxy reads the job, sees it claimed, and the PUT EXPORTING answers
    200; the export then completes with one `started` (F7)."""
    stack = make_stack(companies=1, jobs=1, items=5)
    stack.start_proxy(ADAPTER_UPSTREAM_TIMEOUT_SECONDS="1")
    company = stack.companies[0]
    job_id, items = _job_of(stack, company)
    if answer == "lost":
        rule = stack.relay.lose_answer("POST", EVENTS, body='"started"')
    else:
        rule = stack.relay.hold_answer("POST", EVENTS, body='"started"')

    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        exporting = client.put_status(ids, "EXPORTING")
        assert {e["status"] for e in exporting} == {"EXPORTING"}
        client.put_status(ids, "EXPORTED")

    # What Pleo's answer to `started` became: lost by the relay, or held past the proxy's wait.
    expected = "answer lost" if answer == "lost" else "caller gone"
    stack.relay.wait_for(
        lambda ex: [e.outcome for e in ex if b'"started"' in e.body] == [expected],
        what=f"the `started` exchange settled as {expected!r}",
    )
    rule.release()
    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


def test_two_legacy_tokens_of_one_company_see_one_view(make_stack: Callable[..., Stack]) -> None:
    """A token rotation: two legacy tokens of one company list the same expenses, see each
    other's changes at once, cannot contradict each other, and export the job once."""
    stack = make_stack(companies=1, jobs=2, items=6)
    stack.start_proxy()
    company = stack.companies[0]
    job_id, items = _job_of(stack, company)
    with (
        LegacyClient(stack.url, company["legacyToken"]) as old,
        LegacyClient(stack.url, rotated_token(company)) as new,
    ):
        ids = _ids(old)
        assert _ids(new) == ids
        old.put_status(ids[:3], "EXPORTING")
        assert _ids(new, "EXPORTING") == ids[:3]
        assert _ids(new, "QUEUED") == ids[3:]
        new.put_status(ids[3:], "EXPORTING")
        old.put_status(ids[:4], "EXPORTED")
        assert_legacy_error(new.put_raw([ids[0]], "NOT_EXPORTED"), 409)
        new.put_status(ids[4:], "EXPORTED")

        next_job = set(_ids(new))
        assert set(_ids(old)) == next_job
        assert not next_job & set(ids)

    assert set(ids) == set(items)
    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


@pytest.mark.parametrize("fault", ["refused", "answer lost"])
def test_a_lost_completed_is_settled_promptly_not_a_poll_interval_later(
    make_stack: Callable[..., Stack], fault: str
) -> None:
    """The `completed` after the last PUT fails (Pleo answers 503: not applied) or its answer
    is lost (applied): the PUT answers 200, and the job ends completed with exactly one
    accepted `completed`, within the close retry, although polls are an hour apart."""
    stack = make_stack(companies=1, jobs=1, items=3)
    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    company = stack.companies[0]
    job_id, items = _job_of(stack, company)
    with LegacyClient(stack.url, company["legacyToken"]) as client:
        ids = _ids(client)
        client.put_status(ids, "EXPORTING")
        if fault == "refused":
            stack.sandbox.add_fault(status=503, path=EVENTS, method="POST", count=1)
        else:
            stack.relay.lose_answer("POST", EVENTS, body='"completed"')
        assert {e["status"] for e in client.put_status(ids, "EXPORTED")} == {"EXPORTED"}

    assert stack.wait_for_job(job_id, {"completed"}) == "completed"
    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )


def test_a_crash_before_completed_in_passthrough_mode_is_closed_once_the_client_calls(
    make_stack: Callable[..., Stack],
) -> None:
    """Passthrough mode: the proxy is SIGKILLed after every item is final but before
    `completed` reached Pleo. The new process knows no credential; the client's next call
    (a GET) lets scheduled work close the job one short interval later, exactly once."""
    stack = make_stack(companies=1, jobs=2, items=4, auth_mode="passthrough")
    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    company = stack.companies[0]
    job_id, items = _job_of(stack, company)
    token = company["bearerToken"]
    held = stack.relay.hold_request("POST", EVENTS, body='"completed"')
    with LegacyClient(stack.url, token) as client:
        ids = _ids(client)
        client.put_status(ids, "EXPORTING")
        failed: list[BaseException] = []

        def export() -> None:
            try:
                client.put_status(ids, "EXPORTED")
            except (LegacyCallFailed, httpx.HTTPError) as exc:  # the proxy dies under it
                failed.append(exc)

        thread = threading.Thread(target=export)
        thread.start()
        held.wait_held()
        stack.kill_proxy()
        thread.join(timeout=30)
    assert failed, "the PUT was answered although the proxy was killed before completing"
    assert stack.job(job_id)["job"]["status"] == "in_progress"

    stack.start_proxy(ADAPTER_CLOSE_RETRY_SECONDS="1")
    with LegacyClient(stack.url, token) as client:
        assert _ids(client) == []  # the resumed job has nothing left to export
        assert stack.wait_for_job(job_id, {"completed"}) == "completed"
        second_job = stack.sandbox.v3_jobs(company)[-1]["id"]
        assert set(_ids(client)) == {i["accountingEntryId"] for i in stack.job(second_job)["items"]}
    assert_job_exported_once(
        stack.sandbox.ledger(company["companyId"]),
        job_id,
        dict.fromkeys(items, "successful"),
        "completed",
    )

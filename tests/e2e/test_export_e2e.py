"""End to end: a legacy integration drives the real proxy process in front of the real sandbox.

Every assertion about what Pleo received is read from the sandbox's ledger and request
statistics, never from the proxy's own account of itself.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from tests.support.bulk import JOB_EVENTS, UPDATE_ITEMS, run_bulk
from tests.support.checks import assert_job_exported_once, item_status_for
from tests.support.legacy_client import LegacyClient
from tests.support.legacy_errors import assert_legacy_error
from tests.support.processes import ManagedProcess, ProxyFactory, Sandbox, SandboxFactory

# Each test starts its own processes; none should come near this.
pytestmark = pytest.mark.timeout(60)


def _item_ids(sandbox: Sandbox, job_id: str) -> list[str]:
    return [item["accountingEntryId"] for item in sandbox.job(job_id)["items"]]


def _untouched_view(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a write to a job would change: everything but the countdown ``expiresIn``."""
    return [{k: v for k, v in job.items() if k != "expiresIn"} for job in jobs]


@pytest.mark.e2e
def test_whole_export_of_a_25_item_job(sandbox: Sandbox, proxy: ManagedProcess) -> None:
    """Paging QUEUED, PUT EXPORTING, then EXPORTED/NOT_EXPORTED exports the oldest job exactly
    once, and the next GET shows the company's next job."""
    company, other = sandbox.companies
    first_job, second_job = (job["id"] for job in sandbox.v3_jobs(company))
    first_items, second_items = _item_ids(sandbox, first_job), _item_ids(sandbox, second_job)
    other_jobs = sandbox.v3_jobs(other)

    with LegacyClient(proxy.url, company["legacyToken"], page_size=10, put_chunk_size=10) as client:
        queued = client.list_expenses("QUEUED")
        assert client.pages_read == 3
        ids = [expense["id"] for expense in queued]
        assert len(ids) == len(set(ids)) == 25
        assert set(ids) == set(first_items)
        assert {expense["status"] for expense in queued} == {"QUEUED"}

        # GETs alone never write anything upstream.
        assert client.list_expenses("QUEUED") == queued
        assert client.get_page("QUEUED", offset=20).status_code == 200
        assert sandbox.ledger() == []

        exporting = client.put_status(ids, "EXPORTING")
        assert [e["id"] for e in exporting] == ids
        assert {e["status"] for e in exporting} == {"EXPORTING"}

        not_exported = [ids[3], ids[12], ids[21]]
        exported = [i for i in ids if i not in not_exported]
        assert {e["status"] for e in client.put_status(exported, "EXPORTED")} == {"EXPORTED"}
        assert {e["status"] for e in client.put_status(not_exported, "NOT_EXPORTED")} == {
            "NOT_EXPORTED"
        }

        expected = {i: item_status_for("EXPORTED") for i in exported}
        expected |= {i: item_status_for("NOT_EXPORTED") for i in not_exported}
        entries = sandbox.ledger(company["companyId"])
        assert_job_exported_once(entries, first_job, expected, "completed_with_errors")
        assert {e["jobId"] for e in entries} == {first_job}, (
            "another job of the company was touched"
        )
        assert sandbox.job(first_job)["job"]["status"] == "completed_with_errors"

        # The next job appears on the very next GET.
        next_ids = [expense["id"] for expense in client.list_expenses("QUEUED")]
        assert len(next_ids) == 25
        assert set(next_ids) == set(second_items)
        assert not set(next_ids) & set(ids)

    # The other company's jobs were never touched.
    assert sandbox.ledger(other["companyId"]) == []
    assert {e["companyId"] for e in sandbox.ledger()} == {company["companyId"]}
    # Compared without expiresIn, which counts down in real time while the test runs.
    assert _untouched_view(sandbox.v3_jobs(other)) == _untouched_view(other_jobs)
    assert {job["status"] for job in other_jobs} == {"pending"}


@pytest.mark.e2e
def test_export_of_2500_items_uses_the_fewest_writes(
    start_sandbox_process: SandboxFactory, start_proxy_process: ProxyFactory
) -> None:
    """A 2,500-item job is exported exactly once with the fewest writes Pleo allows: 50 item
    PUTs and 2 job events."""
    sandbox = start_sandbox_process(companies=1, jobs=0)
    proxy = start_proxy_process(sandbox)
    company = sandbox.companies[0]

    run = run_bulk(sandbox, proxy.url, company, 2500, page_size=1000, put_chunk_size=1000)

    entries = sandbox.ledger(company["companyId"])
    expected = dict.fromkeys(run.item_ids, "successful")
    assert_job_exported_once(entries, run.job_id, expected, "completed")
    accepted = [e for e in entries if e["outcome"] == "accepted"]
    assert sum(e["resultingStatus"] == "in_progress" for e in accepted) == 2500
    assert sum(e["resultingStatus"] == "successful" for e in accepted) == 2500
    assert [e["event"] for e in accepted if e["kind"] == "job_event"] == ["started", "completed"]

    assert run.calls_by_operation.get(UPDATE_ITEMS) == 2 * 25
    assert run.calls_by_operation.get(JOB_EVENTS) == 2
    assert sandbox.stats()["byStatus"].keys() <= {"200", "202"}


@pytest.mark.e2e
def test_proxy_killed_between_exporting_and_exported(
    sandbox: Sandbox, start_proxy_process: ProxyFactory
) -> None:
    """A proxy SIGKILLed after PUT EXPORTING is replaced by a new process that finishes the job
    without re-claiming it or offering its items again."""
    company = sandbox.companies[0]
    token = company["legacyToken"]
    first_job, second_job = (job["id"] for job in sandbox.v3_jobs(company))

    proxy = start_proxy_process(sandbox)
    with LegacyClient(proxy.url, token) as client:
        ids = [expense["id"] for expense in client.list_expenses("QUEUED")]
        assert set(ids) == set(_item_ids(sandbox, first_job))
        client.put_status(ids, "EXPORTING")

    proxy.kill(signal.SIGKILL)
    assert proxy.popen.returncode == -signal.SIGKILL

    restarted = start_proxy_process(sandbox)
    with LegacyClient(restarted.url, token) as client:
        # Nothing claimed is offered again: the in_progress job is resumed, not skipped.
        assert client.list_expenses("QUEUED") == []
        exporting = client.list_expenses("EXPORTING")
        assert sorted(e["id"] for e in exporting) == sorted(ids)

        # The integration remembers the ids it was exporting and finishes them.
        client.put_status(ids, "EXPORTED")

        expected = dict.fromkeys(ids, "successful")
        assert_job_exported_once(
            sandbox.ledger(company["companyId"]), first_job, expected, "completed"
        )
        assert sandbox.job(first_job)["job"]["status"] == "completed"

        next_ids = {expense["id"] for expense in client.list_expenses("QUEUED")}
        assert next_ids == set(_item_ids(sandbox, second_job))


@pytest.mark.e2e
def test_tenants_are_isolated(sandbox: Sandbox, proxy: ManagedProcess) -> None:
    """Two companies see disjoint expenses, and one company's id used with the other's token is
    a legacy 404 that writes nothing."""
    company_a, company_b = sandbox.companies
    job_a = sandbox.v3_jobs(company_a)[0]["id"]
    job_b = sandbox.v3_jobs(company_b)[0]["id"]

    with (
        LegacyClient(proxy.url, company_a["legacyToken"]) as client_a,
        LegacyClient(proxy.url, company_b["legacyToken"]) as client_b,
    ):
        ids_a = [expense["id"] for expense in client_a.list_expenses("QUEUED")]
        ids_b = [expense["id"] for expense in client_b.list_expenses("QUEUED")]
        assert set(ids_a) == set(_item_ids(sandbox, job_a))
        assert set(ids_b) == set(_item_ids(sandbox, job_b))
        assert not set(ids_a) & set(ids_b)

        assert_legacy_error(client_b.put_raw([ids_a[0]], "EXPORTING"), 404)
        # Mixed with one of B's own ids: refused as a whole, B's own item not written either.
        assert_legacy_error(client_b.put_raw([ids_b[0], ids_a[0]], "EXPORTING"), 404)
        single = client_b.get_expense(ids_a[0])
        assert_legacy_error(single, 404)

        assert sandbox.ledger() == []
        assert sandbox.job(job_a)["job"]["status"] == "pending"
        assert sandbox.job(job_b)["job"]["status"] == "pending"


@pytest.mark.e2e
def test_unauthenticated_calls_never_go_upstream(sandbox: Sandbox, proxy: ManagedProcess) -> None:
    """A missing or unknown legacy token gets a 401 in the legacy shape, and no request reaches
    Pleo."""
    company = sandbox.companies[0]
    known_id = _item_ids(sandbox, sandbox.v3_jobs(company)[0]["id"])[0]
    sandbox.reset_stats()

    # Missing, unknown, and a real v3 API key presented where a legacy token belongs.
    for token in (None, "not-a-legacy-token", company["apiKey"]):
        with LegacyClient(proxy.url, token) as client:
            for response in (
                client.get_page("QUEUED"),
                client.put_raw([known_id], "EXPORTING"),
                client.get_expense(known_id),
            ):
                message = assert_legacy_error(response, 401)
                if token is not None:
                    assert token not in response.text
                    assert token not in message

    assert sandbox.stats()["total"] == 0
    assert sandbox.ledger() == []

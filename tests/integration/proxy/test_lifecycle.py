"""The job lifecycle beyond the happy path: restarts, lost completions, idle clients, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from adapter.export.client import ExportClient, build_http_client
from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.legacy.query import ExpenseQuery
from adapter.mapping import load_mapping_table
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow, WorkflowSettings
from tests.support.clocks import FakeClock, FakeNow
from tests.support.harness import SANDBOX, Harness
from tests.support.legacy_errors import assert_legacy_error

QUEUED = ExpenseQuery(
    statuses=frozenset({LegacyStatus.QUEUED}), types=frozenset(), page_offset=0, page_size=1000
)


@pytest.fixture
async def make_workflow(harness: Harness) -> AsyncIterator[Callable[..., JobWorkflow]]:
    """Build workflows straight over the sandbox, with clocks the test moves."""
    clients: list[httpx.AsyncClient] = []

    def _make(now: FakeNow, clock: FakeClock | None = None, **settings: Any) -> JobWorkflow:
        http = build_http_client(
            timeout_seconds=5,
            max_connections=5,
            transport=httpx.ASGITransport(app=harness.sandbox),
        )
        clients.append(http)
        return JobWorkflow(
            client=ExportClient(http, base_url=SANDBOX, retries=0),
            store=MemoryStore(),
            table=load_mapping_table(),
            settings=WorkflowSettings(discovery_min_interval_seconds=0, **settings),
            now=now,
            clock=clock or FakeClock(),
        )

    yield _make
    for http in clients:
        await http.aclose()


def _tenant(harness: Harness, company: int = 0) -> Tenant:
    return Tenant(
        credential=UpstreamCredential.api_key(harness.companies[company]["apiKey"]),
        company_id=harness.companies[company]["companyId"],
    )


def _events(ledger: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in ledger if e["kind"] == "job_event" and e["outcome"] == "accepted"]


async def _ids(workflow: JobWorkflow, tenant: Tenant) -> list[str]:
    page = await workflow.list_expenses(tenant, QUEUED)
    return [raw.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode() for raw in page.expenses]


def _changes(ids: list[str], status: LegacyStatus) -> list[StatusChange]:
    return [StatusChange(i, status) for i in ids]


async def test_a_restarted_proxy_resumes_without_reclaiming(harness: Harness, restart) -> None:
    """After a restart the in-progress job is resumed: no second `started`, nothing re-offered."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids, "EXPORTING")
    async with (
        restart() as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://proxy2.test"
        ) as proxy,
    ):
        queued = await proxy.get(
            "/v1/expenses", params={"status": "QUEUED"}, headers=harness.auth()
        )
        assert queued.json()["expenses"] == []
        done = await proxy.put(
            "/v1/expenses",
            json={"expenseIds": ids, "status": "EXPORTED"},
            headers=harness.auth(),
        )
        assert done.status_code == 200
    assert _events(await harness.ledger()) == ["started", "completed"]


async def test_a_lost_completion_is_retried_promptly_and_sent_once(
    harness: Harness, make_workflow
) -> None:
    """If the final event fails, the PUT still succeeds and the job closes one short interval
    later, exactly once."""
    clock = FakeClock()
    workflow = make_workflow(FakeNow(), clock, close_retry_seconds=5)
    tenant = _tenant(harness)
    ids = await _ids(workflow, tenant)
    await workflow.set_statuses(tenant, _changes(ids, LegacyStatus.EXPORTING))
    await harness.admin.post(
        "/sandbox/faults",
        json={"status": 500, "count": 1, "path": "export-job-events", "method": "POST"},
    )
    done = await workflow.set_statuses(tenant, _changes(ids, LegacyStatus.EXPORTED))
    assert len(done.expenses) == len(ids)
    assert _events(await harness.ledger()) == ["started"]
    assert await workflow.maintenance.run_due() == []
    clock.advance(5)
    assert await workflow.maintenance.run_due() == [tenant.company_id]
    await workflow.maintenance.run_all()
    assert _events(await harness.ledger()) == ["started", "completed"]


async def test_after_a_restart_a_finished_job_is_closed_within_one_short_interval(
    harness: Harness, make_workflow
) -> None:
    """A job whose items were all final when the proxy died is closed by the first scheduled
    pass of the next process, without any client call."""
    now = FakeNow()
    first = make_workflow(now)
    tenant = _tenant(harness)
    ids = await _ids(first, tenant)
    await first.set_statuses(tenant, _changes(ids, LegacyStatus.EXPORTING))
    await harness.admin.post(
        "/sandbox/faults",
        json={"status": 500, "count": 1, "path": "export-job-events", "method": "POST"},
    )
    await first.set_statuses(tenant, _changes(ids, LegacyStatus.EXPORTED))
    assert _events(await harness.ledger()) == ["started"]

    clock = FakeClock()
    restarted = make_workflow(now, clock, close_retry_seconds=5)
    restarted.configure(tenant)
    stop = asyncio.Event()
    loop = asyncio.create_task(restarted.run(stop))
    for _ in range(100):  # let the loop schedule its first pass (no time passes)
        if restarted.maintenance.due_in(tenant.company_id or "") is not None:
            break
        await asyncio.sleep(0)
    assert restarted.maintenance.due_in(tenant.company_id or "") == 5
    stop.set()
    await loop
    clock.advance(5)
    await restarted.maintenance.run_due()
    assert _events(await harness.ledger()) == ["started", "completed"]


async def test_an_idle_claimed_job_is_failed_and_closed_before_pleo_expires_it(
    harness: Harness, make_workflow
) -> None:
    """A claimed job whose client went quiet has its open items failed and is closed."""
    now = FakeNow()
    workflow = make_workflow(now, job_idle_seconds=900)
    tenant = _tenant(harness)
    ids = await _ids(workflow, tenant)
    await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTED)])
    now.advance(600)
    await workflow.maintenance.run_all()
    assert _events(await harness.ledger()) == ["started"]
    now.advance(301)
    await workflow.maintenance.run_all()
    ledger = await harness.ledger()
    assert _events(ledger) == ["started", "completed_with_errors"]
    failed = {
        e["accountingEntryId"]
        for e in ledger
        if e["kind"] == "item_update" and e["resultingStatus"] == "failed"
    }
    assert failed == set(ids[1:])
    job = (await harness.admin.get(f"/sandbox/jobs/{ledger[0]['jobId']}")).json()
    reasons = {i["failureReason"] for i in job["items"] if i["status"] == "failed"}
    assert reasons == {"Not processed by the legacy integration within 900 seconds."}


async def test_a_client_that_only_reads_is_not_idle(harness: Harness, make_workflow) -> None:
    """A GET counts as activity: a slow client still paging is not failed by the idle policy."""
    now = FakeNow()
    workflow = make_workflow(now, job_idle_seconds=2700)
    tenant = _tenant(harness)
    ids = await _ids(workflow, tenant)
    await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTING)])
    now.advance(2000)
    await workflow.list_expenses(tenant, QUEUED)
    now.advance(2000)
    await workflow.maintenance.run_all()
    assert _events(await harness.ledger()) == ["started"]
    now.advance(701)
    await workflow.maintenance.run_all()
    assert _events(await harness.ledger()) == ["started", "completed_with_errors"]


async def test_idle_policy_wait_leaves_the_job_to_pleo(harness: Harness, make_workflow) -> None:
    """With idle_policy=wait the proxy never fails items on its own."""
    now = FakeNow()
    workflow = make_workflow(now, job_idle_seconds=900, idle_policy="wait")
    tenant = _tenant(harness)
    ids = await _ids(workflow, tenant)
    await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTING)])
    now.advance(3000)
    await workflow.maintenance.run_all()
    assert _events(await harness.ledger()) == ["started"]
    assert all(e["outcome"] == "accepted" for e in await harness.ledger())


async def _expire_everything(harness: Harness) -> None:
    response = await harness.admin.post("/sandbox/clock", json={"advanceSeconds": 3601})
    assert response.status_code == 200


async def test_an_expired_pending_job_leaves_the_view_and_its_put_is_refused(
    harness: Harness,
) -> None:
    """A pending job that expired disappears from GET at once; a PUT of its ids gets a 409
    saying it expired, and nothing is sent to Pleo for it."""
    ids = [e["id"] for e in await harness.queued()]
    await _expire_everything(harness)
    assert await harness.queued() == []
    before = await harness.upstream_calls()
    response = await harness.put(ids, "EXPORTING")
    assert_legacy_error(response, 409, "expired")
    assert "back in its export queue" in response.json()["message"]
    after = await harness.upstream_calls()
    assert "createExportJobEventV3" not in after
    assert "updateExportJobItemsV3" not in after
    assert after["getExportJobsListV3"] == before["getExportJobsListV3"]


async def test_a_put_on_a_job_that_expired_while_cached_claims_nothing(harness: Harness) -> None:
    """A PUT of a cached job that expired since is refused after one re-read; no other job is
    claimed and a second PUT sends nothing at all."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.proxy.get("/v1/expenses", headers=harness.auth())
    harness.proxy_app.state.workflow.cache.get(harness.companies[0]["companyId"]).refreshed_at = (
        float("inf")  # the view stays "fresh": the PUT meets the expiry only through Pleo
    )
    await _expire_everything(harness)
    response = await harness.put(ids, "EXPORTING")
    assert_legacy_error(response, 409, "expired")
    ledger = await harness.ledger()
    assert _events(ledger) == []
    assert not [e for e in ledger if e["kind"] == "item_update"]
    calls = await harness.upstream_calls()
    again = await harness.put(ids, "EXPORTING")
    assert_legacy_error(again, 409, "expired")
    assert await harness.upstream_calls() == calls


async def test_a_claimed_job_that_expired_answers_409_not_502(harness: Harness) -> None:
    """After a claimed job expires, PUT EXPORTED is told the job expired (409) once Pleo
    refuses the write, and later PUTs are refused without sending anything."""
    ids = [e["id"] for e in await harness.queued()]
    await harness.put(ids, "EXPORTING")
    await _expire_everything(harness)
    response = await harness.put(ids, "EXPORTED")
    assert_legacy_error(response, 409, "expired")
    calls = await harness.upstream_calls()
    again = await harness.put(ids, "EXPORTED")
    assert_legacy_error(again, 409, "expired")
    assert (await harness.upstream_calls()).get("updateExportJobItemsV3") == calls.get(
        "updateExportJobItemsV3"
    )
    assert await harness.queued() == []

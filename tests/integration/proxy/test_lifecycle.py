"""The job lifecycle beyond the happy path: restarts, lost completions, idle clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from adapter.errors import UpstreamUnavailable
from adapter.export.client import ExportClient, build_http_client
from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.mapping import load_mapping_table
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow, WorkflowSettings
from tests.support.clocks import FakeNow
from tests.support.harness import SANDBOX, Harness


@pytest.fixture
async def make_workflow(harness: Harness) -> AsyncIterator[Callable[..., JobWorkflow]]:
    """Build workflows straight over the sandbox, with a clock the test moves."""
    clients: list[httpx.AsyncClient] = []

    def _make(now: FakeNow, **settings: Any) -> JobWorkflow:
        http = build_http_client(
            timeout_seconds=5,
            max_connections=5,
            transport=httpx.ASGITransport(app=harness.sandbox),
        )
        clients.append(http)
        return JobWorkflow(
            client=ExportClient(http, base_url=SANDBOX),
            store=MemoryStore(),
            table=load_mapping_table(),
            settings=WorkflowSettings(discovery_min_interval_seconds=0, **settings),
            now=now,
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


async def test_a_lost_completion_is_sent_once_by_the_scheduled_round(
    harness: Harness, make_workflow
) -> None:
    """If the final event failed, the next scheduled round closes the job, exactly once."""
    now = FakeNow()
    workflow = make_workflow(now)
    tenant = _tenant(harness)
    ids = [e.id for e in await workflow.view(tenant)]
    await workflow.update_statuses(tenant, [StatusChange(i, LegacyStatus.EXPORTING) for i in ids])
    await harness.admin.post(
        "/sandbox/faults",
        json={"status": 500, "count": 1, "path": "export-job-events", "method": "POST"},
    )
    with pytest.raises(UpstreamUnavailable):
        # Every item lands; the completion event is what fails.
        await workflow.update_statuses(
            tenant, [StatusChange(i, LegacyStatus.EXPORTED) for i in ids]
        )
    assert _events(await harness.ledger()) == ["started"]
    restarted = make_workflow(now)
    await restarted.view(tenant)
    await restarted.maintain()
    await restarted.maintain()
    assert _events(await harness.ledger()) == ["started", "completed"]


async def test_an_idle_claimed_job_is_failed_and_closed_before_pleo_expires_it(
    harness: Harness, make_workflow
) -> None:
    """A claimed job whose client went quiet has its open items failed and is closed."""
    now = FakeNow()
    workflow = make_workflow(now, job_idle_seconds=900)
    tenant = _tenant(harness)
    ids = [e.id for e in await workflow.view(tenant)]
    await workflow.update_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTED)])
    now.advance(600)
    await workflow.maintain()
    assert _events(await harness.ledger()) == ["started"]
    now.advance(301)
    await workflow.maintain()
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


async def test_idle_policy_wait_leaves_the_job_to_pleo(harness: Harness, make_workflow) -> None:
    """With idle_policy=wait the proxy never fails items on its own."""
    now = FakeNow()
    workflow = make_workflow(now, job_idle_seconds=900, idle_policy="wait")
    tenant = _tenant(harness)
    ids = [e.id for e in await workflow.view(tenant)]
    await workflow.update_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTING)])
    now.advance(3000)
    await workflow.maintain()
    assert _events(await harness.ledger()) == ["started"]
    assert all(e["outcome"] == "accepted" for e in await harness.ledger())

"""The write path's guards: one writer per company, partial batches, request-level checks."""

from __future__ import annotations

import orjson
import pytest

from adapter.errors import Conflict, ItemUpdateIncomplete, NotFound
from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.store import MemoryStore
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow
from tests.support.clocks import FakeClock
from tests.support.pleo_payloads import COMPANY_ID, job_json
from tests.support.workflow_fakes import FakePleo, pleo_error

IN_PROGRESS = job_json(status="in_progress")


def changes(ids: list[str], status: LegacyStatus) -> list[StatusChange]:
    return [StatusChange(i, status) for i in ids]


async def test_a_company_held_by_another_replica_gets_409_and_nothing_is_sent(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, store: MemoryStore
) -> None:
    """While another worker holds the company's lease, a PUT is told to retry (409)."""
    ids = pleo.discovery(["pending"])
    await workflow.get_expense(tenant, ids[0])
    assert await store.acquire_lease(f"wf:lease:{COMPANY_ID}", "other", ttl_seconds=60)
    with pytest.raises(Conflict) as refused:
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert refused.value.headers["Retry-After"] == "5"
    assert pleo.events_sent() == []


async def test_a_partly_applied_write_keeps_what_landed_and_re_reads_the_rest(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """When the second batch of 100 fails, the first batch's statuses are kept, the client
    gets the error, and the next read takes Pleo's item statuses again."""
    ids = pleo.discovery(["in_progress"] * 150, job=IN_PROGRESS)
    await workflow.get_expense(tenant, ids[0])
    pleo.put_items()
    pleo.put_items(response=pleo_error(503, "UNAVAILABLE"))
    with pytest.raises(ItemUpdateIncomplete) as failed:
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert failed.value.status_code == 503
    clock.advance(3)
    pleo.list_jobs(IN_PROGRESS)
    pleo.job_items(["successful"] * 100 + ["in_progress"] * 50)
    single = orjson.loads(await workflow.get_expense(tenant, ids[120]))
    assert single["status"] == "EXPORTING"
    assert orjson.loads(await workflow.get_expense(tenant, ids[0]))["status"] == "EXPORTED"


async def test_one_id_twice_with_different_statuses_is_refused(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """A PUT naming an expense twice with different statuses is a 409 before any write."""
    ids = pleo.discovery(["pending"])
    await workflow.get_expense(tenant, ids[0])
    twice = [
        StatusChange(ids[0], LegacyStatus.EXPORTING),
        StatusChange(ids[0], LegacyStatus.EXPORTED),
    ]
    with pytest.raises(Conflict, match="twice"):
        await workflow.set_statuses(tenant, twice)
    same = [StatusChange(ids[0], LegacyStatus.QUEUED), StatusChange(ids[0], LegacyStatus.QUEUED)]
    assert len((await workflow.set_statuses(tenant, same)).expenses) == 1


async def test_a_passthrough_put_learns_its_company_first(
    pleo: FakePleo, workflow: JobWorkflow
) -> None:
    """A PUT from a credential never seen before reads Pleo once to find its company and job."""
    key = Tenant(UpstreamCredential.api_key("key-p"))
    ids = pleo.discovery(["in_progress"], job=IN_PROGRESS, company_id=None)
    pleo.put_items()
    pleo.event()
    answer = await workflow.set_statuses(key, changes(ids, LegacyStatus.EXPORTED))
    assert [orjson.loads(e)["status"] for e in answer.expenses] == ["EXPORTED"]
    assert pleo.events_sent() == ["completed"]


async def test_a_put_from_a_credential_without_jobs_is_404(
    pleo: FakePleo, workflow: JobWorkflow
) -> None:
    """A credential whose company has no export job has no expenses to update."""
    pleo.list_jobs(company_id=None)
    with pytest.raises(NotFound):
        await workflow.set_statuses(
            Tenant(UpstreamCredential.api_key("key-p")), changes(["x"], LegacyStatus.EXPORTED)
        )


async def test_a_refused_credential_on_close_leaves_the_job_for_the_next_round(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """If Pleo refuses the credential when closing, the PUT still answers (its items landed)
    and the company is due again one short interval later."""
    ids = pleo.discovery(["in_progress"], job=IN_PROGRESS)
    await workflow.get_expense(tenant, ids[0])
    pleo.put_items()
    pleo.event(pleo_error(401, "UNAUTHORIZED"))
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert len(answer.expenses) == 1
    assert workflow.maintenance.due_in(COMPANY_ID) == 5

"""Every recovery path of the write side: Pleo's word wins, re-read once, never re-post blindly."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from adapter.errors import ExportJobGone, NotFound, StatusChangeRefused, UpstreamUnavailable
from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.legacy.query import ExpenseQuery
from adapter.observability.metrics import Metrics
from adapter.tenancy import Tenant
from adapter.workflow import JobWorkflow
from tests.support.clocks import FakeClock
from tests.support.pleo_payloads import COMPANY_ID, JOB_ID, job_json
from tests.support.workflow_fakes import FakePleo, expired_job, pleo_error

IN_PROGRESS = job_json(status="in_progress")
NEXT_JOB = "0b0b0b0b-0000-4000-8000-0000000000ff"
ALL = ExpenseQuery(statuses=frozenset(), types=frozenset(), page_offset=0, page_size=10)


def changes(ids: list[str], status: LegacyStatus) -> list[StatusChange]:
    return [StatusChange(i, status) for i in ids]


def counted(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def loaded(
    pleo: FakePleo,
    workflow: JobWorkflow,
    tenant: Tenant,
    statuses: list[str],
    *,
    job: dict[str, Any] | None = None,
) -> list[str]:
    """The company's view loaded with one job whose items have ``statuses``; their ids."""
    ids = pleo.discovery(statuses, job=job)
    await workflow.get_expense(tenant, ids[0])
    return ids


async def test_an_expired_pending_job_is_refused_without_a_write(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """`started` refused on a job that expired unclaimed: one re-read, a 409 saying it expired,
    no item write, and the next PUT is refused without any call."""
    ids = await loaded(pleo, workflow, tenant, ["pending"] * 2)
    pleo.event(pleo_error(422, "INVALID_EXPORT_JOB_STATUS_CHANGE"))
    pleo.get_job(expired_job())
    with pytest.raises(ExportJobGone, match="expired") as refused:
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert "back in its export queue" in refused.value.message
    assert pleo.items_sent() == []
    with pytest.raises(ExportJobGone):
        await workflow.set_statuses(tenant, changes(ids[:1], LegacyStatus.EXPORTING))
    view = workflow.cache.get(COMPANY_ID)
    assert view is not None
    assert view.job is None


async def test_an_expired_claimed_job_is_refused_and_leaves_the_view(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """An item write Pleo refuses because the job ended is answered with ExportJobGone after
    one re-read; the job's data is released."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"] * 2, job=IN_PROGRESS)
    pleo.put_items(response=pleo_error(422, "EXPORT_JOB_STATUS_UNPROCESSABLE"))
    pleo.get_job(expired_job())
    with pytest.raises(ExportJobGone, match="expired"):
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert pleo.events_sent() == []
    view = workflow.cache.get(COMPANY_ID)
    assert view is not None
    assert view.job is None
    assert view.departed is not None
    assert view.departed.reason == "failed"


async def test_a_job_pleo_no_longer_knows_is_gone(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """404 EXPORT_NOT_FOUND on an item write and on the re-read: ExportJobGone."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"], job=IN_PROGRESS)
    pleo.put_items(response=pleo_error(404, "EXPORT_NOT_FOUND"))
    pleo.get_job(response=pleo_error(404, "EXPORT_NOT_FOUND"))
    with pytest.raises(ExportJobGone):
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))


async def test_a_failed_job_says_so(pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant) -> None:
    """A job failed in Pleo (not expired) is reported as failed, expenses back in the queue."""
    ids = await loaded(pleo, workflow, tenant, ["pending"])
    pleo.event(pleo_error(422, "INVALID_EXPORT_JOB_STATUS_CHANGE"))
    pleo.get_job(job_json(status="failed", failureReasonType="canceled_by_user"))
    with pytest.raises(ExportJobGone, match="was failed in Pleo"):
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))


async def test_a_lost_started_answer_is_settled_by_reading_the_job(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, metrics: Metrics
) -> None:
    """`started` times out but landed: the job is read, found in_progress, and the write goes
    ahead; `started` is not re-posted."""
    ids = await loaded(pleo, workflow, tenant, ["pending"] * 2)
    pleo.event_lost()
    pleo.get_job(IN_PROGRESS)
    pleo.put_items()
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert [orjson.loads(e)["status"] for e in answer.expenses] == ["EXPORTING"] * 2
    assert pleo.events_sent() == ["started"]
    assert counted(metrics, "adapter_export_jobs_claimed_total") == 1


async def test_a_late_started_answer_refused_as_a_repeat_counts_as_claimed(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """A 422 on `started` for a job that is in_progress (the first one landed) is success."""
    ids = await loaded(pleo, workflow, tenant, ["pending"])
    pleo.event(pleo_error(422, "INVALID_EXPORT_JOB_STATUS_CHANGE"))
    pleo.get_job(IN_PROGRESS)
    pleo.put_items()
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert answer.failures == []


async def test_an_unconfirmed_claim_writes_nothing_and_is_re_read_first_on_retry(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """`started` lost and the job still pending: the client gets 503 and nothing is written;
    its retry reads the job before anything else and claims only because Pleo says pending."""
    ids = await loaded(pleo, workflow, tenant, ["pending"])
    pleo.event_lost()
    pleo.get_job()
    with pytest.raises(UpstreamUnavailable, match="did not confirm"):
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert pleo.items_sent() == []
    pleo.get_job(IN_PROGRESS)  # the first `started` did land after all
    pleo.put_items()
    await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTING))
    assert pleo.events_sent() == ["started"]


async def test_a_put_never_claims_another_job_than_its_ids_belong_to(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """Once the job expired and the next one is current, a PUT of the old ids gets
    ExportJobGone without any call; the next job is not claimed."""
    old = await loaded(pleo, workflow, tenant, ["pending"])
    next_job = job_json(NEXT_JOB, createdAt="2026-01-06T09:00:00Z")
    pleo.list_jobs(next_job)
    pleo.get_job(expired_job())
    new = pleo.job_items(["pending"], job_id=NEXT_JOB, first=10)
    pleo.export_items(1, job_id=NEXT_JOB, first=10)
    clock.advance(3)
    page = await workflow.list_expenses(tenant, ALL)
    assert [orjson.loads(e)["id"] for e in page.expenses] == new
    with pytest.raises(ExportJobGone):
        await workflow.set_statuses(tenant, changes(old, LegacyStatus.EXPORTING))
    assert pleo.events_sent() == []


async def test_per_item_errors_re_read_the_job_and_report_each_item(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """Pleo refuses one item (EXPORT_ENTRY_STATUS_UPDATE_FAILED): the job and its items are
    read once, the item is listed as a failure with Pleo's status, the others succeed."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"] * 2, job=IN_PROGRESS)
    error = {
        "accountingEntryId": ids[0],
        "type": "EXPORT_ENTRY_STATUS_UPDATE_FAILED",
        "message": "x",
    }
    pleo.put_items(errors=[error])
    pleo.get_job(IN_PROGRESS)
    pleo.job_items(["failed", "successful"])
    pleo.event()
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert [f.expense_id for f in answer.failures] == [ids[0]]
    assert [orjson.loads(e)["status"] for e in answer.expenses] == ["NOT_EXPORTED", "EXPORTED"]
    # Every item is final now, as Pleo says: the job is closed with errors.
    assert pleo.events_sent() == ["completed_with_errors"]


async def test_an_entry_pleo_does_not_know_leaves_the_view(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """ACCOUNTING_ENTRY_DOES_NOT_EXIST: after the re-read the entry is gone from the view and
    the job closes on the remaining items."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"] * 2, job=IN_PROGRESS)
    error = {"accountingEntryId": ids[0], "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST", "message": "x"}
    pleo.put_items(errors=[error])
    pleo.get_job(IN_PROGRESS)
    pleo.job_items(["successful"], first=1)
    pleo.event()
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert answer.failures[0].error_type == "ACCOUNTING_ENTRY_DOES_NOT_EXIST"
    assert [orjson.loads(e)["id"] for e in answer.expenses] == [ids[1]]
    assert pleo.events_sent() == ["completed"]


async def test_a_lost_completed_found_done_is_not_re_posted(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, metrics: Metrics
) -> None:
    """`completed` times out but landed: the re-read finds the job completed; nothing is
    posted again and the PUT succeeds."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"], job=IN_PROGRESS)
    pleo.put_items()
    pleo.event_lost()
    pleo.get_job(job_json(status="completed"))
    await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert pleo.events_sent() == ["completed"]
    assert counted(metrics, "adapter_export_jobs_closed_total", outcome="completed") == 1
    view = workflow.cache.get(COMPANY_ID)
    assert view is not None
    assert view.job is None


async def test_a_lost_completed_is_retried_promptly_after_a_re_read(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """`completed` lost and the job still in_progress: the PUT answers 200; one short interval
    later the scheduled work re-reads the job and sends `completed` once more."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"], job=IN_PROGRESS)
    pleo.put_items()
    pleo.event_lost()
    pleo.get_job(IN_PROGRESS)
    answer = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert [orjson.loads(e)["status"] for e in answer.expenses] == ["EXPORTED"]
    assert workflow.maintenance.due_in(COMPANY_ID) == 5
    clock.advance(5)
    pleo.list_jobs(IN_PROGRESS)
    pleo.get_job(IN_PROGRESS)
    pleo.event()
    assert await workflow.maintenance.run_due() == [COMPANY_ID]
    assert pleo.events_sent() == ["completed", "completed"]


async def test_a_refused_close_takes_pleos_items_before_trying_again(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """422 on `completed` (Pleo's items disagree): the next round re-reads the items and closes
    with what Pleo says (here: with errors)."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"], job=IN_PROGRESS)
    pleo.put_items()
    pleo.event(pleo_error(422, "INVALID_EXPORT_JOB_STATUS_CHANGE"))
    pleo.get_job(IN_PROGRESS)
    await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    clock.advance(5)
    pleo.list_jobs(IN_PROGRESS)
    pleo.job_items(["failed"])
    pleo.get_job(IN_PROGRESS)
    pleo.event()
    await workflow.maintenance.run_due()
    assert pleo.events_sent() == ["completed", "completed_with_errors"]


async def test_illegal_transitions_and_unknown_ids_send_nothing(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """A forbidden change is refused (409) and an unknown id (404, after one re-read) too,
    before anything is written."""
    ids = await loaded(pleo, workflow, tenant, ["successful", "pending"], job=IN_PROGRESS)
    with pytest.raises(StatusChangeRefused):
        await workflow.set_statuses(tenant, changes(ids[:1], LegacyStatus.EXPORTING))
    pleo.list_jobs(IN_PROGRESS)
    with pytest.raises(NotFound, match="not found"):
        await workflow.set_statuses(
            tenant,
            [
                *changes(ids[1:], LegacyStatus.EXPORTING),
                StatusChange("nope", LegacyStatus.EXPORTED),
            ],
        )
    assert pleo.items_sent() == []


async def test_a_retried_final_put_on_a_closed_job_is_a_no_op(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """After the job closed, repeating the last PUT answers 200 without a call; a different
    status for its expenses is refused."""
    ids = await loaded(pleo, workflow, tenant, ["in_progress"], job=IN_PROGRESS)
    pleo.put_items()
    pleo.event()
    await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    again = await workflow.set_statuses(tenant, changes(ids, LegacyStatus.EXPORTED))
    assert (again.expenses, again.failures) == ([], [])
    with pytest.raises(StatusChangeRefused):
        await workflow.set_statuses(tenant, changes(ids, LegacyStatus.NOT_EXPORTED))
    assert JOB_ID in {r.url.path.split("/")[3] for r in pleo.mock.get_requests(method="PUT")}

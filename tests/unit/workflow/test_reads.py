"""What a legacy GET sees: one view per company, shared reads, stale answers, preview."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from adapter.errors import MappingError, NotFound, UpstreamAuthError, UpstreamUnavailable
from adapter.export.models import ExportItemV3
from adapter.legacy.models import ExpenseType, LegacyStatus, StatusChange
from adapter.legacy.query import ExpenseQuery
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow
from adapter.workflow.expense_docs import EncodedExpense, ExpenseEncoder
from tests.support.clocks import FakeClock
from tests.support.pleo_payloads import COMPANY_ID, entry_id, job_json
from tests.support.workflow_fakes import COMPANY_B, JOB_B, FakePleo, pleo_error


def query(*statuses: LegacyStatus, offset: int = 0, size: int = 100) -> ExpenseQuery:
    return ExpenseQuery(
        statuses=frozenset(statuses), types=frozenset(), page_offset=offset, page_size=size
    )


def ids_of(expenses: list[bytes]) -> list[str]:
    return [orjson.loads(e)["id"] for e in expenses]


def passthrough(key: str) -> Tenant:
    return Tenant(UpstreamCredential.api_key(key))


async def test_a_get_lists_the_current_job_with_current_statuses(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """GET shows the job's items in Pleo's order, each with the legacy status of its item."""
    ids = pleo.discovery(["pending", "in_progress", "successful", "failed", "abandoned"])
    page = await workflow.list_expenses(tenant, query())
    statuses = [orjson.loads(e)["status"] for e in page.expenses]
    assert ids_of(page.expenses) == ids
    assert statuses == ["QUEUED", "EXPORTING", "EXPORTED", "NOT_EXPORTED", "NOT_EXPORTED"]
    queued = await workflow.list_expenses(tenant, query(LegacyStatus.QUEUED))
    assert ids_of(queued.expenses) == ids[:1]
    assert (queued.total_count, queued.next_page_offset, queued.stale_seconds) == (1, None, None)


async def test_paging_slices_the_status_list(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """pageOffset/pageSize page through the items of the requested statuses only."""
    statuses = ["pending", "successful"] * 10
    ids = pleo.discovery(statuses)
    first = await workflow.list_expenses(tenant, query(LegacyStatus.QUEUED, size=4))
    second = await workflow.list_expenses(tenant, query(LegacyStatus.QUEUED, offset=8, size=4))
    queued = [i for i, s in zip(ids, statuses, strict=True) if s == "pending"]
    assert ids_of(first.expenses) == queued[:4]
    assert first.next_page_offset == 4
    assert ids_of(second.expenses) == queued[8:]
    assert (second.total_count, second.next_page_offset) == (10, None)


async def test_concurrent_gets_of_one_company_share_one_upstream_read(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """Twenty simultaneous GETs cause one read of Pleo (strict mock: a second would fail)."""
    pleo.discovery(["pending"] * 3)
    pages = await asyncio.gather(*(workflow.list_expenses(tenant, query()) for _ in range(20)))
    assert {p.total_count for p in pages} == {3}


async def test_two_credentials_of_one_company_share_one_view(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """A second token of the same company reads and writes the same view: no second load, no
    contradiction after the first token's write."""
    other = Tenant(UpstreamCredential.api_key("key-two"), company_id=COMPANY_ID)
    ids = pleo.discovery(["pending"] * 2)
    await workflow.list_expenses(tenant, query())
    pleo.event()
    pleo.put_items()
    await workflow.set_statuses(other, [StatusChange(ids[0], LegacyStatus.EXPORTING)])
    seen = await workflow.list_expenses(other, query(LegacyStatus.EXPORTING))
    assert ids_of(seen.expenses) == ids[:1]
    pleo.put_items()
    done = await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTED)])
    assert orjson.loads(done.expenses[0])["status"] == "EXPORTED"
    assert pleo.events_sent() == ["started"]


async def test_passthrough_learns_the_company_from_pleo_and_shares_it(
    pleo: FakePleo, workflow: JobWorkflow
) -> None:
    """Two API keys of one company, unknown up front, end up on one view: the second key's
    first read names the company and reuses the loaded job."""
    pleo.discovery(["pending"] * 2, company_id=None)
    first = await workflow.list_expenses(passthrough("key-a"), query())
    pleo.list_jobs(job_json(), company_id=None)
    second = await workflow.list_expenses(passthrough("key-b"), query())
    assert first.expenses == second.expenses
    assert [c for c, _ in workflow.background_companies()] == [COMPANY_ID]


async def test_a_passthrough_credential_without_jobs_is_not_remembered(
    pleo: FakePleo, workflow: JobWorkflow
) -> None:
    """A credential whose company Pleo shows no job for gets an empty list; nothing is
    registered, so no scheduled work runs for it."""
    pleo.list_jobs(company_id=None)
    page = await workflow.list_expenses(passthrough("key-a"), query())
    assert (page.expenses, page.total_count) == ([], 0)
    assert workflow.background_companies() == []
    assert await workflow.maintenance.run_all() == []


async def test_a_refused_credential_is_never_polled(pleo: FakePleo, workflow: JobWorkflow) -> None:
    """A made-up token gets Pleo's 401 and is forgotten: background rounds never call Pleo
    for it."""
    pleo.list_jobs(company_id=None, response=pleo_error(401, "UNAUTHORIZED"))
    with pytest.raises(UpstreamAuthError):
        await workflow.list_expenses(passthrough("made-up"), query())
    assert await workflow.maintenance.run_all() == []


async def test_passthrough_tenants_are_bounded(
    pleo: FakePleo, make_workflow: Callable[..., JobWorkflow]
) -> None:
    """Only ADAPTER_MAX_PASSTHROUGH_TENANTS companies are kept for scheduled work."""
    workflow = make_workflow(max_passthrough_tenants=1)
    pleo.discovery(["pending"], company_id=None)
    await workflow.list_expenses(passthrough("key-a"), query())
    job_b = job_json(JOB_B, COMPANY_B)
    pleo.discovery(["pending"], job=job_b, company_id=None, first=50)
    await workflow.list_expenses(passthrough("key-b"), query())
    assert [c for c, _ in workflow.background_companies()] == [COMPANY_B]


async def test_a_get_may_answer_the_last_good_view_marked_stale(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """While Pleo is down, a GET answers the last good view (within the limit) with its age."""
    pleo.discovery(["pending"] * 2)
    fresh = await workflow.list_expenses(tenant, query())
    clock.advance(120)
    pleo.list_jobs(response=pleo_error(503, "UNAVAILABLE"))
    stale = await workflow.list_expenses(tenant, query())
    assert stale.expenses == fresh.expenses
    assert stale.stale_seconds == 120


async def test_a_view_older_than_the_stale_limit_is_not_served(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, clock: FakeClock
) -> None:
    """Past ADAPTER_STALE_READ_SECONDS the GET fails with Pleo's error instead."""
    pleo.discovery(["pending"])
    await workflow.list_expenses(tenant, query())
    clock.advance(301)
    pleo.list_jobs(response=pleo_error(503, "UNAVAILABLE"))
    with pytest.raises(UpstreamUnavailable):
        await workflow.list_expenses(tenant, query())


@pytest.mark.parametrize(
    ("status", "error"), [(503, UpstreamUnavailable), (401, UpstreamAuthError)]
)
async def test_stale_reads_can_be_disabled_and_never_hide_a_refused_credential(
    pleo: FakePleo,
    make_workflow: Callable[..., JobWorkflow],
    tenant: Tenant,
    clock: FakeClock,
    status: int,
    error: type[Exception],
) -> None:
    """With the limit at 0, or when Pleo refuses the credential, a failed read is an error."""
    workflow = make_workflow(stale_read_seconds=0 if status == 503 else 300)
    pleo.discovery(["pending"])
    await workflow.list_expenses(tenant, query())
    clock.advance(3)
    pleo.list_jobs(response=pleo_error(status, "ERROR"))
    with pytest.raises(error):
        await workflow.list_expenses(tenant, query())


async def test_a_put_never_answers_from_cache(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """With Pleo down a PUT fails (503) even though the view is cached."""
    ids = pleo.discovery(["pending"])
    await workflow.list_expenses(tenant, query())
    pleo.event(pleo_error(503, "UNAVAILABLE"))
    pleo.get_job(response=pleo_error(503, "UNAVAILABLE"))
    with pytest.raises(UpstreamUnavailable):
        await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTING)])
    assert pleo.items_sent() == []


async def test_evicting_a_company_drops_its_state_and_data_together(
    pleo: FakePleo, make_workflow: Callable[..., JobWorkflow], tenant: Tenant, clock: FakeClock
) -> None:
    """With room for one company, reading a second evicts the first whole; the first is then
    read again from Pleo, both layers, never served half (an empty list)."""
    workflow = make_workflow(cache_max_bytes=4_000)
    other = Tenant(UpstreamCredential.api_key("key-b"), company_id=COMPANY_B)
    pleo.discovery(["pending"] * 3)
    await workflow.list_expenses(tenant, query())
    assert 2_000 < workflow.cache.used_bytes <= 4_000  # room for one such company, not two
    pleo.discovery(["pending"] * 3, job=job_json(JOB_B, COMPANY_B), company_id=COMPANY_B, first=50)
    await workflow.list_expenses(other, query())
    assert workflow.cache.get(COMPANY_ID) is None
    assert workflow.cache.get(COMPANY_B) is not None
    pleo.discovery(["pending"] * 3)
    again = await workflow.list_expenses(tenant, query())
    assert again.total_count == 3
    assert workflow.cache.used_bytes <= 4_000


async def test_preview_reads_without_registering_or_counting_as_activity(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """preview and preview_ids read the view but register nothing for scheduled work and
    leave the job's activity time alone (and never write: the mock is strict)."""
    ids = pleo.discovery(["pending"] * 3, company_id=None)
    key = passthrough("shadow")
    page = await workflow.preview(key, query(LegacyStatus.QUEUED))
    assert ids_of(page.expenses) == ids
    assert ids_of(await workflow.preview_ids(key, [ids[2], "unknown", ids[0]])) == [ids[2], ids[0]]
    assert workflow.background_companies() == []
    view = workflow.cache.get(COMPANY_ID)
    assert view is not None
    assert view.job is not None
    before = view.job.activity
    await workflow.preview(key, query())
    assert view.job.activity == before


async def test_single_expense_and_receipts(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """GET /v1/expenses/{id} and its receipts come from the same view; unknown ids are 404."""
    ids = pleo.discovery(["pending"] * 2)
    single = orjson.loads(await workflow.get_expense(tenant, ids[1]))
    assert (single["id"], single["status"]) == (ids[1], "QUEUED")
    assert await workflow.list_receipts(tenant, ids[1]) == []
    with pytest.raises(NotFound, match="not found"):
        await workflow.get_expense(tenant, entry_id(99))
    with pytest.raises(NotFound, match="not found"):
        await workflow.list_receipts(tenant, entry_id(99))


async def test_an_unmappable_item_is_never_offered(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export item the table cannot translate is left out of the list and of counts."""
    encode = ExpenseEncoder.encode

    def refuse_one(self: ExpenseEncoder, item: ExportItemV3) -> EncodedExpense:
        if item.accounting_entry_id == entry_id(1):
            msg = "cannot"
            raise MappingError(msg, accounting_entry_id=entry_id(1))
        return encode(self, item)

    monkeypatch.setattr(ExpenseEncoder, "encode", refuse_one)
    ids = pleo.discovery(["pending"] * 3)
    page = await workflow.list_expenses(tenant, query())
    assert ids_of(page.expenses) == [ids[0], ids[2]]
    assert page.total_count == 2
    with pytest.raises(NotFound):
        await workflow.get_expense(tenant, ids[1])


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"types": frozenset({ExpenseType.CARD})}, 3),
        ({"types": frozenset({ExpenseType.MANUAL})}, 0),
        ({"date_from": datetime(2026, 1, 4, tzinfo=UTC)}, 3),
        ({"date_to": datetime(2026, 1, 3, tzinfo=UTC)}, 0),
        ({"account_id": "nope"}, 0),
        ({"tag_id": "nope"}, 0),
    ],
)
async def test_other_filters_scan_the_job(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, filters: dict[str, Any], expected: int
) -> None:
    """types, dates, account and tag filters apply to every candidate of the statuses."""
    pleo.discovery(["pending"] * 3)
    page = await workflow.list_expenses(tenant, replace(query(size=2), **filters))
    assert page.total_count == expected
    assert len(page.expenses) == min(expected, 2)

"""Reads and writes of one company interleaved: an answer Pleo gave before a write never undoes
what the write did (found by the history checker, tests/support/history)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from adapter.legacy.models import LegacyStatus, StatusChange
from adapter.legacy.query import ExpenseQuery
from adapter.tenancy import Tenant
from adapter.workflow import JobWorkflow
from tests.support.pleo_payloads import job_json, page_json
from tests.support.workflow_fakes import FakePleo

ALL = ExpenseQuery(statuses=frozenset(), types=frozenset(), page_offset=0, page_size=10)


async def test_a_get_answered_before_a_claim_does_not_make_the_job_look_unclaimed(
    pleo: FakePleo, make_workflow: Callable[..., JobWorkflow], tenant: Tenant
) -> None:
    """A GET's job list read while the job was pending, delivered after a PUT claimed it, does
    not turn the job back to pending: the next PUT sends no second `started`."""
    workflow = make_workflow(discovery_min_interval_seconds=0)
    ids = pleo.discovery(["pending", "pending"])
    await workflow.get_expense(tenant, ids[0])
    read_by_get = asyncio.Event()
    answer = asyncio.Event()

    async def pending_then_wait(request: httpx.Request) -> httpx.Response:
        read_by_get.set()
        await answer.wait()
        return httpx.Response(200, json=page_json([job_json()]))  # as Pleo had it: pending

    pleo.list_jobs(callback=pending_then_wait)
    get = asyncio.create_task(workflow.list_expenses(tenant, ALL))
    await read_by_get.wait()
    pleo.event()
    pleo.put_items()
    await workflow.set_statuses(tenant, [StatusChange(i, LegacyStatus.EXPORTING) for i in ids])
    answer.set()
    await get

    pleo.put_items()
    await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTED)])

    assert pleo.events_sent() == ["started"]
    assert [item["status"] for item in pleo.items_sent()] == [
        "in_progress",
        "in_progress",
        "successful",
    ]


async def test_a_get_answered_before_a_close_does_not_bring_the_closed_job_back(
    pleo: FakePleo, make_workflow: Callable[..., JobWorkflow], tenant: Tenant
) -> None:
    """A GET's job list read while the job was still in progress, delivered after a PUT
    closed it, does not load the closed job again: the GET shows nothing, and nothing more is
    sent or read for that job."""
    workflow = make_workflow(discovery_min_interval_seconds=0)
    in_progress = job_json(status="in_progress")
    ids = pleo.discovery(["in_progress"], job=in_progress)
    await workflow.get_expense(tenant, ids[0])
    read_by_get = asyncio.Event()
    answer = asyncio.Event()

    async def in_progress_then_wait(request: httpx.Request) -> httpx.Response:
        read_by_get.set()
        await answer.wait()
        return httpx.Response(200, json=page_json([in_progress]))

    pleo.list_jobs(callback=in_progress_then_wait)
    get = asyncio.create_task(workflow.list_expenses(tenant, ALL))
    await read_by_get.wait()
    pleo.put_items()
    pleo.event()
    await workflow.set_statuses(tenant, [StatusChange(ids[0], LegacyStatus.EXPORTED)])
    answer.set()
    page = await get

    assert page.expenses == []
    assert pleo.events_sent() == ["completed"]

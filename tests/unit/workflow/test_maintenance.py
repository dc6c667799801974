"""Scheduled work: per company, concurrent, bounded; one tenant cannot stop the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest

from adapter.auth import PassthroughAuthenticator
from adapter.errors import Unauthorized
from adapter.observability.context import company_hash
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import JobWorkflow, WorkflowSettings
from adapter.workflow.maintenance import Maintenance
from tests.support.clocks import FakeClock
from tests.support.pleo_payloads import COMPANY_ID, job_json
from tests.support.workflow_fakes import COMPANY_B, FakePleo, pleo_error

B = Tenant(UpstreamCredential.api_key("key-b"), company_id=COMPANY_B)


async def test_one_slow_company_does_not_delay_the_others(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant
) -> None:
    """While one company's round waits on Pleo, another company's round runs to the end."""
    workflow.configure(tenant)
    workflow.configure(B)
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"data": [], "pagination": {"hasNextPage": False}})

    pleo.list_jobs(callback=slow)
    pleo.list_jobs(company_id=COMPANY_B)
    rounds = asyncio.create_task(workflow.maintenance.run_all())
    for _ in range(1000):  # wait for B's round to finish, bounded, no time passing
        if workflow.cache.get(COMPANY_B) is not None:
            break
        await asyncio.sleep(0)
    assert workflow.cache.get(COMPANY_B) is not None
    assert not rounds.done()
    release.set()
    assert sorted(await rounds) == sorted([COMPANY_ID, COMPANY_B])


async def test_a_failing_company_is_logged_and_retried_sooner_alone(
    pleo: FakePleo, workflow: JobWorkflow, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    """A company whose round fails is logged and due again soon; the others keep their
    normal schedule."""
    workflow.configure(tenant)
    workflow.configure(B)
    pleo.list_jobs(response=pleo_error(500, "BOOM"))
    pleo.list_jobs(company_id=COMPANY_B)
    with caplog.at_level(logging.WARNING, logger="adapter.workflow"):
        await workflow.maintenance.run_all()
    assert f"company {company_hash(COMPANY_ID)} failed" in caplog.text
    assert COMPANY_ID not in caplog.text
    assert workflow.maintenance.due_in(COMPANY_ID) == 10  # close_retry_seconds * 2
    assert workflow.maintenance.due_in(COMPANY_B) == 60


async def test_any_exception_of_one_company_is_contained(clock: FakeClock) -> None:
    """Even a bug (or a deadline) in one company's round only affects that company."""
    done: list[str] = []

    async def work(company_id: str, tenant: Tenant) -> bool:
        if company_id == "broken":
            "é".encode("ascii")  # a bug of the kind a garbage header once caused
        if company_id == "late":
            raise TimeoutError
        done.append(company_id)
        return False

    companies = [(c, B) for c in ("broken", "late", "fine")]
    maintenance = Maintenance(
        work=work, companies=lambda: companies, settings=WorkflowSettings(), clock=clock
    )
    assert sorted(await maintenance.run_all()) == ["broken", "fine", "late"]
    assert done == ["fine"]
    assert maintenance.due_in("broken") == maintenance.due_in("late") == 10


async def test_the_loop_schedules_configured_companies_one_short_interval_after_start(
    workflow: JobWorkflow, tenant: Tenant
) -> None:
    """On start every configured company falls due after close_retry_seconds, and a stop
    ends the loop."""
    workflow.configure(tenant)
    stop = asyncio.Event()
    loop = asyncio.create_task(workflow.run(stop))
    for _ in range(100):
        if workflow.maintenance.due_in(COMPANY_ID) is not None:
            break
        await asyncio.sleep(0)
    assert workflow.maintenance.due_in(COMPANY_ID) == 5
    stop.set()
    await asyncio.wait_for(loop, timeout=10)


async def test_companies_no_longer_registered_are_dropped(
    pleo: FakePleo, workflow: JobWorkflow, clock: FakeClock
) -> None:
    """A passthrough company whose credential Pleo later refuses leaves the schedule."""
    key = Tenant(UpstreamCredential.api_key("key-p"))
    pleo.discovery(["pending"], company_id=None)
    await workflow.get_expense(key, "0e0e0e0e-0000-4000-8000-000000000000")
    assert [c for c, _ in workflow.background_companies()] == [COMPANY_ID]
    pleo.list_jobs(job_json(), response=pleo_error(401, "UNAUTHORIZED"))
    await workflow.maintenance.run_all()
    assert workflow.background_companies() == []
    clock.advance(3600)
    assert await workflow.maintenance.run_due() == []
    assert workflow.maintenance.due_in(COMPANY_ID) is None


@pytest.mark.parametrize("header", ["Bearer t\u00e9st", "Basic \u00ff\u00fe", "Bearer a\x00b"])
def test_a_garbage_authorization_never_becomes_a_tenant(header: str) -> None:
    """Non-ASCII or control characters in Authorization are a 401, so they can never reach
    Pleo, the workflow or its scheduled rounds."""
    with pytest.raises(Unauthorized):
        PassthroughAuthenticator().authenticate(header)


async def test_a_passthrough_client_calling_again_brings_an_unclosed_job_forward(
    pleo: FakePleo, workflow: JobWorkflow, clock: FakeClock
) -> None:
    """After a restart in passthrough mode, the first GET of a company whose claimed job has
    only final items makes scheduled work close it one short interval later (not a poll
    interval later); the GET itself sends nothing."""
    key = Tenant(UpstreamCredential.api_key("key-p"))
    ids = pleo.discovery(
        ["successful", "failed"], job=job_json(status="in_progress"), company_id=None
    )
    await workflow.get_expense(key, ids[0])
    assert pleo.events_sent() == []
    assert workflow.maintenance.due_in(COMPANY_ID) == 5

    clock.advance(5)
    pleo.list_jobs(job_json(status="in_progress"))
    pleo.event()
    assert await workflow.maintenance.run_due() == [COMPANY_ID]
    assert pleo.events_sent() == ["completed_with_errors"]


async def _until(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (bounded in steps, no time passing)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    msg = "the condition never held"
    raise AssertionError(msg)


async def test_a_round_stuck_on_pleo_holds_up_no_company_falling_due_meanwhile(
    clock: FakeClock,
) -> None:
    """While one company's round is stuck, another company that falls due (a close to retry)
    is run again at once, not after the stuck round ends."""
    stuck = asyncio.Event()
    runs: list[str] = []

    async def work(company_id: str, tenant: Tenant) -> bool:
        runs.append(company_id)
        if company_id == "silent":
            await stuck.wait()
        return False

    companies = [("silent", B), ("fine", B)]
    maintenance = Maintenance(
        work=work,
        companies=lambda: companies,
        settings=WorkflowSettings(close_retry_seconds=0),
        clock=clock,
    )
    stop = asyncio.Event()
    loop = asyncio.create_task(maintenance.run(stop))
    await _until(lambda: runs.count("fine") == 1 and "silent" in runs)
    maintenance.schedule("fine", 0)
    await _until(lambda: runs.count("fine") == 2)

    assert runs.count("silent") == 1
    stop.set()
    assert not loop.done()
    stuck.set()
    await asyncio.wait_for(loop, timeout=10)


async def test_asking_for_a_round_while_one_runs_is_kept_for_after_it(clock: FakeClock) -> None:
    """A company asked to run again soon while its round is under way (a close to retry) is
    due at that time afterwards, not a poll interval later."""
    maintenance: Maintenance

    async def work(company_id: str, tenant: Tenant) -> bool:
        maintenance.schedule(company_id, 5)
        return False

    maintenance = Maintenance(
        work=work, companies=lambda: [("c", B)], settings=WorkflowSettings(), clock=clock
    )
    await maintenance.run_all()

    assert maintenance.due_in("c") == 5


async def test_cancelling_the_loop_cancels_the_rounds_under_way(clock: FakeClock) -> None:
    """Shutdown cancels the loop; a round waiting on a silent Pleo is cancelled with it."""
    entered = asyncio.Event()
    cancelled: list[str] = []

    async def work(company_id: str, tenant: Tenant) -> bool:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(company_id)
            raise
        return False

    maintenance = Maintenance(
        work=work,
        companies=lambda: [("c", B)],
        settings=WorkflowSettings(close_retry_seconds=0),
        clock=clock,
    )
    loop = asyncio.create_task(maintenance.run(asyncio.Event()))
    await entered.wait()
    loop.cancel()
    await asyncio.wait({loop})

    assert cancelled == ["c"]

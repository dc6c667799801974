"""Identical concurrent GETs share one upstream call instead of queueing to repeat it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from adapter.errors import UpstreamRejected, UpstreamTimeout
from adapter.export.deadline import request_deadline
from adapter.export.models import ExportJobItemStatus, UpdateExportJobItemV3
from adapter.tenancy import UpstreamCredential
from tests.support.clocks import VirtualTime
from tests.support.export_rig import Rig
from tests.support.faults import Status, until
from tests.support.pleo_payloads import JOB_ID, entry_id


async def held(rig: Callable[..., Rig], plan: object = ()) -> tuple[Rig, asyncio.Event]:
    gate = asyncio.Event()
    return rig(plan, gate=gate), gate


async def test_concurrent_identical_gets_share_one_request(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """Five callers asking for the same job while Pleo is slow cause one request; all five get
    the job."""
    r, gate = await held(rig)

    calls = asyncio.gather(*(r.client.get_job(credential, JOB_ID) for _ in range(5)))
    await until(lambda: r.transport.in_flight == 1)
    gate.set()
    jobs = await calls

    assert [job.id for job in jobs] == [JOB_ID] * 5
    assert len(r.transport.requests) == 1
    assert r.client.metrics_snapshot().shared == 4


async def test_a_shared_failure_reaches_every_caller_once(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """A failing lookup is made once for three concurrent callers, and all three get its error."""
    r, gate = await held(rig, [Status(404)])

    calls = asyncio.gather(
        *(r.client.get_job(credential, JOB_ID) for _ in range(3)), return_exceptions=True
    )
    await until(lambda: r.transport.in_flight == 1)
    gate.set()
    outcomes = await calls

    assert all(isinstance(outcome, UpstreamRejected) for outcome in outcomes)
    assert len(r.transport.requests) == 1


async def test_different_tenants_never_share(rig: Callable[..., Rig]) -> None:
    """The same URL asked with two credentials is two requests, each with its own header."""
    r, gate = await held(rig)
    one, two = UpstreamCredential.bearer("tenant-one"), UpstreamCredential.bearer("tenant-two")

    calls = asyncio.gather(r.client.get_job(one, JOB_ID), r.client.get_job(two, JOB_ID))
    await until(lambda: r.transport.in_flight == 2)
    gate.set()
    await calls

    headers = sorted(request.headers["Authorization"] for request in r.transport.requests)
    assert headers == [one.authorization, two.authorization]


async def test_item_puts_are_never_shared(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """Two identical concurrent item PUTs are both sent: writes are never merged."""
    r, gate = await held(rig)
    update = [
        UpdateExportJobItemV3(accounting_entry_id=entry_id(1), status=ExportJobItemStatus.FAILED)
    ]

    calls = asyncio.gather(*(r.client.update_job_items(credential, JOB_ID, update) for _ in "ab"))
    await until(lambda: r.transport.in_flight == 2)
    gate.set()
    await calls

    assert r.pleo.puts == 2


async def test_a_caller_that_leaves_does_not_cancel_the_call_for_the_others(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """If the caller that started the shared call is cancelled, the others still get the job."""
    r, gate = await held(rig)
    first = asyncio.create_task(r.client.get_job(credential, JOB_ID))
    await until(lambda: r.transport.in_flight == 1)
    second = asyncio.create_task(r.client.get_job(credential, JOB_ID))
    await until(lambda: r.client.metrics_snapshot().shared == 1)

    first.cancel()
    gate.set()

    assert (await second).id == JOB_ID
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(r.transport.requests) == 1


async def test_a_joining_caller_waits_no_longer_than_its_own_deadline(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """A caller with no time left that joins a call in flight gets UpstreamTimeout at once;
    the call goes on for the caller that started it."""
    r, gate = await held(rig)
    first = asyncio.create_task(r.client.get_job(credential, JOB_ID))
    await until(lambda: r.transport.in_flight == 1)

    with request_deadline(0.001, clock=vt.monotonic):
        await vt.elapse(0.001)
        with pytest.raises(UpstreamTimeout, match="within this request's deadline"):
            await r.client.get_job(credential, JOB_ID)

    gate.set()
    assert (await first).id == JOB_ID

"""One deadline per unit of work: what the context carries and how the client obeys it."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import ItemUpdateIncomplete, UpstreamTimeout, UpstreamUnavailable
from adapter.export.client import ExportClient
from adapter.export.deadline import current_deadline, remaining, request_deadline
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemStatus,
    UpdateExportJobItemV3,
)
from adapter.tenancy import UpstreamCredential
from tests.support.clocks import FakeClock, VirtualTime
from tests.support.export_rig import Rig
from tests.support.faults import Latency, Status, until
from tests.support.pleo_payloads import JOB_ID, entry_id, job_json

# --- the context variable -----------------------------------------------------------------


def test_no_deadline_outside_a_block() -> None:
    """Outside any request_deadline block there is no deadline and nothing remains to count."""
    assert current_deadline() is None
    assert remaining() is None


def test_remaining_counts_down_on_the_given_clock(clock: FakeClock) -> None:
    """Inside a 30 s block, 12 s later 18 s remain; past the end, 0 (never negative)."""
    with request_deadline(30, clock=clock) as deadline:
        clock.advance(12)
        assert remaining() == 18
        clock.advance(20)
        assert (remaining(), deadline.expired) == (0.0, True)
    assert current_deadline() is None


def test_an_inner_deadline_can_shorten_but_never_extend(clock: FakeClock) -> None:
    """A 10 s block inside a 30 s one ends sooner; a 60 s block inside it does not end later."""
    with request_deadline(30, clock=clock) as outer:
        with request_deadline(10, clock=clock):
            assert remaining() == 10
        with request_deadline(60, clock=clock) as inner:
            assert inner is outer
            assert remaining() == 30


async def test_tasks_started_inside_inherit_the_deadline(clock: FakeClock) -> None:
    """A task created inside the block sees the same deadline (context variables are copied)."""

    async def read() -> object:
        return current_deadline()

    with request_deadline(30, clock=clock) as deadline:
        seen = await asyncio.create_task(read())
    assert seen is deadline


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.inf, math.nan])
def test_a_deadline_must_be_positive_and_finite(seconds: float) -> None:
    """Zero, negative, infinite or NaN deadlines are refused: no unbounded work by accident."""
    with pytest.raises(ValueError, match="positive finite"), request_deadline(seconds):
        pass


# --- the client under a deadline ------------------------------------------------------------


async def test_every_attempt_timeout_is_lowered_to_what_remains(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """With 15 s per attempt configured and 4 s left, the request is sent with 4 s timeouts."""
    r = rig()
    with request_deadline(4, clock=vt.monotonic):
        await r.client.get_job(credential, JOB_ID)

    assert r.transport.sent[0].timeout == {"connect": 4.0, "read": 4.0, "write": 4.0, "pool": 4.0}


async def test_the_configured_timeout_applies_when_more_time_remains(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """With 30 s left, the attempt keeps its own 15 s timeouts."""
    r = rig()
    with request_deadline(30, clock=vt.monotonic):
        await r.client.get_job(credential, JOB_ID)

    assert r.transport.sent[0].timeout["read"] == 15.0


async def test_nothing_is_sent_once_the_deadline_has_passed(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """A call made after its deadline expired raises UpstreamTimeout without a request."""
    r = rig()
    with request_deadline(1, clock=vt.monotonic):
        await vt.elapse(1)
        with pytest.raises(UpstreamTimeout, match="nothing was sent"):
            await r.client.list_jobs(credential, statuses=[])

    assert r.transport.requests == []


async def test_an_event_is_not_sent_without_a_second_to_spare(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """With 0.5 s left a job event is refused before sending, so it cannot land ambiguously;
    a GET with the same time left is still sent."""
    r = rig()
    event = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=JOB_ID)
    with request_deadline(0.5, clock=vt.monotonic):
        with pytest.raises(UpstreamTimeout, match="nothing was sent"):
            await r.client.post_job_event(credential, event)
        await r.client.get_job(credential, JOB_ID)

    assert [request.method for request in r.transport.requests] == ["GET"]
    assert r.pleo.events == []


async def test_no_backoff_sleep_starts_that_would_end_past_the_deadline(
    rig: Callable[..., Rig],
    credential: UpstreamCredential,
    vt: VirtualTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With 0.5 s left after a 503 and a 1 s backoff drawn, the backoff is not slept: the 503
    is raised at once instead."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)  # the longest jitter
    r = rig([Status(503)], backoff_base=1.0)

    with request_deadline(0.5, clock=vt.monotonic), pytest.raises(UpstreamUnavailable):
        await r.client.get_job(credential, JOB_ID)

    assert vt.sleeps == []
    assert len(r.transport.requests) == 1


async def test_work_outside_a_request_gets_a_deadline_of_its_own(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """A call with no open deadline (background work) is bounded by deadline_seconds."""
    r = rig(lambda request: Latency(60.0), deadline_seconds=7)

    with pytest.raises(UpstreamTimeout):
        await r.client.get_job(credential, JOB_ID)

    assert r.transport.sent[0].timeout["read"] == 7.0
    assert vt.monotonic() == 1_007.0


async def test_batches_share_one_deadline_and_say_what_landed(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """Three item batches at 2 s each under a 5 s deadline: two land, the third times out at
    the deadline, and ItemUpdateIncomplete names the 200 that landed and the 50 unconfirmed."""
    r = rig(lambda request: Latency(2.0))
    updates = [
        UpdateExportJobItemV3(accounting_entry_id=entry_id(n), status=ExportJobItemStatus.FAILED)
        for n in range(250)
    ]
    with request_deadline(5, clock=vt.monotonic), pytest.raises(ItemUpdateIncomplete) as caught:
        await r.client.update_job_items(credential, JOB_ID, updates)

    assert len(caught.value.applied) == 200
    assert caught.value.not_applied == [entry_id(n) for n in range(200, 250)]
    assert r.transport.sent[2].timeout["read"] == 1.0
    assert vt.monotonic() == 1_005.0


# Two tests on the real clock: what they check is the cut that enforces the deadline when
# nothing else would (a fake upstream enforces no socket timeouts). They assert the outcome
# only, never a duration, and each waits its 0.2 s deadline once.


async def test_an_answer_that_never_completes_is_cut_at_the_deadline(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """An upstream that accepts the request and never finishes answering is cut when the
    deadline runs out, as a 504, however long its per-read timeout."""

    async def never_finishes(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        return httpx.Response(200)  # never reached: nothing sets the event

    httpx_mock.add_callback(never_finishes)

    with request_deadline(0.2), pytest.raises(UpstreamTimeout):
        await make_client().get_job(credential, JOB_ID)


async def test_waiting_for_a_free_slot_counts_against_the_deadline(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """With the only in-flight slot taken, a call waits for it no longer than its deadline
    and fails with 504 without sending anything."""
    release = asyncio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"data": job_json()})

    httpx_mock.add_callback(held)
    client = make_client(max_in_flight=1)
    first = asyncio.create_task(client.get_job(credential, JOB_ID))
    await until(lambda: client.metrics_snapshot().in_flight == 1)

    with request_deadline(0.2), pytest.raises(UpstreamTimeout):
        await client.list_jobs(credential, statuses=[])

    release.set()
    assert (await first).id == JOB_ID
    assert client.metrics_snapshot().requests["list_jobs"] == {"PoolTimeout": 1}

"""reliability.md §1.13 F1-F12 at the Export API client, through the fault transport.

Time is virtual: the client's sleeps and Pleo's latency move a fake clock, so "waits 2 s" is
asserted as the sleep the client asked for, and deadlines expire without anyone waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter.errors import (
    UpstreamCircuitOpen,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapter.export.client import ExportClient
from adapter.export.deadline import request_deadline
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemStatus,
    ExportJobV3,
    UpdateExportJobItemV3,
)
from adapter.observability.metrics import Metrics
from adapter.tenancy import UpstreamCredential
from tests.support.clocks import VirtualTime
from tests.support.export_rig import FakePleo, Rig
from tests.support.faults import (
    ConnectRefused,
    ConnectTimeout,
    InvalidJson,
    Latency,
    ReadTimeout,
    Redirect,
    ResetMidBody,
    Status,
    rate_limited,
    seeded_plan,
    until,
)
from tests.support.pleo_payloads import BASE_URL, CANARY, JOB_ID, entry_id, job_item_json, page_json

STARTED = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=JOB_ID)
RETRIES = "adapter_upstream_retries_total"


def successful(count: int) -> list[UpdateExportJobItemV3]:
    return [
        UpdateExportJobItemV3(
            accounting_entry_id=entry_id(n), status=ExportJobItemStatus.SUCCESSFUL
        )
        for n in range(count)
    ]


# --- F1-F3: rate limiting and Retry-After --------------------------------------------------


async def test_f1_retry_after_seconds_is_waited_then_the_call_succeeds(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F1: 429 with Retry-After: 2, then 200: the client waits exactly 2 s, succeeds, and one
    retry is counted in the metrics."""
    r = rig([rate_limited(2)])

    job = await r.client.get_job(credential, JOB_ID)

    assert job.id == JOB_ID
    assert r.time.sleeps == [2.0]
    assert r.transport.applied == ["status", "pass"]
    assert r.sample(RETRIES, operation="get_job") == 1


async def test_f2_retry_after_as_an_http_date_is_honoured(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F2: a Retry-After HTTP-date 3 s ahead makes the client wait 3 s, then succeed."""
    r = rig([rate_limited(date_in=3)])

    await r.client.get_job(credential, JOB_ID)

    assert r.time.sleeps == [3.0]


async def test_f2_without_retry_after_the_wait_is_jittered_backoff(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F2: a 429 without Retry-After is retried after full jitter within the first backoff."""
    r = rig([rate_limited(), rate_limited()])

    await r.client.get_job(credential, JOB_ID)

    assert len(r.time.sleeps) == 2
    assert 0.0 <= r.time.sleeps[0] <= 0.25
    assert 0.0 <= r.time.sleeps[1] <= 0.5


async def test_f2_all_waits_stay_inside_the_deadline(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F2: repeated Retry-After: 2 under a 5 s deadline waits twice, then gives up with the
    429's Retry-After rather than sleeping past the deadline."""
    r = rig([rate_limited(2)] * 10, retries=9)
    start = vt.monotonic()

    with request_deadline(5, clock=vt.monotonic), pytest.raises(UpstreamUnavailable) as caught:
        await r.client.get_job(credential, JOB_ID)

    assert r.time.sleeps == [2.0, 2.0]
    assert vt.monotonic() - start <= 5
    assert caught.value.headers == {"Retry-After": "2"}


async def test_f3_a_retry_after_past_the_deadline_answers_at_once(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F3: Retry-After: 120 under a 30 s deadline: no sleep, one request, and a 503 error that
    carries Retry-After for the legacy client."""
    r = rig([rate_limited(120)])

    with request_deadline(30, clock=vt.monotonic), pytest.raises(UpstreamUnavailable) as caught:
        await r.client.get_job(credential, JOB_ID)

    assert r.time.sleeps == []
    assert len(r.transport.requests) == 1
    assert caught.value.status_code == 503
    assert caught.value.headers == {"Retry-After": "120"}


# --- F4-F6: server errors, the circuit, connection failures --------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_f4_a_5xx_on_a_get_is_retried_then_succeeds(
    rig: Callable[..., Rig], credential: UpstreamCredential, status: int
) -> None:
    """F4: one 500/502/503/504 on a GET, then 200: one jittered backoff, then the answer."""
    r = rig([Status(status)])

    job = await r.client.get_job(credential, JOB_ID)

    assert job.id == JOB_ID
    assert len(r.transport.requests) == 2
    assert len(r.time.sleeps) == 1
    assert 0.0 <= r.time.sleeps[0] <= 0.25


async def test_f4_attempts_are_bounded(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F4: a GET failing every time is tried the configured 3 times, then its 503 is raised."""
    r = rig([Status(503)] * 4)

    with pytest.raises(UpstreamUnavailable):
        await r.client.get_job(credential, JOB_ID)

    assert len(r.transport.requests) == 3


async def test_f5_five_failures_open_the_circuit_and_calls_fail_fast(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F5: after five consecutive 5xx the next calls are refused without reaching Pleo or
    sleeping, with 503 and Retry-After 30, and the client reports itself not ready."""
    r = rig([Status(500)] * 5, retries=0)
    for _ in range(5):
        with pytest.raises(UpstreamUnavailable):
            await r.client.get_job(credential, JOB_ID)
    assert r.client.upstream_health().ready is False

    for _ in range(3):
        with pytest.raises(UpstreamCircuitOpen) as caught:
            await r.client.get_job(credential, JOB_ID)
        assert caught.value.status_code == 503
        assert caught.value.headers == {"Retry-After": "30"}

    assert len(r.transport.requests) == 5
    assert r.time.sleeps == []
    assert r.sample("adapter_upstream_circuit_openings_total") == 1
    assert r.sample("adapter_upstream_circuit_state", state="open") == 1


async def test_f5_after_the_open_interval_one_probe_goes_and_success_closes(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F5: 30 s after opening exactly one probe reaches Pleo while others are refused; its
    success closes the circuit and calls flow again."""
    gate = asyncio.Event()
    gate.set()
    r = rig([Status(502)] * 5, retries=0, gate=gate)
    for _ in range(5):
        with pytest.raises(UpstreamUnavailable):
            await r.client.get_job(credential, JOB_ID)
    await vt.elapse(30)
    assert r.client.upstream_health().ready is True  # half-open: let traffic reach the probe

    gate.clear()
    probe = asyncio.create_task(r.client.get_job(credential, JOB_ID))
    await until(lambda: r.transport.in_flight == 1)
    with pytest.raises(UpstreamCircuitOpen):
        await r.client.list_jobs(credential, statuses=[])
    gate.set()
    assert (await probe).id == JOB_ID

    await r.client.list_jobs(credential, statuses=[])
    assert len(r.transport.requests) == 7
    assert r.client.metrics_snapshot().circuit == "closed"


async def test_f5_a_failed_probe_reopens_for_longer(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F5: a failing probe opens the circuit again for twice the interval (Envoy's n-fold rule)."""
    r = rig([Status(503)] * 6, retries=0)
    for _ in range(5):
        with pytest.raises(UpstreamUnavailable):
            await r.client.get_job(credential, JOB_ID)
    await vt.elapse(30)
    with pytest.raises(UpstreamUnavailable):
        await r.client.get_job(credential, JOB_ID)  # the probe

    with pytest.raises(UpstreamCircuitOpen) as caught:
        await r.client.get_job(credential, JOB_ID)

    assert caught.value.headers == {"Retry-After": "60"}
    assert r.sample("adapter_upstream_circuit_openings_total") == 2


async def test_f5_answers_that_prove_pleo_is_there_do_not_open_the_circuit(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F5: ten 404s in a row leave the circuit closed: only 5xx and no answer count."""
    r = rig([Status(404)] * 10, retries=0)
    for _ in range(10):
        with pytest.raises(Exception, match="rejected"):
            await r.client.get_job(credential, JOB_ID)

    assert r.client.upstream_health().ready is True
    assert len(r.transport.requests) == 10


@pytest.mark.parametrize(
    ("fault", "raised", "status", "attempts"),
    [
        (ConnectRefused(), UpstreamUnavailable, 503, 3),
        # Each connect timeout costs the full 15 s: two fit in the 30 s deadline, not three.
        (ConnectTimeout(), UpstreamTimeout, 504, 2),
    ],
)
async def test_f6_connection_failures_are_retried_then_mapped(
    rig: Callable[..., Rig],
    credential: UpstreamCredential,
    caplog: pytest.LogCaptureFixture,
    vt: VirtualTime,
    fault: ConnectRefused | ConnectTimeout,
    raised: type[Exception],
    status: int,
    attempts: int,
) -> None:
    """F6: a refused or timed-out connection is retried within the deadline; exhausted, it
    is 503 or 504, and no secret reaches a log line."""
    caplog.set_level(logging.DEBUG)
    r = rig([fault] * 3)
    start = vt.monotonic()

    with pytest.raises(raised) as caught:
        await r.client.get_job(credential, JOB_ID)

    assert len(r.transport.requests) == attempts
    assert vt.monotonic() - start <= 30
    assert getattr(caught.value, "status_code", None) == status
    assert CANARY not in caplog.text
    assert CANARY not in str(caught.value)


async def test_f6_a_refused_connection_then_success_returns_the_answer(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F6: one refused connection, then Pleo answers: the caller gets the answer."""
    r = rig([ConnectRefused()])

    assert (await r.client.get_job(credential, JOB_ID)).id == JOB_ID
    assert r.transport.applied == ["connect_refused", "pass"]


# --- F7-F9: ambiguous writes, repeatable writes, broken bodies ---------------------------


@pytest.mark.parametrize("landed", [True, False])
async def test_f7_an_event_that_timed_out_is_never_reposted(
    rig: Callable[..., Rig], credential: UpstreamCredential, landed: bool
) -> None:
    """F7: a read timeout on POST /export-job-events raises UpstreamTimeout after exactly one
    request, whether or not Pleo applied it; the caller re-reads the job."""
    r = rig([ReadTimeout(landed=landed)])

    with pytest.raises(UpstreamTimeout):
        await r.client.post_job_event(credential, STARTED)

    assert len(r.transport.requests) == 1
    assert len(r.pleo.events) == (1 if landed else 0)
    assert r.time.sleeps == []


async def test_f7_an_event_that_never_left_is_sent_again(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F7: a refused connection proves the event never left, so it is sent again, once."""
    r = rig([ConnectRefused()])

    await r.client.post_job_event(credential, STARTED)

    assert r.transport.applied == ["connect_refused", "pass"]
    assert len(r.pleo.events) == 1


async def test_f8_an_item_put_that_timed_out_is_sent_again(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F8: a read timeout on the item PUT (it landed) re-sends the same body; the items end
    successful, each once in Pleo's state."""
    r = rig([ReadTimeout(landed=True)])

    outcome = await r.client.update_job_items(credential, JOB_ID, successful(3))

    bodies = {request.content for request in r.transport.requests}
    assert len(r.transport.requests) == 2
    assert len(bodies) == 1
    assert r.pleo.item_statuses == {entry_id(n): "successful" for n in range(3)}
    assert [item.status for item in outcome.items] == [ExportJobItemStatus.SUCCESSFUL] * 3


async def test_f9_a_reset_mid_body_is_retried_never_half_parsed(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F9: a connection reset in the middle of a page is retried and the whole list returned."""
    r = rig([None, ResetMidBody(after_bytes=40)], pleo=FakePleo(pages=3))

    jobs = await r.client.list_jobs(credential, statuses=[])

    assert len(jobs) == 3
    assert r.transport.applied == ["pass", "reset_mid_body", "pass", "pass"]


async def test_f9_resets_to_the_end_fail_the_call_as_a_whole(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F9: a page that breaks off on every attempt fails the list with 502; nothing partial
    is returned."""
    r = rig([None, *[ResetMidBody()] * 3], pleo=FakePleo(pages=3))

    with pytest.raises(UpstreamProtocolError) as caught:
        await r.client.list_jobs(credential, statuses=[])

    assert caught.value.status_code == 502


async def test_f9_truncated_json_is_refused_and_counted_not_retried(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F9: a 200 whose JSON is cut short is a 502 contract breach, counted, not retried."""
    r = rig([InvalidJson()])

    with pytest.raises(UpstreamProtocolError, match="breaks the contract"):
        await r.client.get_job(credential, JOB_ID)

    assert len(r.transport.requests) == 1
    assert r.sample("adapter_upstream_contract_violations_total", operation="get_job") == 1


# --- F10-F12: contract breaches, redirects, latency --------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        {"exportJobId": JOB_ID, "status": "pending"},
        {**job_item_json(1), "accountingEntryId": 42},
        {**job_item_json(1), "status": ["pending"]},
    ],
    ids=["missing-accountingEntryId", "number-for-id", "list-for-status"],
)
async def test_f10_an_answer_breaking_the_schema_is_a_counted_502(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
    item: dict[str, object],
) -> None:
    """F10: a 200 page with an item missing accountingEntryId or with a field of the wrong
    type is refused as a 502, counted, and never partly returned."""
    httpx_mock.add_response(json=page_json([job_item_json(0), item]))
    metrics = Metrics()
    client = make_client(metrics=metrics)

    with pytest.raises(UpstreamProtocolError) as caught:
        await client.list_job_items(credential, JOB_ID)

    assert caught.value.status_code == 502
    count = metrics.registry.get_sample_value(
        "adapter_upstream_contract_violations_total", {"operation": "list_job_items"}
    )
    assert count == 1


async def test_f10_a_page_breaking_the_schema_fails_the_page_by_page_read_too(
    httpx_mock: HTTPXMock,
    make_client: Callable[..., ExportClient],
    credential: UpstreamCredential,
) -> None:
    """F10: reading the job's items page by page (as the workflow loads a job), a page with
    an item missing accountingEntryId is a counted 502 and none of its items is handed out."""
    httpx_mock.add_response(json=page_json([job_item_json(0), {"exportJobId": JOB_ID}]))
    metrics = Metrics()
    client = make_client(metrics=metrics)
    handed_out: list[str] = []

    async def read_pages() -> None:
        async for page in client.iter_job_items(credential, JOB_ID):
            handed_out.extend(item.accounting_entry_id for item in page)

    with pytest.raises(UpstreamProtocolError) as caught:
        await read_pages()

    assert caught.value.status_code == 502
    assert handed_out == []
    count = metrics.registry.get_sample_value(
        "adapter_upstream_contract_violations_total", {"operation": "list_job_items"}
    )
    assert count == 1


async def test_f10_an_unknown_status_value_is_data_for_the_mapping_to_judge(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """F10: an item status outside today's enum is passed on as written (Pleo types these as
    strings); the workflow's policy, not the client, decides what to do with that item."""
    httpx_mock.add_response(json=page_json([{**job_item_json(1), "status": "shipped"}]))

    [item] = await client.list_job_items(credential, JOB_ID)

    assert item.status == "shipped"


async def test_f11_a_redirect_to_another_host_is_not_followed(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F11: a 302 to another host is a 502; nothing is sent there, so no token leaves."""
    r = rig([Redirect("https://evil.example/steal")])

    with pytest.raises(UpstreamProtocolError, match="redirect"):
        await r.client.get_job(credential, JOB_ID)

    assert [request.url.host for request in r.transport.requests] == [httpx.URL(BASE_URL).host]


async def test_f12_latency_on_every_call_ends_at_the_deadline(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F12: with 2 s latency on every call, a three-page list under a 5 s deadline gets pages
    at 2 s and 4 s, sends the third with a 1 s timeout, and answers 504 at the deadline."""
    r = rig(lambda request: Latency(2.0), pleo=FakePleo(pages=3))
    start = vt.monotonic()

    with request_deadline(5, clock=vt.monotonic), pytest.raises(UpstreamTimeout) as caught:
        await r.client.list_jobs(credential, statuses=[])

    assert [sent.timeout["read"] for sent in r.transport.sent] == [5.0, 3.0, 1.0]
    assert vt.monotonic() - start == 5.0
    assert caught.value.status_code == 504


async def test_f12_a_single_slow_call_still_answers_within_the_deadline(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F12: 2 s latency on a call with 30 s to spare is just slow: the answer comes back."""
    r = rig(lambda request: Latency(2.0))

    with request_deadline(30, clock=vt.monotonic):
        assert (await r.client.get_job(credential, JOB_ID)).id == JOB_ID


async def test_f12_slow_calls_never_exceed_the_in_flight_limit(
    rig: Callable[..., Rig], credential: UpstreamCredential
) -> None:
    """F12: twelve concurrent calls held upstream never have more than max_in_flight (3) at
    Pleo at once, and all complete when Pleo answers."""
    gate = asyncio.Event()
    r = rig(lambda request: Latency(2.0), gate=gate, max_in_flight=3)
    job_ids = [f"{JOB_ID[:-2]}{n:02d}" for n in range(12)]

    calls = asyncio.gather(*(r.client.get_job(credential, job_id) for job_id in job_ids))
    await until(lambda: r.transport.in_flight == 3)
    for _ in range(20):
        await asyncio.sleep(0)
    assert r.transport.in_flight == 3
    gate.set()
    jobs = await calls

    assert [job.id for job in jobs] == job_ids
    assert r.transport.peak_in_flight == 3


async def test_f12_a_silent_pleo_opens_the_circuit_after_five_timeouts(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F12: when Pleo never answers, five timed-out calls open the circuit and the sixth is
    refused at once instead of waiting out its deadline again."""
    r = rig(lambda request: Latency(3600.0), retries=0)
    for _ in range(5):
        with pytest.raises(UpstreamTimeout):
            await r.client.get_job(credential, JOB_ID)
    before = vt.monotonic()

    with pytest.raises(UpstreamCircuitOpen):
        await r.client.get_job(credential, JOB_ID)

    assert vt.monotonic() == before
    assert len(r.transport.requests) == 5


async def test_f12_timeouts_cut_short_by_a_deadline_do_not_count_against_pleo(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime
) -> None:
    """F12: calls that had under a second left when they timed out leave the circuit closed:
    the caller's deadline, not Pleo, cut them."""
    r = rig(lambda request: Latency(3600.0), retries=0)
    for _ in range(10):
        with request_deadline(0.5, clock=vt.monotonic), pytest.raises(UpstreamTimeout):
            await r.client.get_job(credential, JOB_ID)

    assert r.client.upstream_health().ready is True


# --- seeded sequences -----------------------------------------------------------------------

MIXED = [
    ConnectRefused(),
    ConnectTimeout(),
    ReadTimeout(),
    ResetMidBody(),
    Latency(1.0),
    Status(500),
    Status(503, retry_after="1"),
    rate_limited(date_in=2),
]


def test_a_seeded_plan_is_the_same_every_time() -> None:
    """The same seed gives the same sequence of faults, so a failing run can be replayed."""
    assert seeded_plan(7, 50, MIXED) == seeded_plan(7, 50, MIXED)
    assert seeded_plan(7, 50, MIXED) != seeded_plan(8, 50, MIXED)


@pytest.mark.parametrize("seed", range(25))
async def test_any_sequence_of_faults_gives_the_whole_list_or_one_mapped_error(
    rig: Callable[..., Rig], credential: UpstreamCredential, vt: VirtualTime, seed: int
) -> None:
    """Under a seeded mix of faults a three-page list is either complete or fails with one
    mapped 502/503/504, never partial, and never past its 10 s deadline."""
    r = rig(seeded_plan(seed, 40, MIXED, rate=0.4), pleo=FakePleo(pages=3))
    start = vt.monotonic()

    outcome: list[ExportJobV3] | UpstreamError
    with request_deadline(10, clock=vt.monotonic):
        try:
            outcome = await r.client.list_jobs(credential, statuses=[])
        except UpstreamError as error:
            outcome = error

    if isinstance(outcome, UpstreamError):
        assert outcome.status_code in (502, 503, 504)
    else:
        assert len(outcome) == 3

    assert vt.monotonic() - start <= 10

"""Writing to Pleo: item statuses in batches of 100, per-item errors surfaced, job events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from pydantic import TypeAdapter
from pytest_httpx import HTTPXMock

from adapter.errors import ItemUpdateIncomplete, UpstreamRejected, UpstreamUnavailable
from adapter.export.client import ExportClient
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobFailureReasonType,
    ExportJobItemFailureReasonType,
    ExportJobItemStatus,
    ItemUpdateOutcome,
    UpdateExportJobItemV3,
)
from adapter.tenancy import UpstreamCredential
from tests.support.pleo_payloads import JOB_ID, entry_id, job_item_json, url

ITEMS_PATH = f"/v3/export-jobs/{JOB_ID}/items"
EXPORTED_AT = datetime(2026, 1, 5, 10, 8, 56, tzinfo=UTC)
# Request models forbid unknown fields, so validating a sent body against them checks its shape.
UPDATE_BODY = TypeAdapter(list[UpdateExportJobItemV3])


def updates(count: int) -> list[UpdateExportJobItemV3]:
    return [
        UpdateExportJobItemV3(
            accounting_entry_id=entry_id(n),
            status=ExportJobItemStatus.SUCCESSFUL,
            exported_at=EXPORTED_AT,
            external_id=f"ext-{n}",
        )
        for n in range(count)
    ]


def echo_update(
    request: httpx.Request, errors: list[dict[str, Any]] | None = None
) -> httpx.Response:
    """Pleo's 200: every sent item back as updated, plus the given per-item errors."""
    sent = orjson.loads(request.content)
    failed = {error["accountingEntryId"] for error in errors or []}
    data = [
        {
            **job_item_json(0),
            "accountingEntryId": item["accountingEntryId"],
            "status": item["status"],
        }
        for item in sent
        if item["accountingEntryId"] not in failed
    ]
    return httpx.Response(200, json={"data": data, "errors": errors or []})


def item_error(n: int) -> dict[str, Any]:
    return {
        "accountingEntryId": entry_id(n),
        "message": "Accounting entry does not exist.",
        "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
    }


async def test_updates_go_out_in_batches_of_100(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """250 updates become three PUTs of 100, 100 and 50 items, started in order, each a JSON
    array."""
    httpx_mock.add_callback(echo_update, url=url(ITEMS_PATH), method="PUT", is_reusable=True)

    outcome = await client.update_job_items(credential, JOB_ID, updates(250))

    requests = httpx_mock.get_requests()
    bodies = [orjson.loads(request.content) for request in requests]
    assert [len(body) for body in bodies] == [100, 100, 50]
    assert [entry_id(n) for n in range(250)] == [i["accountingEntryId"] for b in bodies for i in b]
    assert {
        "accountingEntryId": entry_id(0),
        "status": "successful",
        "exportedAt": "2026-01-05T10:08:56Z",
        "externalId": "ext-0",
    } == bodies[0][0]
    for request in requests:
        assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
        UPDATE_BODY.validate_json(request.content)
    assert len(outcome.items) == 250
    assert outcome.ok


async def test_per_item_errors_in_a_200_are_surfaced(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A 200 with errors[] yields an outcome listing those errors, not a silent success."""
    httpx_mock.add_callback(lambda request: echo_update(request, [item_error(1)]), method="PUT")

    outcome = await client.update_job_items(credential, JOB_ID, updates(3))

    assert not outcome.ok
    assert frozenset({entry_id(1)}) == outcome.failed_ids
    assert outcome.errors[0].type == "ACCOUNTING_ENTRY_DOES_NOT_EXIST"
    assert [entry_id(0), entry_id(2)] == [item.accounting_entry_id for item in outcome.items]


async def test_per_item_errors_of_every_batch_are_aggregated(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Errors from the first and the last batch both end up in the one outcome."""
    httpx_mock.add_callback(lambda request: echo_update(request, [item_error(5)]), method="PUT")
    httpx_mock.add_callback(lambda request: echo_update(request, [item_error(140)]), method="PUT")

    outcome = await client.update_job_items(credential, JOB_ID, updates(150))

    assert frozenset({entry_id(5), entry_id(140)}) == outcome.failed_ids
    assert len(outcome.items) == 148


class HeldPuts:
    """Item PUTs that wait until ``hold`` have arrived (so a test passes only if they were in
    flight together, bounded instead of hanging), then answer: a 422 for the batch holding a
    ``failing`` id, else every item updated."""

    def __init__(self, hold: int, failing: frozenset[str] = frozenset()) -> None:
        self.hold, self.failing = hold, failing
        self.arrived: list[list[str]] = []
        self.all_arrived = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        ids = [item["accountingEntryId"] for item in orjson.loads(request.content)]
        self.arrived.append(ids)
        if len(self.arrived) >= self.hold:
            self.all_arrived.set()
        async with asyncio.timeout(5.0):
            await self.all_arrived.wait()
        if self.failing & set(ids):
            return httpx.Response(
                422, json={"type": "EXPORT_JOB_STATUS_UNPROCESSABLE", "message": "finished"}
            )
        return echo_update(request)


async def test_batches_are_in_flight_together_and_the_outcome_keeps_their_order(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Three batches are at Pleo at the same time; the updated items come back in id order."""
    pleo = HeldPuts(hold=3)
    httpx_mock.add_callback(pleo, method="PUT", is_reusable=True)

    outcome = await client.update_job_items(credential, JOB_ID, updates(300))

    assert len(pleo.arrived) == 3
    assert [item.accounting_entry_id for item in outcome.items] == [entry_id(n) for n in range(300)]
    assert client.metrics_snapshot().peak_in_flight == 3


async def test_a_failed_middle_batch_among_concurrent_ones_is_reported_truthfully(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Batches one and three are applied while batch two fails: the error says exactly so."""
    pleo = HeldPuts(hold=3, failing=frozenset({entry_id(150)}))
    httpx_mock.add_callback(pleo, method="PUT", is_reusable=True)

    with pytest.raises(ItemUpdateIncomplete) as caught:
        await client.update_job_items(credential, JOB_ID, updates(300))

    error = caught.value
    assert error.applied == [entry_id(n) for n in [*range(100), *range(200, 300)]]
    assert error.not_applied == [entry_id(n) for n in range(100, 200)]
    assert [i.accounting_entry_id for i in error.outcome.items] == error.applied
    assert error.upstream_type == "EXPORT_JOB_STATUS_UNPROCESSABLE"
    assert "200 of 300" in str(error)


async def test_after_a_failure_no_further_batch_is_started(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """One at a time: batch one lands, batch two fails, batches three and four are never sent
    and are reported as not applied, with batch two."""
    pleo = HeldPuts(hold=1, failing=frozenset({entry_id(100)}))
    httpx_mock.add_callback(pleo, method="PUT", is_reusable=True)

    with pytest.raises(ItemUpdateIncomplete) as caught:
        await make_client(max_in_flight=1).update_job_items(credential, JOB_ID, updates(400))

    assert len(pleo.arrived) == 2
    assert caught.value.applied == [entry_id(n) for n in range(100)]
    assert caught.value.not_applied == [entry_id(n) for n in range(100, 400)]


async def test_when_every_concurrent_batch_fails_the_plain_error_is_raised(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Two batches in flight together both fail: nothing was applied, so the error is the
    first batch's own."""
    pleo = HeldPuts(hold=2, failing=frozenset({entry_id(0), entry_id(100)}))
    httpx_mock.add_callback(pleo, method="PUT", is_reusable=True)

    with pytest.raises(UpstreamRejected) as caught:
        await client.update_job_items(credential, JOB_ID, updates(200))

    assert not isinstance(caught.value, ItemUpdateIncomplete)
    assert len(pleo.arrived) == 2


async def test_a_failed_later_batch_reports_which_ids_were_applied(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """When batch three fails, the error names the ids of batches one and two as applied."""
    httpx_mock.add_callback(lambda request: echo_update(request, [item_error(7)]), method="PUT")
    httpx_mock.add_callback(echo_update, method="PUT")
    httpx_mock.add_response(
        method="PUT",
        status_code=422,
        json={"type": "EXPORT_JOB_STATUS_UNPROCESSABLE", "message": "Export job is finished."},
    )

    with pytest.raises(ItemUpdateIncomplete) as caught:
        await client.update_job_items(credential, JOB_ID, updates(250))

    error = caught.value
    assert [entry_id(n) for n in range(200) if n != 7] == error.applied
    assert [entry_id(n) for n in range(200, 250)] == error.not_applied
    assert frozenset({entry_id(7)}) == error.outcome.failed_ids
    assert len(error.outcome.items) == 199
    assert isinstance(error.cause, UpstreamRejected)
    assert (error.upstream_status, error.upstream_type) == (422, "EXPORT_JOB_STATUS_UNPROCESSABLE")
    assert error.status_code == error.cause.status_code
    assert "199 of 250" in str(error)


async def test_a_later_batch_that_stays_unavailable_keeps_retry_after(
    httpx_mock: HTTPXMock, make_client: Callable[..., ExportClient], credential: UpstreamCredential
) -> None:
    """The incomplete-update error mirrors a 503's status and Retry-After for the caller."""
    httpx_mock.add_callback(echo_update, method="PUT")
    httpx_mock.add_response(method="PUT", status_code=503, headers={"Retry-After": "30"})

    with pytest.raises(ItemUpdateIncomplete) as caught:
        await make_client(retries=0).update_job_items(credential, JOB_ID, updates(101))

    assert caught.value.status_code == 503
    assert caught.value.headers == {"Retry-After": "30"}
    assert isinstance(caught.value.cause, UpstreamUnavailable)
    assert [entry_id(100)] == caught.value.not_applied


async def test_a_failed_first_batch_raises_the_plain_error(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """Nothing was applied, so the caller gets the mapped error itself."""
    httpx_mock.add_response(
        method="PUT", status_code=404, json={"type": "EXPORT_NOT_FOUND", "message": "nope"}
    )

    with pytest.raises(UpstreamRejected) as caught:
        await client.update_job_items(credential, JOB_ID, updates(150))

    assert not isinstance(caught.value, ItemUpdateIncomplete)
    assert caught.value.upstream_type == "EXPORT_NOT_FOUND"
    assert len(httpx_mock.get_requests()) == 1


async def test_no_updates_send_nothing(
    client: ExportClient, credential: UpstreamCredential
) -> None:
    """An empty list is an empty outcome without a request."""
    assert ItemUpdateOutcome() == await client.update_job_items(credential, JOB_ID, [])


async def test_failed_items_carry_reason_and_type(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A failed update is sent with failureReason and failureReasonType and no null fields."""
    httpx_mock.add_callback(echo_update, method="PUT")
    update = UpdateExportJobItemV3(
        accounting_entry_id=entry_id(1),
        status=ExportJobItemStatus.FAILED,
        failure_reason="Not processed by the legacy integration.",
        failure_reason_type=ExportJobItemFailureReasonType.UNEXPECTED_FAILURE,
    )

    await client.update_job_items(credential, JOB_ID, [update])

    request = httpx_mock.get_request()
    assert request is not None
    assert [
        {
            "accountingEntryId": entry_id(1),
            "status": "failed",
            "failureReason": "Not processed by the legacy integration.",
            "failureReasonType": "unexpected_failure",
        }
    ] == orjson.loads(request.content)


async def test_a_job_event_is_posted_as_json(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """POST /v3/export-job-events sends the event body and accepts Pleo's 202."""
    httpx_mock.add_response(
        url=url("/v3/export-job-events"),
        method="POST",
        status_code=202,
        match_json={"event": "started", "jobId": JOB_ID},
        match_headers={"Content-Type": "application/json;charset=UTF-8"},
    )

    event = CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=JOB_ID)
    await client.post_job_event(credential, event)

    request = httpx_mock.get_request()
    assert request is not None
    assert event == CreateExportJobEvent.model_validate_json(request.content)


async def test_a_failed_event_carries_its_reason(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A failed event includes failureReason and failureReasonType."""
    httpx_mock.add_response(
        method="POST",
        status_code=202,
        match_json={
            "event": "failed",
            "jobId": JOB_ID,
            "failureReason": "expired",
            "failureReasonType": "job_expired",
        },
    )

    await client.post_job_event(
        credential,
        CreateExportJobEvent(
            event=ExportJobEventType.FAILED,
            job_id=JOB_ID,
            failure_reason="expired",
            failure_reason_type=ExportJobFailureReasonType.JOB_EXPIRED,
        ),
    )


async def test_an_invalid_status_change_is_rejected_with_its_type(
    httpx_mock: HTTPXMock, client: ExportClient, credential: UpstreamCredential
) -> None:
    """A 422 INVALID_EXPORT_JOB_STATUS_CHANGE reaches the workflow as UpstreamRejected."""
    httpx_mock.add_response(
        method="POST",
        status_code=422,
        json={
            "type": "INVALID_EXPORT_JOB_STATUS_CHANGE",
            "message": "Export Job status change failed",
        },
    )
    event = CreateExportJobEvent(event=ExportJobEventType.COMPLETED, job_id=JOB_ID)

    with pytest.raises(UpstreamRejected) as caught:
        await client.post_job_event(credential, event)

    assert (
        caught.value.upstream_status,
        caught.value.upstream_type,
    ) == (422, "INVALID_EXPORT_JOB_STATUS_CHANGE")

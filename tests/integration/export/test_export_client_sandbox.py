"""The client against the project's in-process sandbox: a whole job lifecycle, no mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from adapter.errors import UpstreamAuthError, UpstreamRejected
from adapter.export.client import ExportClient, build_http_client
from adapter.export.models import (
    CreateExportJobEvent,
    ExportJobEventType,
    ExportJobItemStatus,
    ExportJobStatus,
    UpdateExportJobItemV3,
)
from adapter.tenancy import UpstreamCredential
from tests.support.sandbox import make_app


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[ExportClient, UpstreamCredential, str]]:
    """An ExportClient on a sandbox with one job of 130 items (two pages at limit 100)."""
    app = make_app(companies=1, jobs_per_company=1, items_per_job=130)
    transport = httpx.ASGITransport(app=app)
    async with build_http_client(timeout_seconds=5, max_connections=4, transport=transport) as http:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as admin:
            [company] = (await admin.get("/sandbox/companies")).json()
        client = ExportClient(http, base_url="http://sandbox.test", max_in_flight=4)
        yield client, UpstreamCredential.api_key(company["apiKey"]), company["companyId"]


async def test_a_whole_job_lifecycle_against_the_sandbox(
    sandbox: tuple[ExportClient, UpstreamCredential, str],
) -> None:
    """Discover, claim, read both layers, report 130 items in two batches, complete."""
    client, credential, company_id = sandbox

    [job] = await client.list_jobs(
        credential,
        statuses=[ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS],
        company_id=company_id,
    )
    items = await client.list_job_items(credential, job.id)
    exports = await client.list_export_items(credential, job.id)
    assert len(items) == len(exports) == job.number_of_items == 130

    await client.post_job_event(
        credential, CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=job.id)
    )
    assert (await client.get_job(credential, job.id)).status == "in_progress"

    now = datetime.now(UTC).replace(microsecond=0)
    outcome = await client.update_job_items(
        credential,
        job.id,
        [
            UpdateExportJobItemV3(
                accounting_entry_id=item.accounting_entry_id,
                status=ExportJobItemStatus.SUCCESSFUL,
                exported_at=now,
                external_id=f"erp-{n}",
            )
            for n, item in enumerate(items)
        ],
    )
    assert outcome.ok
    assert len(outcome.items) == 130
    pending = await client.list_job_items(credential, job.id, status=ExportJobItemStatus.PENDING)
    assert pending == []

    await client.post_job_event(
        credential, CreateExportJobEvent(event=ExportJobEventType.COMPLETED, job_id=job.id)
    )
    assert (await client.get_job(credential, job.id)).status == "completed"
    with pytest.raises(UpstreamRejected) as caught:
        await client.post_job_event(
            credential, CreateExportJobEvent(event=ExportJobEventType.STARTED, job_id=job.id)
        )
    assert caught.value.upstream_type == "INVALID_EXPORT_JOB_STATUS_CHANGE"


async def test_an_unknown_credential_is_refused_by_the_sandbox(
    sandbox: tuple[ExportClient, UpstreamCredential, str],
) -> None:
    """A wrong API key surfaces as UpstreamAuthError."""
    client, _, _ = sandbox

    with pytest.raises(UpstreamAuthError):
        await client.list_jobs(UpstreamCredential.api_key("plp_sbx_wrong"), statuses=[])

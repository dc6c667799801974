"""Export API v3 endpoints, as published in Pleo's OpenAPI (``export-api-v3.yml``,
``export-items-v3.yml``).

Choices where the spec is silent: a ``company_id`` naming another company is 403 ``FORBIDDEN``;
a job of another company is 404 ``EXPORT_NOT_FOUND`` exactly like an unknown one; a malformed
uuid, unknown enum value, repeated single parameter or comma-joined ``statuses`` value is 400
``BAD_REQUEST``. ``POST /v3/export-jobs`` (``createExportJobV3``) is not served (405); jobs are
created through ``POST /sandbox/companies/{id}/export-jobs``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter.sandbox.auth import authenticate_v3
from adapter.sandbox.errors import ApiError, bad_request
from adapter.sandbox.http import json_response, read_json
from adapter.sandbox.models import ITEM_STATUSES, JOB_STATUSES, Company, Job
from adapter.sandbox.pagination import paginate, parse_page_request, single_param
from adapter.sandbox.payloads import parse_item_updates, parse_job_event, parse_uuid
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["export_routes"]


class _ExportApi:
    def __init__(self, runtime: SandboxRuntime) -> None:
        self.runtime = runtime

    def _company(self, request: Request) -> Company:
        return authenticate_v3(request, self.runtime.state.credentials)

    def _render_job(self, job: Job) -> dict[str, object]:
        state = self.runtime.state
        return job.to_json(state.now(), state.config.expiry_seconds)

    async def list_jobs(self, request: Request) -> Response:
        company = self._company(request)
        query = request.query_params
        raw_company = single_param(query, "company_id")
        if raw_company is not None and parse_uuid(raw_company, "company_id") != company.id:
            raise ApiError(403, "FORBIDDEN", "The credential has no access to this company.")
        statuses = query.getlist("statuses")
        for status in statuses:
            if status not in JOB_STATUSES:
                msg = f"Unknown export job status '{status}'."
                raise bad_request(msg)
        page_request = parse_page_request(query)
        jobs = self.runtime.state.list_jobs(company, set(statuses) or None)
        page, info = paginate(jobs, lambda job: job.seq, page_request)
        return json_response({"data": [self._render_job(job) for job in page], "pagination": info})

    async def get_job(self, request: Request) -> Response:
        company = self._company(request)
        job_id = parse_uuid(request.path_params["job_id"], "jobId")
        job = self.runtime.state.visible_job(company, job_id)
        return json_response({"data": self._render_job(job)})

    async def list_job_items(self, request: Request) -> Response:
        company = self._company(request)
        job_id = parse_uuid(request.path_params["job_id"], "jobId")
        query = request.query_params
        status = single_param(query, "status")
        if status is not None and status not in ITEM_STATUSES:
            msg = f"Unknown export job item status '{status}'."
            raise bad_request(msg)
        page_request = parse_page_request(query)
        job = self.runtime.state.visible_job(company, job_id)
        items = [item for item in job.items.values() if status is None or item.status == status]
        page, info = paginate(items, lambda item: item.seq, page_request)
        return json_response({"data": [item.to_json() for item in page], "pagination": info})

    async def update_job_items(self, request: Request) -> Response:
        company = self._company(request)
        state = self.runtime.state
        job_id = parse_uuid(request.path_params["job_id"], "jobId")
        try:
            state.visible_job(company, job_id)
            updates = parse_item_updates(await read_json(request))
        except ApiError as error:
            state.record_rejected_item_request(company, job_id, error)
            raise
        data, errors = state.update_items(company, job_id, updates)
        return json_response(
            {
                "data": [item.to_json() for item in data],
                "errors": [
                    {
                        "accountingEntryId": error.accounting_entry_id,
                        "message": error.message,
                        "type": error.type,
                    }
                    for error in errors
                ],
            }
        )

    async def create_job_event(self, request: Request) -> Response:
        company = self._company(request)
        event = parse_job_event(await read_json(request))
        self.runtime.state.apply_event(company, event)
        return Response(status_code=202)

    async def list_export_items(self, request: Request) -> Response:
        company = self._company(request)
        query = request.query_params
        raw_job = single_param(query, "job_id")
        job_id = parse_uuid(raw_job, "job_id") if raw_job is not None else None
        page_request = parse_page_request(query)
        rows = self.runtime.state.export_item_rows(company, job_id)
        page, info = paginate(rows, lambda row: row[0], page_request)
        data = [
            entry.export_item(vendor_based_bookkeeping=job.vendor_based_bookkeeping)
            for _position, entry, job in page
        ]
        return json_response({"data": data, "pagination": info})


def export_routes(runtime: SandboxRuntime) -> list[Route]:
    """The v3 routes bound to one sandbox."""
    api = _ExportApi(runtime)
    return [
        Route("/v3/export-jobs", api.list_jobs, methods=["GET"]),
        Route("/v3/export-jobs/{job_id}", api.get_job, methods=["GET"]),
        Route("/v3/export-jobs/{job_id}/items", api.list_job_items, methods=["GET"]),
        Route("/v3/export-jobs/{job_id}/items", api.update_job_items, methods=["PUT"]),
        Route("/v3/export-job-events", api.create_job_event, methods=["POST"]),
        Route("/v3/export-items", api.list_export_items, methods=["GET"]),
    ]

"""A scripted Pleo for the workflow's unit tests: each helper expects exactly one request.

pytest-httpx is strict here: a request nobody scripted fails the test, and so does a scripted
answer nobody asked for, so every test states the upstream calls it allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from pytest_httpx import HTTPXMock

from tests.support.pleo_payloads import (
    COMPANY_ID,
    JOB_ID,
    entry_id,
    export_item_json,
    job_item_json,
    job_json,
    page_json,
    url,
)

__all__ = ["COMPANY_B", "JOB_B", "FakePleo", "expired_job", "pleo_error"]

COMPANY_B = "0c0c0c0c-0000-4000-8000-000000000002"
JOB_B = "0b0b0b0b-0000-4000-8000-000000000002"
_LIMIT = ("limit", "100")


def pleo_error(status: int, error_type: str) -> httpx.Response:
    return httpx.Response(status, json={"type": error_type, "message": "refused"})


def expired_job(job_id: str = JOB_ID, company_id: str = COMPANY_ID) -> dict[str, Any]:
    return job_json(
        job_id, company_id, status="failed", failureReasonType="job_expired", expiresIn=0
    )


class FakePleo:
    def __init__(self, mock: HTTPXMock) -> None:
        self.mock = mock

    # --- reads -------------------------------------------------------------------------------

    def list_jobs(
        self,
        *jobs: dict[str, Any],
        company_id: str | None = COMPANY_ID,
        response: httpx.Response | None = None,
        callback: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None,
    ) -> None:
        params = [("statuses", "pending"), ("statuses", "in_progress")]
        if company_id is not None:
            params.append(("company_id", company_id))
        target = url("/v3/export-jobs", [*params, _LIMIT])
        if callback is not None:
            self.mock.add_callback(callback, url=target, method="GET")
            return
        self.mock.add_response(
            url=target,
            method="GET",
            status_code=response.status_code if response is not None else 200,
            content=response.content if response is not None else None,
            json=page_json(list(jobs)) if response is None else None,
        )

    def job_items(self, statuses: list[str], *, job_id: str = JOB_ID, first: int = 0) -> list[str]:
        """The job's control layer: item ``first + n`` has ``statuses[n]``; returns the ids."""
        items = [job_item_json(first + n, job_id, s) for n, s in enumerate(statuses)]
        self.mock.add_response(
            url=url(f"/v3/export-jobs/{job_id}/items", [_LIMIT]),
            method="GET",
            json=page_json(items),
        )
        return [entry_id(first + n) for n in range(len(statuses))]

    def export_items(self, count: int, *, job_id: str = JOB_ID, first: int = 0) -> None:
        items = [export_item_json(first + n) for n in range(count)]
        self.mock.add_response(
            url=url("/v3/export-items", [("job_id", job_id), _LIMIT]),
            method="GET",
            json=page_json(items),
        )

    def discovery(
        self,
        statuses: list[str],
        *,
        job: dict[str, Any] | None = None,
        company_id: str | None = COMPANY_ID,
        first: int = 0,
    ) -> list[str]:
        """One full refresh of a company holding one job: jobs, control and data layers."""
        job = job or job_json()
        self.list_jobs(job, company_id=company_id)
        self.export_items(len(statuses), job_id=job["id"], first=first)
        return self.job_items(statuses, job_id=job["id"], first=first)

    def get_job(
        self, job: dict[str, Any] | None = None, *, response: httpx.Response | None = None
    ) -> None:
        job = job or job_json()
        answer = response or httpx.Response(200, json={"data": job})
        self.mock.add_response(
            url=url(f"/v3/export-jobs/{job['id']}"),
            method="GET",
            status_code=answer.status_code,
            content=answer.content,
        )

    # --- writes ------------------------------------------------------------------------------

    def event(self, response: httpx.Response | None = None) -> None:
        answer = response or httpx.Response(202)
        self.mock.add_response(
            url=url("/v3/export-job-events"),
            method="POST",
            status_code=answer.status_code,
            content=answer.content,
        )

    def event_lost(self) -> None:
        self.mock.add_exception(
            httpx.ReadTimeout("lost"), url=url("/v3/export-job-events"), method="POST"
        )

    def put_items(
        self,
        *,
        job_id: str = JOB_ID,
        errors: list[dict[str, Any]] | None = None,
        response: httpx.Response | None = None,
    ) -> None:
        """Pleo's answer to one item PUT: every sent item echoed back (minus ``errors``)."""
        target = url(f"/v3/export-jobs/{job_id}/items")
        if response is not None:
            self.mock.add_response(
                url=target, method="PUT", status_code=response.status_code, content=response.content
            )
            return

        def echo(request: httpx.Request) -> httpx.Response:
            failed = {e["accountingEntryId"] for e in errors or []}
            data = [
                job_item_json(0, job_id, item["status"])
                | {"accountingEntryId": item["accountingEntryId"]}
                for item in orjson.loads(request.content)
                if item["accountingEntryId"] not in failed
            ]
            return httpx.Response(200, json={"data": data, "errors": errors or []})

        self.mock.add_callback(echo, url=target, method="PUT")

    # --- what was sent -----------------------------------------------------------------------

    def events_sent(self) -> list[str]:
        return [
            orjson.loads(r.content)["event"]
            for r in self.mock.get_requests(method="POST", url=url("/v3/export-job-events"))
        ]

    def items_sent(self, job_id: str = JOB_ID) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        for request in self.mock.get_requests(
            method="PUT", url=url(f"/v3/export-jobs/{job_id}/items")
        ):
            sent.extend(orjson.loads(request.content))
        return sent

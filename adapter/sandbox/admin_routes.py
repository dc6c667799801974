"""Admin endpoints under ``/sandbox/`` for tests and demos.

Open on loopback; with ``SandboxConfig.admin_token`` set, all but ``/sandbox/healthz`` need
``Authorization: Bearer <token>`` (:mod:`adapter.sandbox.admin_auth`).

- ``GET /sandbox/healthz`` -> ``{"status": "ok"}``
- ``GET /sandbox/companies`` -> ``[{"companyId", "name", "walletCurrencies", "apiKey",
  "bearerToken", "legacyToken"}]``
- ``POST /sandbox/companies/{companyId}/export-jobs`` ``{"count"?, "vendorBasedBookkeeping"?,
  "isInteractive"?}`` -> 201 ``{"data": ExportJobV3}`` (409 ``NO_QUEUED_ENTRIES`` if none)
- ``POST /sandbox/companies/{companyId}/entries`` ``{"count": n}`` -> 201
  ``{"count": n, "accountingEntryIds": [...]}``
- ``GET /sandbox/ledger[?company_id=]`` -> ``{"entries": [LedgerEntry...]}``
- ``GET /sandbox/stats`` -> ``{"total", "byOperation", "byStatus", "byOperationAndStatus"}``;
  ``POST /sandbox/stats/reset`` -> the zeroed stats
- ``POST /sandbox/faults`` ``{"status"?, "count"?, "path"?, "method"?, "latencyMs"?,
  "headers"?}`` -> 201 ``{"faults": [...]}``; ``GET``/``DELETE /sandbox/faults``
- ``POST /sandbox/rtt`` ``{"ms": R}`` / ``GET /sandbox/rtt`` -> ``{"ms": R}``
- ``POST /sandbox/clock`` ``{"advanceSeconds": S}`` / ``GET /sandbox/clock`` ->
  ``{"now", "offsetSeconds"}`` (the POST also runs expiry)
- ``GET /sandbox/jobs/{jobId}`` -> ``{"job": ExportJobV3, "items": [ExportJobItemV3...]}``
- ``POST /sandbox/legacy/disagreements`` ``{"field": "amountSettled.value", "expenseIds": [...],
  "value": <json>}`` -> 201 ``{"disagreements": [...]}``: the legacy API then shows ``value`` at
  that field of those expenses (404 ``EXPENSE_NOT_FOUND`` for an unknown id, 400 for a path that
  does not reach a field of every one); ``GET`` lists the rules, ``DELETE`` removes them all
  (:mod:`adapter.sandbox.legacy_disagreements`)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapter.sandbox.clock import format_timestamp
from adapter.sandbox.errors import ApiError, bad_request
from adapter.sandbox.http import json_response, read_json
from adapter.sandbox.legacy_disagreements import Disagreement
from adapter.sandbox.runtime import SandboxRuntime
from adapter.sandbox.traffic import FaultRule

__all__ = ["MAX_NEW_ENTRIES", "admin_routes"]

MAX_NEW_ENTRIES = 100_000


async def _optional_object(request: Request) -> dict[str, Any]:
    if not await request.body():
        return {}
    body = await read_json(request)
    if not isinstance(body, dict):
        msg = "The body must be a JSON object."
        raise bad_request(msg)
    return body


def _count(body: dict[str, Any], *, required: bool, maximum: int) -> int | None:
    count = body.get("count")
    if count is None and not required:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= maximum:
        msg = f"'count' must be an integer from 1 to {maximum}."
        raise bad_request(msg)
    return count


def _flag(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        msg = f"'{name}' must be a boolean."
        raise bad_request(msg)
    return value


class _AdminApi:
    def __init__(self, runtime: SandboxRuntime) -> None:
        self.runtime = runtime

    async def healthz(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def companies(self, request: Request) -> Response:
        companies = self.runtime.state.companies.values()
        return json_response([company.credentials() for company in companies])

    async def create_job(self, request: Request) -> Response:
        body = await _optional_object(request)
        state = self.runtime.state
        job = state.create_job_from_queue(
            str(request.path_params["company_id"]),
            count=_count(body, required=False, maximum=MAX_NEW_ENTRIES),
            vendor_based_bookkeeping=_flag(body, "vendorBasedBookkeeping", False),
            is_interactive=_flag(body, "isInteractive", True),
        )
        return json_response(
            {"data": job.to_json(state.now(), state.config.expiry_seconds)}, status=201
        )

    async def add_entries(self, request: Request) -> Response:
        body = await _optional_object(request)
        count = _count(body, required=True, maximum=MAX_NEW_ENTRIES) or 0
        entries = self.runtime.state.add_queued_entries(
            str(request.path_params["company_id"]), count
        )
        return json_response(
            {"count": len(entries), "accountingEntryIds": [entry.id for entry in entries]},
            status=201,
        )

    async def ledger(self, request: Request) -> Response:
        company_id = request.query_params.get("company_id")
        entries = self.runtime.state.ledger.entries(company_id)
        return json_response({"entries": [entry.to_json() for entry in entries]})

    async def stats(self, request: Request) -> Response:
        return json_response(self.runtime.stats.to_json())

    async def reset_stats(self, request: Request) -> Response:
        self.runtime.stats.reset()
        return json_response(self.runtime.stats.to_json())

    def _faults(self, status: int = 200) -> Response:
        return json_response(
            {"faults": [rule.to_json() for rule in self.runtime.faults.rules]}, status=status
        )

    async def add_fault(self, request: Request) -> Response:
        self.runtime.faults.add(FaultRule.from_json(await read_json(request)))
        return self._faults(201)

    async def list_faults(self, request: Request) -> Response:
        return self._faults()

    async def clear_faults(self, request: Request) -> Response:
        self.runtime.faults.clear()
        return self._faults()

    async def set_rtt(self, request: Request) -> Response:
        body = await read_json(request)
        ms = body.get("ms") if isinstance(body, dict) else None
        if not isinstance(ms, int | float) or isinstance(ms, bool) or ms < 0:
            msg = "'ms' must be a non-negative number."
            raise bad_request(msg)
        self.runtime.rtt_ms = float(ms)
        return json_response({"ms": self.runtime.rtt_ms})

    async def get_rtt(self, request: Request) -> Response:
        return json_response({"ms": self.runtime.rtt_ms})

    def _clock(self) -> Response:
        clock = self.runtime.state.clock
        return json_response(
            {"now": format_timestamp(clock.now()), "offsetSeconds": clock.offset_seconds}
        )

    async def advance_clock(self, request: Request) -> Response:
        body = await read_json(request)
        seconds = body.get("advanceSeconds") if isinstance(body, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            msg = "'advanceSeconds' must be a non-negative number."
            raise bad_request(msg)
        self.runtime.state.clock.advance(float(seconds))
        self.runtime.state.expire_due()
        return self._clock()

    async def get_clock(self, request: Request) -> Response:
        return self._clock()

    def _disagreements(self, status: int = 200) -> Response:
        rules = self.runtime.legacy.disagreements.rules
        return json_response({"disagreements": [rule.to_json() for rule in rules]}, status=status)

    async def add_disagreement(self, request: Request) -> Response:
        rule = Disagreement.from_json(await read_json(request))
        state, view = self.runtime.state, self.runtime.legacy
        for expense_id in sorted(rule.expense_ids):
            entry = state.entries.get(expense_id)
            if entry is None:
                raise ApiError(404, "EXPENSE_NOT_FOUND", f"No expense {expense_id}.")
            if not rule.reaches(view.expense(entry, state.legacy_status(entry), view.reads)):
                msg = f"'{rule.field}' is not a field of expense {expense_id}."
                raise bad_request(msg)
        view.disagreements.add(rule)
        return self._disagreements(201)

    async def list_disagreements(self, request: Request) -> Response:
        return self._disagreements()

    async def clear_disagreements(self, request: Request) -> Response:
        self.runtime.legacy.disagreements.clear()
        return self._disagreements()

    async def job(self, request: Request) -> Response:
        state = self.runtime.state
        job = state.jobs.get(str(request.path_params["job_id"]))
        if job is None:
            raise ApiError(404, "EXPORT_NOT_FOUND", "Export job not found.")
        return json_response(
            {
                "job": job.to_json(state.now(), state.config.expiry_seconds),
                "items": [item.to_json() for item in job.items.values()],
            }
        )


def admin_routes(runtime: SandboxRuntime) -> list[Route]:
    """The admin routes bound to one sandbox."""
    api = _AdminApi(runtime)
    return [
        Route("/sandbox/healthz", api.healthz, methods=["GET"]),
        Route("/sandbox/companies", api.companies, methods=["GET"]),
        Route("/sandbox/companies/{company_id}/export-jobs", api.create_job, methods=["POST"]),
        Route("/sandbox/companies/{company_id}/entries", api.add_entries, methods=["POST"]),
        Route("/sandbox/ledger", api.ledger, methods=["GET"]),
        Route("/sandbox/stats", api.stats, methods=["GET"]),
        Route("/sandbox/stats/reset", api.reset_stats, methods=["POST"]),
        Route("/sandbox/faults", api.add_fault, methods=["POST"]),
        Route("/sandbox/faults", api.list_faults, methods=["GET"]),
        Route("/sandbox/faults", api.clear_faults, methods=["DELETE"]),
        Route("/sandbox/rtt", api.set_rtt, methods=["POST"]),
        Route("/sandbox/rtt", api.get_rtt, methods=["GET"]),
        Route("/sandbox/clock", api.advance_clock, methods=["POST"]),
        Route("/sandbox/clock", api.get_clock, methods=["GET"]),
        Route("/sandbox/jobs/{job_id}", api.job, methods=["GET"]),
        Route("/sandbox/legacy/disagreements", api.add_disagreement, methods=["POST"]),
        Route("/sandbox/legacy/disagreements", api.list_disagreements, methods=["GET"]),
        Route("/sandbox/legacy/disagreements", api.clear_disagreements, methods=["DELETE"]),
    ]

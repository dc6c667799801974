"""The company-level legacy endpoints: health, wallet balance and team membership.

- ``GET /v1/health`` -> ``{"status": "UP"}`` (authenticated, like every legacy route).
- ``GET /v1/companies/balance`` -> the primary wallet currency with a fixed, seeded
  ``available`` amount and ``current`` = available plus unsettled funds (major units).
- ``PUT``/``DELETE /v1/teams/{teamId}/employees/{employeeId}`` set or clear the employee's
  ``teamId`` (the team must exist, and the employee; ``DELETE`` of a non-member changes
  nothing) and answer ``{}``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.auth import authenticate_legacy
from adapter.sandbox.ids import stable_fraction
from adapter.sandbox.legacy_http import legacy_json, not_found
from adapter.sandbox.legacy_resource_table import EMPLOYEES, TEAMS
from adapter.sandbox.models import Company, JsonObject
from adapter.sandbox.runtime import SandboxRuntime

__all__ = ["LegacyCompanyApi"]


class LegacyCompanyApi:
    """Health, balance and team membership for one sandbox."""

    def __init__(self, runtime: SandboxRuntime) -> None:
        self.runtime = runtime

    def _company(self, request: Request) -> Company:
        return authenticate_legacy(request, self.runtime.state.credentials)

    async def health(self, request: Request) -> Response:
        self._company(request)
        return legacy_json({"status": "UP"})

    async def balance(self, request: Request) -> Response:
        company = self._company(request)
        available = round(20_000 + stable_fraction(company.id, "available") * 480_000, 2)
        unsettled = round(stable_fraction(company.id, "unsettled") * 5_000, 2)
        return legacy_json(
            {
                "currency": company.wallet_currencies[0],
                "current": round(available + unsettled, 2),
                "available": available,
            }
        )

    def _membership(self, request: Request) -> tuple[str, JsonObject]:
        directory = self.runtime.state.directory
        company = self._company(request)
        team_id = str(request.path_params["teamId"])
        if team_id not in directory.collection(company.id, "teams"):
            raise not_found(TEAMS.label)
        employee = directory.collection(company.id, "employees").get(
            str(request.path_params["employeeId"])
        )
        if employee is None:
            raise not_found(EMPLOYEES.label)
        return team_id, employee

    async def add_member(self, request: Request) -> Response:
        team_id, employee = self._membership(request)
        employee["teamId"] = team_id
        return legacy_json({})

    async def remove_member(self, request: Request) -> Response:
        team_id, employee = self._membership(request)
        if employee["teamId"] == team_id:
            employee["teamId"] = None
        return legacy_json({})

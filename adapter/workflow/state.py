"""What the workflow remembers about a tenant: the control layer of its current jobs.

Only the control layer (job id, job status, each item's status, order, last activity) is
kept here; it is small (tens of bytes per item) and serialises to the store, so a restart
or another replica can pick it up. Pleo stays the source of truth: anything missing is
rebuilt from ``GET /v3/export-jobs`` and ``GET /v3/export-jobs/{id}/items``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapter import jsonio
from adapter.export.models import ExportJobItemStatus, ExportJobStatus, ExportJobV3

__all__ = ["ItemFailure", "JobState", "TenantState", "select_current_jobs"]

_TERMINAL = frozenset(s.value for s in ExportJobItemStatus if s.is_terminal)
_ELIGIBLE = (ExportJobStatus.PENDING.value, ExportJobStatus.IN_PROGRESS.value)


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """A requested change Pleo did not apply, reported per item in the legacy answer."""

    expense_id: str
    error_type: str
    message: str


@dataclass(slots=True)
class JobState:
    job_id: str
    company_id: str
    status: str
    created_at: datetime
    order: list[str]
    statuses: dict[str, str | None]
    last_activity: datetime

    @property
    def claimed(self) -> bool:
        return self.status == ExportJobStatus.IN_PROGRESS.value

    @property
    def all_terminal(self) -> bool:
        return bool(self.statuses) and all(s in _TERMINAL for s in self.statuses.values())

    @property
    def all_successful(self) -> bool:
        return all(s == ExportJobItemStatus.SUCCESSFUL.value for s in self.statuses.values())

    def open_items(self) -> list[str]:
        return [i for i in self.order if self.statuses.get(i) not in _TERMINAL]

    def to_json(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "companyId": self.company_id,
            "status": self.status,
            "createdAt": self.created_at,
            "order": self.order,
            "statuses": self.statuses,
            "lastActivity": self.last_activity,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        return cls(
            job_id=data["jobId"],
            company_id=data["companyId"],
            status=data["status"],
            created_at=datetime.fromisoformat(data["createdAt"]),
            order=list(data["order"]),
            statuses=dict(data["statuses"]),
            last_activity=datetime.fromisoformat(data["lastActivity"]),
        )


@dataclass(slots=True)
class TenantState:
    """The tenant's current job per company, and when Pleo was last asked."""

    jobs: list[JobState] = field(default_factory=list)
    discovered_at: float = float("-inf")
    stale: bool = False

    def job_of(self, expense_id: str) -> JobState | None:
        for job in self.jobs:
            if expense_id in job.statuses:
                return job
        return None

    def dumps(self) -> bytes:
        return jsonio.dumps({"jobs": [j.to_json() for j in self.jobs]})

    @classmethod
    def loads(cls, raw: bytes) -> TenantState:
        data = jsonio.loads(raw)
        # discovered_at is process-local (monotonic); a loaded state is re-checked on use.
        return cls(jobs=[JobState.from_json(j) for j in data["jobs"]], stale=True)


def select_current_jobs(jobs: list[ExportJobV3]) -> list[ExportJobV3]:
    """One job per company: a started one first (resume), else the oldest pending one.

    Pleo: "always select the oldest eligible job. Never process jobs in parallel."
    """
    chosen: dict[str, ExportJobV3] = {}
    for job in sorted(jobs, key=_priority):
        if job.status in _ELIGIBLE:
            chosen.setdefault(job.company_id, job)
    return sorted(chosen.values(), key=lambda j: (j.created_at, j.id))


def _priority(job: ExportJobV3) -> tuple[bool, datetime, str]:
    return (job.status != ExportJobStatus.IN_PROGRESS.value, job.created_at, job.id)

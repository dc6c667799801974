"""The Export API v3 job lifecycle behind the legacy surface (design.md, pleo-api.md A.5)."""

from adapter.workflow.jobs import JobWorkflow, StatusChange, UpdateResult, WorkflowSettings
from adapter.workflow.state import ItemFailure, JobState, TenantState

__all__ = [
    "ItemFailure",
    "JobState",
    "JobWorkflow",
    "StatusChange",
    "TenantState",
    "UpdateResult",
    "WorkflowSettings",
]

"""The Export API v3 job lifecycle behind the legacy surface (design.md, pleo-api.md A.5)."""

from adapter.workflow.jobs import (
    ExpensePage,
    JobWorkflow,
    StatusUpdate,
    UpdateResult,
    WorkflowSettings,
)
from adapter.workflow.state import ItemFailure, JobState, TenantState

__all__ = [
    "ExpensePage",
    "ItemFailure",
    "JobState",
    "JobWorkflow",
    "StatusUpdate",
    "TenantState",
    "UpdateResult",
    "WorkflowSettings",
]

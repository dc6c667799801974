"""The Export API v3 job lifecycle behind the legacy surface (design.md, pleo-api.md A.5).

Parts, one job each: :mod:`company_view` (reading a company's view, single-flight),
:mod:`claims` (``started`` / ``completed`` with the re-read rule), :mod:`item_writes` (planning
and writing item statuses), :mod:`maintenance` (scheduled rounds), :mod:`cache` /
:mod:`records` / :mod:`status_index` / :mod:`expense_docs` (what is held per job, and how it is
rendered), :mod:`companies` (credential <-> company), :mod:`leases`, :mod:`activity`;
:class:`JobWorkflow` in :mod:`jobs` wires them.
"""

from adapter.workflow.config import ExpensePage, ItemFailure, StatusUpdate, WorkflowSettings
from adapter.workflow.jobs import JobWorkflow

__all__ = [
    "ExpensePage",
    "ItemFailure",
    "JobWorkflow",
    "StatusUpdate",
    "WorkflowSettings",
]

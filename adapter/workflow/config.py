"""The workflow's knobs and the values it hands back to the routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ExpensePage", "ItemFailure", "StatusUpdate", "WorkflowSettings"]


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    """See the README's settings table; :mod:`adapter.settings` bounds each one."""

    job_idle_seconds: float = 2700
    idle_policy: Literal["fail", "wait"] = "fail"
    discovery_min_interval_seconds: float = 2.0
    stale_read_seconds: float = 300
    lease_seconds: float = 120
    cache_max_bytes: int = 256 * 1024 * 1024
    max_passthrough_tenants: int = 1000
    poll_interval_seconds: float = 60
    maintenance_concurrency: int = 8
    maintenance_deadline_seconds: float = 30
    close_retry_seconds: float = 5


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """A requested change Pleo did not apply, reported per item in the legacy answer."""

    expense_id: str
    error_type: str
    message: str


@dataclass(frozen=True, slots=True)
class ExpensePage:
    """One page of legacy expenses, each already encoded as its JSON object.

    ``stale_seconds`` is set when Pleo could not be read and the page comes from the last good
    view, that many seconds old; the route marks such an answer with ``Warning``.
    """

    expenses: list[bytes]
    total_count: int
    next_page_offset: int | None
    stale_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """The answer to a legacy PUT: the requested expenses as they now stand (encoded), and
    the changes Pleo refused, per expense."""

    expenses: list[bytes]
    failures: list[ItemFailure]

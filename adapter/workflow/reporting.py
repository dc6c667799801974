"""The one place the workflow reports what it sent to Pleo: audit lines and metrics."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from adapter.observability.audit import audit_idle_policy, audit_job_event, report_item_update
from adapter.observability.metrics import Metrics

__all__ = ["WorkflowReport"]


class WorkflowReport:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics if metrics is not None else Metrics()

    def job_claimed(
        self, company_id: str, job_id: str, *, confirmed_by_read: str | None = None
    ) -> None:
        """Pleo accepted ``started`` (or a re-read found the job in the status it would set:
        pass that status as ``confirmed_by_read``)."""
        self._event(company_id, job_id, "started", confirmed_by_read)
        self._metrics.count_job_claimed()

    def job_closed(
        self, company_id: str, job_id: str, outcome: str, *, confirmed_by_read: bool = False
    ) -> None:
        """The job ended as ``outcome``: the event Pleo accepted, or the status a re-read found
        after an event whose answer was lost or refused."""
        status = outcome if confirmed_by_read else None
        self._event(company_id, job_id, "completed" if outcome == "gone" else outcome, status)
        self._metrics.count_job_closed(outcome)

    def event_refused(self, company_id: str, job_id: str, event: str, job_status: str) -> None:
        """Pleo refused (or lost) ``event`` and a re-read shows the job is elsewhere."""
        audit_job_event(
            company_id=company_id,
            job_id=job_id,
            event=event,
            outcome="refused",
            job_status=job_status,
        )

    def items_sent(
        self,
        company_id: str,
        job_id: str,
        sent: Iterable[tuple[str, str]],
        *,
        refused: Collection[str] = (),
        not_applied: Collection[str] = (),
        error: str | None = None,
    ) -> None:
        """One item-status update: audit lines per status and outcome; accepted ones counted."""
        report_item_update(
            self._metrics,
            company_id=company_id,
            job_id=job_id,
            sent=sent,
            refused=refused,
            not_applied=not_applied,
            error=error,
        )

    def idle(self, company_id: str, job_id: str, item_count: int, idle_seconds: int) -> None:
        audit_idle_policy(
            company_id=company_id, job_id=job_id, item_count=item_count, idle_seconds=idle_seconds
        )

    @staticmethod
    def _event(company_id: str, job_id: str, event: str, re_read_status: str | None) -> None:
        audit_job_event(
            company_id=company_id,
            job_id=job_id,
            event=event,
            outcome="accepted" if re_read_status is None else "confirmed",
            job_status=re_read_status,
        )

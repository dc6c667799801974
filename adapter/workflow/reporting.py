"""The one place the workflow reports what Pleo accepted: metrics now, audit lines on merge."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from adapter.observability.metrics import Metrics

__all__ = ["WorkflowReport"]

logger = logging.getLogger("adapter.workflow")


class WorkflowReport:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._metrics = metrics if metrics is not None else Metrics()

    def job_claimed(self, company_id: str, job_id: str) -> None:
        """Pleo accepted (or was found to have accepted) this process's ``started``."""
        self._metrics.count_job_claimed()
        logger.info("claimed export job %s of company %s", job_id, company_id)

    def job_closed(self, company_id: str, job_id: str, outcome: str) -> None:
        """The job ended with ``outcome`` (the event sent, or the status found on a re-read)."""
        self._metrics.count_job_closed(outcome)
        logger.info("closed export job %s of company %s as %s", job_id, company_id, outcome)

    def items_updated(self, company_id: str, job_id: str, statuses: Iterable[str]) -> None:
        """Pleo accepted these item statuses (one per item) for the job."""
        counts = Counter(statuses)
        for status, count in counts.items():
            self._metrics.count_items(status, count)
        logger.debug(
            "export job %s of company %s: %d item updates accepted",
            job_id,
            company_id,
            sum(counts.values()),
        )

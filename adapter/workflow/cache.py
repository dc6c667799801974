"""The per-company views, in one cache bounded in bytes.

One entry per company holds its current job (control layer and mapped data together, a
:class:`~adapter.workflow.records.JobRecord`) and the job that last left its view (ids and
final statuses only). Evicting an entry evicts all of it; nothing else refers to a job's data,
so the two can never disagree. The bound is ``ADAPTER_CACHE_MAX_BYTES``, charged per entry by
:meth:`CompanyView.cost`; an evicted company is simply read again from Pleo when next needed.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from cachetools import LRUCache

from adapter.observability.context import company_hash
from adapter.workflow.heap import release_soon
from adapter.workflow.records import DepartedJob, JobRecord

__all__ = ["CompanyView", "ViewCache"]

logger = logging.getLogger("adapter.workflow")


@dataclass(eq=False, slots=True)
class CompanyView:
    """What the proxy knows of one company's export jobs, as of ``refreshed_at``."""

    company_id: str
    job: JobRecord | None
    departed: DepartedJob | None
    refreshed_at: float
    """Monotonic time of the last answer from Pleo this view is built on."""

    def cost(self) -> int:
        job = self.job.cost() if self.job is not None else 0
        departed = self.departed.cost() if self.departed is not None else 0
        return sys.getsizeof(self) + job + departed

    def retire(self, reason: str) -> None:
        """The current job has left: release its data, keep its ids for retried PUTs."""
        if self.job is not None:
            self.departed = self.job.depart(reason)
            self.job = None
            release_soon()


class ViewCache:
    """Company id -> :class:`CompanyView`, least recently used first out, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._views: LRUCache[str, CompanyView] = LRUCache(
            maxsize=max_bytes, getsizeof=CompanyView.cost
        )

    def get(self, company_id: str) -> CompanyView | None:
        return self._views.get(company_id)

    def put(self, view: CompanyView) -> None:
        """Store (or re-charge, after the view changed size) ``view``."""
        self._views.pop(view.company_id, None)
        try:
            self._views[view.company_id] = view
        except ValueError:
            # One job larger than the whole budget: serve it uncached rather than fail.
            logger.warning(
                "the export job of company %s needs %d bytes, more than ADAPTER_CACHE_MAX_BYTES",
                company_hash(view.company_id),
                view.cost(),
            )

    def discard(self, company_id: str) -> None:
        self._views.pop(company_id, None)

    @property
    def used_bytes(self) -> int:
        return int(self._views.currsize)

    def __len__(self) -> int:
        return len(self._views)

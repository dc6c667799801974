"""The translated view of a company, read from the Export API and mapped, read-only.

This is what the proxy would answer to ``GET /v1/expenses`` today, rebuilt without the
workflow: list the company's eligible export jobs, take the current one as the workflow does
(:func:`adapter.workflow.company_view.select_current_job`), or every eligible job, read its items
(control layer, for each item's status) and their data (data layer), and translate each with
the mapping table. Only ``GET`` calls of :class:`~adapter.export.client.ExportClient` are
used: no job is ever claimed, no item ever changes.

When the workflow offers a read-only ``preview(tenant, query)``, a source over it can replace
this one behind :class:`~adapter.compare.sources.TranslatedExpenseSource`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal, Protocol

from adapter import jsonio
from adapter.compare.sources import ProgressCallback
from adapter.errors import MappingError
from adapter.export.models import ExportItemV3, ExportJobItemV3, ExportJobStatus, ExportJobV3
from adapter.mapping import MappingTable, to_expense
from adapter.tenancy import UpstreamCredential
from adapter.workflow.company_view import select_current_job

__all__ = ["ExportApiSource", "ExportReads", "JobScope"]

JobScope = Literal["current", "eligible"]

_ELIGIBLE = (ExportJobStatus.PENDING, ExportJobStatus.IN_PROGRESS)


class ExportReads(Protocol):
    """The reads this source needs: :class:`~adapter.export.client.ExportClient` has them, and
    so does a read-only facade over it (shadow mode holds nothing that can write)."""

    async def list_jobs(
        self,
        credential: UpstreamCredential,
        *,
        statuses: Sequence[ExportJobStatus],
        company_id: str | None = None,
    ) -> list[ExportJobV3]: ...

    async def list_job_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportJobItemV3]: ...

    async def list_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportItemV3]: ...


class ExportApiSource:
    """:class:`~adapter.compare.sources.TranslatedExpenseSource` over the Export API v3.

    Args:
        client: the Export API client, or anything with its list calls (only those are used).
        table: the mapping table that translates each Export Item.
        credential: the v3 credential of the company.
        company_id: the company whose jobs are read (None: whichever the credential reaches).
        jobs: ``current``: the one job the proxy would serve (a started one, else the oldest
            pending one); ``eligible``: every pending and started job, oldest first.
        on_progress: told (expenses translated, expected total) after every job.

    After :meth:`read_all`, ``untranslatable`` maps the id of every item the table could
    not translate (the proxy never offers those) to the reason.
    """

    def __init__(
        self,
        client: ExportReads,
        table: MappingTable,
        *,
        credential: UpstreamCredential,
        company_id: str | None,
        jobs: JobScope = "current",
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._credential = credential
        self._company_id = company_id
        self._jobs = jobs
        self._on_progress = on_progress
        self.untranslatable: dict[str, str] = {}

    async def read_all(self, statuses: Sequence[str]) -> list[dict[str, Any]]:
        """The company's translated expenses with one of ``statuses`` (all when empty)."""
        listed = await self._client.list_jobs(
            self._credential, statuses=_ELIGIBLE, company_id=self._company_id
        )
        jobs = self._select(listed)
        total = sum(job.number_of_items for job in jobs)
        wanted = set(statuses)
        expenses: list[dict[str, Any]] = []
        done = 0
        for job in jobs:
            translated = await self._job(job)
            done += len(translated)
            expenses.extend(e for e in translated if not wanted or e["status"] in wanted)
            if self._on_progress is not None:
                self._on_progress(done, max(total, done))
        return expenses

    def _select(self, listed: list[ExportJobV3]) -> list[ExportJobV3]:
        if self._jobs == "current":
            current = select_current_job(listed)
            return [] if current is None else [current]
        eligible = [job for job in listed if job.status in {s.value for s in _ELIGIBLE}]
        return sorted(eligible, key=lambda job: (job.created_at, job.id))

    async def _job(self, job: ExportJobV3) -> list[dict[str, Any]]:
        items = await self._client.list_job_items(self._credential, job.id)
        data = {
            item.accounting_entry_id: item
            for item in await self._client.list_export_items(self._credential, job.id)
        }
        expenses = []
        for item in items:
            export_item = data.get(item.accounting_entry_id)
            if export_item is None:
                continue  # the proxy offers only items it has data for
            try:
                expense = to_expense(self._table, export_item, item.status)
            except MappingError as exc:
                self.untranslatable[item.accounting_entry_id] = exc.message
                continue
            # Exactly the bytes the proxy would send, read back like the legacy side.
            wire = jsonio.dumps(expense.model_dump())
            expenses.append(json.loads(wire, parse_float=Decimal))
        return expenses

"""The translated read of shadow mode: what export mode would answer, and nothing that writes.

:class:`TranslationReader` is the protocol shadow mode reads through, the shape of the
workflow's read-only ``JobWorkflow.preview`` / ``preview_ids`` (never write, never claim,
never register background work, never count as client activity). Until the workflow offers
them, :class:`ExportApiTranslationReader` implements it over the compare package's read-only
:class:`~adapter.compare.translated_source.ExportApiSource`, itself given a
:class:`ReadOnlyExportClient`, which has the Export API's list calls and nothing else.

Shadow mode holds only a :class:`PreviewOnly` around a reader, so no write method is within
its reach, whatever the reader underneath: swap in ``PreviewOnly(workflow)`` once the
workflow has ``preview``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol

from adapter import jsonio
from adapter.compare.translated_source import ExportApiSource, ExportReads
from adapter.export.models import ExportItemV3, ExportJobItemV3, ExportJobStatus, ExportJobV3
from adapter.legacy.models import Expense
from adapter.legacy.query import ExpenseQuery, paginate
from adapter.mapping import MappingTable
from adapter.tenancy import Tenant, UpstreamCredential
from adapter.workflow import ExpensePage

__all__ = [
    "ExportApiTranslationReader",
    "PreviewOnly",
    "ReadOnlyExportClient",
    "TranslationReader",
    "whole_list",
]

# A page that holds any list: shadow compares the expenses on the legacy page, wherever they
# sit in the translation's order.
_ALL = 2**31


class TranslationReader(Protocol):
    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        """What ``GET /v1/expenses`` would answer in export mode. Never writes."""

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        """The current translated expenses among ``ids``, in that order; unknown ids are left
        out. Never writes."""


def whole_list(query: ExpenseQuery) -> ExpenseQuery:
    """``query`` without its status filter and paging.

    In shadow mode only the legacy API hears the client's status changes, so statuses part
    ways by design; comparing field by field (status included) beats comparing lists.
    """
    return dataclasses.replace(
        query, statuses=frozenset(), page_offset=0, page_size=_ALL, page_size_limit=None
    )


class ReadOnlyExportClient:
    """The Export API's read calls of an :class:`~adapter.export.client.ExportClient`; it has
    no method that writes, so nothing holding it can."""

    def __init__(self, client: ExportReads) -> None:
        self.__client = client

    async def list_jobs(
        self,
        credential: UpstreamCredential,
        *,
        statuses: Sequence[ExportJobStatus],
        company_id: str | None = None,
    ) -> list[ExportJobV3]:
        return await self.__client.list_jobs(credential, statuses=statuses, company_id=company_id)

    async def list_job_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportJobItemV3]:
        return await self.__client.list_job_items(credential, job_id)

    async def list_export_items(
        self, credential: UpstreamCredential, job_id: str
    ) -> list[ExportItemV3]:
        return await self.__client.list_export_items(credential, job_id)


class ExportApiTranslationReader:
    """:class:`TranslationReader` over the Export API's current job, read and mapped afresh.

    It reads what the workflow would serve (the same job choice and mapping) without its
    cache: every call lists the company's jobs, items and data again.
    """

    def __init__(self, client: ReadOnlyExportClient, table: MappingTable) -> None:
        self._client = client
        self._table = table

    async def _expenses(self, tenant: Tenant) -> list[Expense]:
        source = ExportApiSource(
            self._client, self._table, credential=tenant.credential, company_id=tenant.company_id
        )
        return [Expense.model_validate(e) for e in await source.read_all([])]

    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        page = paginate(await self._expenses(tenant), query)
        return ExpensePage(
            [_encode(e) for e in page.items], page.total_count, page.next_page_offset
        )

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        by_id = {expense.id: expense for expense in await self._expenses(tenant)}
        return [_encode(by_id[i]) for i in dict.fromkeys(ids) if i in by_id]


class PreviewOnly:
    """Exactly ``preview`` and ``preview_ids`` of ``reader``: what shadow mode may call."""

    def __init__(self, reader: TranslationReader) -> None:
        self.__reader = reader

    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        return await self.__reader.preview(tenant, query)

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        return await self.__reader.preview_ids(tenant, ids)


def _encode(expense: Expense) -> bytes:
    return jsonio.dumps(expense.model_dump())

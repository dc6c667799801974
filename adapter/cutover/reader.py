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

from adapter.legacy.query import ExpenseQuery
from adapter.tenancy import Tenant
from adapter.workflow import ExpensePage

__all__ = [
    "PreviewOnly",
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


class PreviewOnly:
    """Exactly ``preview`` and ``preview_ids`` of ``reader``: what shadow mode may call."""

    def __init__(self, reader: TranslationReader) -> None:
        self.__reader = reader

    async def preview(self, tenant: Tenant, query: ExpenseQuery) -> ExpensePage:
        return await self.__reader.preview(tenant, query)

    async def preview_ids(self, tenant: Tenant, ids: Sequence[str]) -> list[bytes]:
        return await self.__reader.preview_ids(tenant, ids)

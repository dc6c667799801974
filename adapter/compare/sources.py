"""Where the two sides of a comparison come from: two small read-only protocols.

A source returns legacy Expense JSON objects (dicts, numbers as exact ``Decimal``) of one
company, filtered by legacy status (empty: every status). Implementations:
:class:`~adapter.compare.legacy_source.LegacyApiSource` (Pleo's legacy API) and
:class:`~adapter.compare.translated_source.ExportApiSource` (the translation of the Export
API's items, as the proxy would serve them). Neither ever writes upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["LegacyExpenseSource", "ProgressCallback", "TranslatedExpenseSource"]

# (expenses read so far, expected total or None when unknown)
ProgressCallback = Callable[[int, int | None], None]


class LegacyExpenseSource(Protocol):
    """The legacy API's view: ``GET /v1/expenses``, every page."""

    async def read_all(self, statuses: Sequence[str]) -> list[dict[str, Any]]: ...


class TranslatedExpenseSource(Protocol):
    """The translated view of the same company: what the proxy would answer."""

    async def read_all(self, statuses: Sequence[str]) -> list[dict[str, Any]]: ...

"""The legacy list filters other than status, applied to encoded expenses.

Status filters use the job's status index and cost the page. The others (``types``,
``dateFrom``/``dateTo``, ``accountId``, ``tagId``) are rare; they scan the job's candidates in
the requested statuses and decode each one (a few microseconds per item), with the same rules
as :meth:`adapter.legacy.query.ExpenseQuery.matches`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapter import jsonio
from adapter.legacy.query import ExpenseQuery

__all__ = ["has_other_filters", "matches"]


def has_other_filters(query: ExpenseQuery) -> bool:
    return bool(
        query.types
        or query.date_from is not None
        or query.date_to is not None
        or query.account_id is not None
        or query.tag_id is not None
    )


def matches(query: ExpenseQuery, document: bytes) -> bool:
    """Whether the encoded expense (status excluded, see :mod:`expense_docs`) passes."""
    expense: dict[str, Any] = jsonio.loads(document + b"}")
    if query.types and expense.get("type") not in query.types:
        return False
    if query.date_from is not None or query.date_to is not None:
        raw = expense.get("performedAt")
        if raw is None:
            return False
        performed = datetime.fromisoformat(raw)
        if query.date_from is not None and performed < query.date_from:
            return False
        if query.date_to is not None and performed > query.date_to:
            return False
    lines: list[dict[str, Any]] = expense.get("lines") or []
    if query.account_id is not None and not (
        expense.get("accountId") == query.account_id
        or any(line.get("accountId") == query.account_id for line in lines)
    ):
        return False
    if query.tag_id is None:
        return True
    line_tags = (tag for line in lines for tag in line.get("tagIds") or [])
    tags = [*(expense.get("tagIds") or []), *line_tags]
    return any(tag.get("id") == query.tag_id for tag in tags)

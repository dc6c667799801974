"""The query of ``GET /v1/expenses``: parsing, validation, filtering and paging.

What real clients send (pleo-api.md A.4, B §4.2): ``status`` and ``types`` repeated or
comma-separated, ``pageOffset``/``pageSize`` as numbers, ``dateFrom``/``dateTo`` as full
timestamps or bare dates. Unknown parameters are ignored. A ``pageSize`` above the maximum
is clamped, not refused, and the clamp is recorded (``page_size_limit``) so the answer can
say so; anything malformed is a 400 in the legacy error shape. All 12 legacy ``types`` of
Pleo's document are accepted.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Generic, TypeVar

from starlette.datastructures import QueryParams

from adapter.errors import BadRequest
from adapter.legacy.models import Expense, ExpenseType, LegacyStatus

__all__ = ["ExpenseQuery", "Page", "paginate", "parse_query", "parse_query_string"]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ExpenseQuery:
    statuses: frozenset[LegacyStatus]
    types: frozenset[ExpenseType]
    page_offset: int
    page_size: int
    date_from: datetime | None = None
    date_to: datetime | None = None
    account_id: str | None = None
    tag_id: str | None = None
    # The maximum pageSize, when the client asked for more (the page was clamped to it).
    page_size_limit: int | None = None

    def matches(self, expense: Expense) -> bool:
        if self.statuses and expense.status not in self.statuses:
            return False
        if self.types and expense.type not in self.types:
            return False
        performed = expense.performedAt
        if self.date_from is not None and performed < self.date_from:
            return False
        if self.date_to is not None and performed > self.date_to:
            return False
        if self.account_id is not None and not _has_account(expense, self.account_id):
            return False
        return self.tag_id is None or _has_tag(expense, self.tag_id)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a filtered list: its items, the filter's total, where the next page starts."""

    items: list[T]
    total_count: int
    next_page_offset: int | None


def parse_query(params: QueryParams, *, default_page_size: int, max_page_size: int) -> ExpenseQuery:
    requested = _integer(params.get("pageSize"), "pageSize", minimum=1, default=default_page_size)
    return ExpenseQuery(
        statuses=_enum_values(params.getlist("status"), LegacyStatus, "status"),
        types=_enum_values(params.getlist("types"), ExpenseType, "types"),
        page_offset=_integer(params.get("pageOffset"), "pageOffset", minimum=0, default=0),
        page_size=min(requested, max_page_size),
        page_size_limit=max_page_size if requested > max_page_size else None,
        date_from=_timestamp(params.get("dateFrom"), "dateFrom"),
        date_to=_timestamp(params.get("dateTo"), "dateTo", end_of_day=True),
        account_id=params.get("accountId") or None,
        tag_id=params.get("tagId") or None,
    )


@functools.lru_cache(maxsize=512)
def parse_query_string(raw: bytes, default_page_size: int, max_page_size: int) -> ExpenseQuery:
    """:func:`parse_query` of a raw query string (ASGI's ``scope["query_string"]``), cached.

    A legacy client repeats a handful of query strings (its paging loop) and the parsed query
    is immutable, so each is parsed once; a refused query raises and is not cached.
    """
    return parse_query(
        QueryParams(raw), default_page_size=default_page_size, max_page_size=max_page_size
    )


def paginate(expenses: Sequence[Expense], query: ExpenseQuery) -> Page[Expense]:
    matching = [e for e in expenses if query.matches(e)]
    end = query.page_offset + query.page_size
    return Page(
        items=matching[query.page_offset : end],
        total_count=len(matching),
        next_page_offset=end if end < len(matching) else None,
    )


def _enum_values(raw: list[str], kind: type[E], name: str) -> frozenset[E]:
    values: set[E] = set()
    for chunk in raw:
        for part in chunk.split(","):
            text = part.strip().upper()
            if not text:
                continue
            try:
                values.add(kind(text))
            except ValueError:
                allowed = ", ".join(m.value for m in kind)
                msg = f"{name}: {part.strip()!r} is not one of {allowed}."
                raise BadRequest(msg, error_type="INVALID_QUERY_PARAMETER") from None
    return frozenset(values)


def _integer(raw: str | None, name: str, *, minimum: int, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    # The legacy spec types these as "number"; accept 20 and 20.0, refuse 20.5 and NaN.
    if not number.is_integer() or number < minimum or number > 2**31:
        msg = f"{name}: expected a whole number >= {minimum}, got {raw[:40]!r}."
        raise BadRequest(msg, error_type="INVALID_QUERY_PARAMETER")
    return int(number)


def _timestamp(raw: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    if raw is None or raw == "":
        return None
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"{name}: expected YYYY-MM-DD or YYYY-MM-DDTHH:mm:ss.SSSZ, got {text[:40]!r}."
        raise BadRequest(msg, error_type="INVALID_QUERY_PARAMETER") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _has_account(expense: Expense, account_id: str) -> bool:
    return expense.accountId == account_id or any(
        line.accountId == account_id for line in expense.lines
    )


def _has_tag(expense: Expense, tag_id: str) -> bool:
    if any(t.id == tag_id for t in expense.tagIds):
        return True
    return any(t.id == tag_id for line in expense.lines for t in line.tagIds)

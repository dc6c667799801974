"""Every page of a cursor-paginated Export API list, the pages after the first fetched at once.

Pleo's lists (``CursorPaginatedResponse``) take ``after=<endCursor>`` *or* ``offset``
(export-api-v3.yml: "cannot be used together") and answer ``pagination.total``. Following
cursors costs one round trip per page; a 10,000-item job at ``limit=100`` is 100 in a row.
So :func:`every_page` reads the first page, and when it says how many records there are
(``total``) and ``offset`` paging is allowed for the list, asks for every remaining page by
``offset`` (multiples of the first page's length, which is the ``limit`` Pleo really applied)
with up to ``window`` requests started ahead of the page being handed out. Pages come out in
order.

An offset page is used only if it agrees with the first: the expected number of records, the
same ``total``, and an ``endCursor`` no earlier page had. At the first one that does not (the
list changed, or a server that ignores ``offset``), the pages fetched ahead are dropped and
paging goes on by cursor after the last page that agreed, exactly as without offsets. Without
a ``total`` it is cursor paging from the start. Either way:

* at most ``max_pages`` pages are read; a list that needs more is a protocol error, raised
  before any offset page is asked for when ``total`` already says so;
* a next page without a cursor, or a cursor followed twice, is a protocol error;
* a page that fails fails the whole list; the requests started ahead are cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from adapter.errors import UpstreamProtocolError
from adapter.export.models import CursorPage

__all__ = ["FetchPage", "every_page"]

T = TypeVar("T")

FetchPage = Callable[[Sequence[tuple[str, str]]], Coroutine[Any, Any, CursorPage[T]]]
"""One validated page for the given extra query parameters (``after`` or ``offset``)."""

_log = logging.getLogger("adapter.export")


def _endless(operation: str, max_pages: int) -> UpstreamProtocolError:
    return UpstreamProtocolError(f"Pleo's answer to {operation} ran past {max_pages} pages.")


def offsets_after(first: CursorPage[T]) -> list[int]:
    """The offsets of the pages after ``first``, or none when they cannot be known."""
    info = first.pagination
    step = len(first.data)
    if not info.has_next_page or info.total is None or step == 0:
        return []
    return list(range(step, info.total, step))


async def every_page(
    fetch: FetchPage[T],
    *,
    operation: str,
    max_pages: int,
    window: int,
    by_offset: bool,
) -> AsyncIterator[list[T]]:
    """The records of each page in order (see the module docstring)."""
    page = await fetch(())
    yield page.data
    count = 1
    if by_offset:
        offsets = offsets_after(page)
        if count + len(offsets) > max_pages:
            raise _endless(operation, max_pages)
        total, step = page.pagination.total or 0, len(page.data)
        ends = {page.pagination.end_cursor}
        todo = iter(offsets)
        ahead: deque[tuple[int, asyncio.Task[CursorPage[T]]]] = deque()

        def start_next() -> None:
            offset = next(todo, None)
            if offset is not None:
                ahead.append((offset, asyncio.create_task(fetch((("offset", str(offset)),)))))

        try:
            for _ in range(window):
                start_next()
            while ahead:
                offset, task = ahead.popleft()
                candidate = await task
                start_next()
                info = candidate.pagination
                if (
                    len(candidate.data) != min(step, total - offset)
                    or info.total != total
                    or info.end_cursor in ends
                ):
                    _log.warning(
                        "%s: the page at offset %d disagrees with the first; following cursors",
                        operation,
                        offset,
                    )
                    break
                ends.add(info.end_cursor)
                page = candidate
                count += 1
                yield page.data
        finally:
            for _, pending in ahead:
                pending.cancel()
            if ahead:
                await asyncio.gather(*(pending for _, pending in ahead), return_exceptions=True)
    followed: set[str] = set()
    while page.pagination.has_next_page:
        if count >= max_pages:
            raise _endless(operation, max_pages)
        after = page.pagination.end_cursor
        if not after:
            msg = f"Pleo's answer to {operation} has a next page but no cursor."
            raise UpstreamProtocolError(msg)
        if after in followed:
            msg = f"Pleo's answer to {operation} repeated a page cursor."
            raise UpstreamProtocolError(msg)
        followed.add(after)
        page = await fetch((("after", after),))
        count += 1
        yield page.data

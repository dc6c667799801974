"""Concurrent callers asking for the same thing share one attempt instead of repeating it.

The first caller for a key starts the work as a task; everyone arriving while it runs awaits the
same task (shielded, so one caller giving up does not cancel it for the others) and gets the
same result or the same exception. Used for a company's view (:mod:`adapter.workflow`) and for
identical upstream GETs (:mod:`adapter.export.coalesce`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Task[T]] = {}

    def join(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> tuple[asyncio.Task[T], bool]:
        """The task running for ``key`` (started from ``work`` if none is), and whether this
        caller joined one already running. Await it through :func:`asyncio.shield`."""
        task = self._flights.get(key)
        if task is not None:
            return task, True
        task = asyncio.ensure_future(work())
        self._flights[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        return task, False

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        task, _ = self.join(key, work)
        return await asyncio.shield(task)

    def _forget(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            # Consumed here so an attempt whose every caller gave up is not reported unretrieved.
            task.exception()

    def __len__(self) -> int:
        return len(self._flights)

"""Scheduled work per company: poll, recover, close, idle out; no tenant can stop the others.

Every registered company has a due time. The loop starts each company's round as its own task
when it falls due (at most ``maintenance_concurrency`` run at once), each inside its own
``asyncio.timeout``; a failure of one is logged and that company alone is retried later, sooner
while it keeps failing. A round stuck on a silent Pleo holds up no other company, not even one
that falls due while it runs. A company whose job still needs closing (a lost ``completed``)
is due again after ``close_retry_seconds``, not a poll interval later; a request to run a
company sooner made while its round runs is kept for after it. At start-up every configured
company falls due after ``close_retry_seconds``, so a job whose items were all final before a
restart is closed within that one short interval.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable

from adapter.export.deadline import request_deadline
from adapter.observability.context import company_hash
from adapter.tenancy import Tenant
from adapter.workflow.config import WorkflowSettings

__all__ = ["CompanyWork", "Maintenance"]

logger = logging.getLogger("adapter.workflow")

CompanyWork = Callable[[str, Tenant], Awaitable[bool]]
"""One company's round; returns True if it wants to run again soon (a close is pending)."""


class Maintenance:
    def __init__(
        self,
        *,
        work: CompanyWork,
        companies: Callable[[], list[tuple[str, Tenant]]],
        settings: WorkflowSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._work = work
        self._companies = companies
        self._settings = settings
        self._clock = clock
        self._due: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._wake = asyncio.Event()
        # Companies whose round is under way, and when they asked to run again meanwhile.
        self._active: set[str] = set()
        self._requested: dict[str, float] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def schedule(self, company_id: str, delay: float) -> None:
        """Run ``company_id`` again within ``delay`` seconds (sooner if already due sooner)."""
        at = self._clock() + delay
        if company_id in self._active:
            # The round under way sets the next due time when it ends; keep this for then.
            self._requested[company_id] = min(self._requested.get(company_id, math.inf), at)
        else:
            self._due[company_id] = min(self._due.get(company_id, math.inf), at)
        self._wake.set()

    def due_in(self, company_id: str) -> float | None:
        """Seconds until the company's next round (None: not scheduled yet)."""
        due = self._due.get(company_id)
        return None if due is None else due - self._clock()

    async def run_all(self) -> list[str]:
        """Run every registered company now (start-up; operators; tests)."""
        for company_id, _ in self._companies():
            self._due[company_id] = self._clock()
        return await self.run_due()

    async def run_due(self) -> list[str]:
        """One pass: run every company whose time has come, and wait for them; their ids."""
        todo = self._due_now()
        limit = asyncio.Semaphore(self._settings.maintenance_concurrency)
        await asyncio.gather(*(self._run_one(c, t, limit) for c, t in todo))
        return [company_id for company_id, _ in todo]

    def _due_now(self) -> list[tuple[str, Tenant]]:
        """The registered companies whose time has come and whose round is not under way;
        companies no longer registered are forgotten."""
        now = self._clock()
        registered = self._companies()
        known = {company_id for company_id, _ in registered}
        for company_id in list(self._due):
            if company_id not in known:
                del self._due[company_id]
                self._failures.pop(company_id, None)
        todo: list[tuple[str, Tenant]] = []
        for company_id, tenant in registered:
            due = self._due.setdefault(company_id, now + self._settings.poll_interval_seconds)
            if due <= now and company_id not in self._active:
                todo.append((company_id, tenant))
        return todo

    async def _run_one(self, company_id: str, tenant: Tenant, limit: asyncio.Semaphore) -> None:
        self._active.add(company_id)
        try:
            delay = await self._round(company_id, tenant, limit)
        finally:
            self._active.discard(company_id)
        again = self._requested.pop(company_id, math.inf)
        self._due[company_id] = min(self._clock() + delay, again)

    async def _round(self, company_id: str, tenant: Tenant, limit: asyncio.Semaphore) -> float:
        """One company's round; the seconds until its next one."""
        settings = self._settings
        async with limit:
            try:
                # Cooperative first (no call to Pleo starts that cannot end in time), then a hard
                # stop a second later for anything that does not look at the deadline.
                with request_deadline(settings.maintenance_deadline_seconds):
                    async with asyncio.timeout(settings.maintenance_deadline_seconds + 1):
                        again_soon = await self._work(company_id, tenant)
            except Exception as exc:  # one company's failure, whatever it is, must not stop others
                failures = self._failures.get(company_id, 0) + 1
                self._failures[company_id] = failures
                delay = min(
                    settings.poll_interval_seconds, settings.close_retry_seconds * 2.0**failures
                )
                logger.warning(
                    "scheduled work for company %s failed (%s, %d in a row); retrying in %.0f s",
                    company_hash(company_id),
                    getattr(exc, "error_type", type(exc).__name__),
                    failures,
                    delay,
                )
            else:
                self._failures.pop(company_id, None)
                delay = (
                    settings.close_retry_seconds if again_soon else settings.poll_interval_seconds
                )
        return delay

    async def run(self, stop: asyncio.Event) -> None:
        """Start rounds as companies fall due until ``stop`` is set, then let the rounds under
        way finish (cancelling this cancels them). Every company registered now falls due after
        one short interval (``close_retry_seconds``), later ones a poll interval after they
        appear."""
        for company_id, _ in self._companies():
            self.schedule(company_id, self._settings.close_retry_seconds)
        limit = asyncio.Semaphore(self._settings.maintenance_concurrency)
        try:
            while not stop.is_set():
                self._wake.clear()
                self._start_due(limit)
                now = self._clock()
                waits = [due - now for c, due in self._due.items() if c not in self._tasks]
                timeout = max(0.0, min([self._settings.poll_interval_seconds, *waits]))
                wake = asyncio.ensure_future(self._wake.wait())
                stopped = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait(
                        {wake, stopped}, timeout=timeout, return_when="FIRST_COMPLETED"
                    )
                finally:
                    wake.cancel()
                    stopped.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks.values()))
        finally:
            for task in self._tasks.values():
                task.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks.values()))

    def _start_due(self, limit: asyncio.Semaphore) -> None:
        try:
            todo = self._due_now()
        except Exception:
            # _run_one contains every company's failure; this only keeps the loop itself alive.
            logger.exception("a scheduled pass failed")
            return
        for company_id, tenant in todo:
            if company_id in self._tasks:
                continue
            task = asyncio.create_task(self._run_one(company_id, tenant, limit))
            self._tasks[company_id] = task
            task.add_done_callback(functools.partial(self._ended, company_id))

    def _ended(self, company_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(company_id) is task:
            del self._tasks[company_id]
        if not task.cancelled() and task.exception() is not None:
            logger.error("a scheduled round ended in error", exc_info=task.exception())
        self._wake.set()  # its next due time is known now

"""Scheduled work per company: poll, recover, close, idle out; no tenant can stop the others.

Every registered company has a due time. A pass runs every due company concurrently (at most
``maintenance_concurrency`` at once), each inside its own ``asyncio.timeout``; a failure of one
is logged and that company alone is retried later, sooner while it keeps failing. A company
whose job still needs closing (a lost ``completed``) is due again after
``close_retry_seconds``, not a poll interval later. At start-up every configured company falls
due after ``close_retry_seconds``, so a job whose items were all final before a restart is
closed within that one short interval.
"""

from __future__ import annotations

import asyncio
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

    def schedule(self, company_id: str, delay: float) -> None:
        """Run ``company_id`` again within ``delay`` seconds (sooner if already due sooner)."""
        at = self._clock() + delay
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
        """One pass: run every company whose time has come; returns their ids."""
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
            if due <= now:
                todo.append((company_id, tenant))
        limit = asyncio.Semaphore(self._settings.maintenance_concurrency)
        await asyncio.gather(*(self._run_one(c, t, limit) for c, t in todo))
        return [company_id for company_id, _ in todo]

    async def _run_one(self, company_id: str, tenant: Tenant, limit: asyncio.Semaphore) -> None:
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
                    settings.poll_interval_seconds, settings.close_retry_seconds * 2**failures
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
        self._due[company_id] = self._clock() + delay

    async def run(self, stop: asyncio.Event) -> None:
        """Run passes until ``stop`` is set; every company registered now falls due after one
        short interval (``close_retry_seconds``), later ones a poll interval after they appear."""
        for company_id, _ in self._companies():
            self.schedule(company_id, self._settings.close_retry_seconds)
        while not stop.is_set():
            self._wake.clear()
            now = self._clock()
            waits = [due - now for due in self._due.values()]
            timeout = max(0.0, min([self._settings.poll_interval_seconds, *waits]))
            wake = asyncio.ensure_future(self._wake.wait())
            stopped = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({wake, stopped}, timeout=timeout, return_when="FIRST_COMPLETED")
            finally:
                wake.cancel()
                stopped.cancel()
            if not stop.is_set():
                await self._pass()

    async def _pass(self) -> None:
        try:
            await self.run_due()
        except Exception:
            # _run_one catches every company's failure; this only keeps the loop itself alive.
            logger.exception("a scheduled pass failed")

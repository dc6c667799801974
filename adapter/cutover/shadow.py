"""Shadow mode's comparisons, run off the request path.

The client has its legacy answer before any of this starts. :class:`ShadowComparer` reads
the translated side of one request through a :class:`~adapter.cutover.reader.PreviewOnly`
(the only thing shadow mode holds, so it cannot write to the Export API) and compares.
:class:`ShadowRunner` runs each comparison as its own asyncio task under a time limit, at
most ``max_in_flight`` at once (one more is dropped and counted, never queued), and records
the outcome: ``adapter_shadow_comparisons_total{result}``,
``adapter_shadow_differences_total{kind}``, one WARNING line per comparison with unexplained
differences (each field with its mapping row and v3 source path, never a value), and the
promotion evidence (:class:`~adapter.cutover.decisions.DecisionBook`). A slow or failing
comparison changes nothing for the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog

from adapter.compare import EquivalenceRules
from adapter.cutover.comparison import (
    AnswerShape,
    ShadowOutcome,
    ShadowResult,
    compare_shadow,
    legacy_expenses,
    parse_expense,
)
from adapter.cutover.decisions import DecisionBook
from adapter.cutover.reader import PreviewOnly, whole_list
from adapter.cutover.reload import PolicySource
from adapter.legacy.query import ExpenseQuery
from adapter.mapping import MappingTable
from adapter.observability.metrics import Metrics
from adapter.tenancy import Tenant

__all__ = ["ShadowComparer", "ShadowRunner", "ShadowWork"]

_log = structlog.stdlib.get_logger("adapter.cutover")

# Fields named in one log line; the count of the rest is given.
_LOGGED_FIELDS = 10

ShadowWork = Callable[[], Awaitable[ShadowOutcome]]


class ShadowComparer:
    """The translated side of one request, compared with the legacy answer's expenses."""

    def __init__(self, reader: PreviewOnly, table: MappingTable, rules: EquivalenceRules) -> None:
        self._reader = reader
        self._table = table
        self._rules = rules

    async def compare_list(self, tenant: Tenant, query: ExpenseQuery, body: bytes) -> ShadowOutcome:
        """``GET /v1/expenses``: the legacy page against the translated list (same filters)."""
        legacy = legacy_expenses(body, "list")
        if legacy is None:
            return ShadowOutcome(ShadowResult.SKIPPED, reason="legacy answer holds no expenses")
        if not legacy:
            return ShadowOutcome(ShadowResult.EMPTY)
        page = await self._reader.preview(tenant, whole_list(query))
        return self._compare(legacy, page.expenses)

    async def compare_ids(self, tenant: Tenant, body: bytes, shape: AnswerShape) -> ShadowOutcome:
        """``GET /v1/expenses/{id}`` and PUTs: the legacy answer's expenses against the
        translated view of the same ids."""
        legacy = legacy_expenses(body, shape)
        if legacy is None:
            return ShadowOutcome(ShadowResult.SKIPPED, reason="legacy answer holds no expenses")
        if not legacy:
            return ShadowOutcome(ShadowResult.EMPTY)
        translated = await self._reader.preview_ids(tenant, [e["id"] for e in legacy])
        return self._compare(legacy, translated)

    def _compare(self, legacy: list[dict[str, Any]], translated: Sequence[bytes]) -> ShadowOutcome:
        parsed = [parse_expense(raw) for raw in translated]
        return compare_shadow(legacy, parsed, table=self._table, rules=self._rules)


class ShadowRunner:
    """Runs comparisons as bounded background tasks and records what they found."""

    def __init__(
        self,
        *,
        policies: PolicySource,
        decisions: DecisionBook,
        metrics: Metrics,
        timeout_seconds: float,
        max_in_flight: int,
    ) -> None:
        self._policies = policies
        self._decisions = decisions
        self._metrics = metrics
        self._timeout = timeout_seconds
        self._max_in_flight = max_in_flight
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def submit(self, work: ShadowWork, *, company_id: str | None, route: str) -> bool:
        """Start ``work`` in the background; False (dropped, counted) when too many run."""
        if len(self._tasks) >= self._max_in_flight:
            self._metrics.count_shadow_comparison(ShadowResult.DROPPED)
            return False
        task = asyncio.create_task(self._run(work, company_id, route))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def skip(self, reason: str) -> None:
        """A request shadow mode cannot compare: counted, nothing runs."""
        self._metrics.count_shadow_comparison(ShadowResult.SKIPPED)
        _log.debug("shadow comparison skipped", reason=reason)

    async def drain(self) -> None:
        """Wait for every comparison running now (each is bounded by the time limit)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop every comparison still running (shutdown)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, work: ShadowWork, company_id: str | None, route: str) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                outcome = await work()
        except TimeoutError:
            outcome = ShadowOutcome(ShadowResult.TIMEOUT)
        except Exception as exc:
            # The translated read failed (Pleo down, a protocol error, a bug): never the
            # client's business. The type is enough; messages may quote upstream details.
            _log.warning("shadow comparison failed", route=route, error=type(exc).__name__)
            outcome = ShadowOutcome(ShadowResult.FAILED)
        try:
            await self._record(outcome, company_id, route)
        except Exception:
            _log.exception("shadow comparison could not be recorded", route=route)

    async def _record(self, outcome: ShadowOutcome, company_id: str | None, route: str) -> None:
        self._metrics.count_shadow_comparison(outcome.result)
        for kind, count in outcome.kinds.items():
            self._metrics.count_shadow_differences(kind, count)
        if outcome.unexplained:
            fields = [
                {
                    "field": tally.field,
                    "mapping_row": tally.mapping_row,
                    "source_path": tally.source_path,
                    "count": tally.count,
                }
                for tally in outcome.unexplained[:_LOGGED_FIELDS]
            ]
            _log.warning(
                "shadow comparison found unexplained differences",
                route=route,
                compared=outcome.compared,
                fields=fields,
                more_fields=max(0, len(outcome.unexplained) - _LOGGED_FIELDS),
            )
        evidence = outcome.evidence
        if evidence is not None and company_id is not None:
            policy = self._policies.current()
            await self._decisions.record_comparison(policy, company_id, clean=evidence)

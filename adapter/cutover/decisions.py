"""Diff-gated promotion and automatic fallback, per company, kept in the store.

Two state machines, both optional (the file's ``[promotion]`` and ``[fallback]`` tables):

* **promotion**: a company in shadow mode counts its compared requests in a row that had no
  unexplained difference; an unexplained difference sets the count back to 0. At
  ``after_compared`` the company is promoted to export. A comparison that compared nothing,
  was skipped, failed or ran out of time is no evidence either way.
* **fallback**: a company in export mode keeps the outcome of its last ``window`` expense
  calls (5xx or not). When more than ``max_error_rate * window`` of them were 5xx it falls back
  to legacy. Calls not yet made count as fine, so a company that fails from its first call
  falls back as soon as the errors pass that share of a whole window.

Each decision is logged (``adapter.cutover``, ``cutover decision``) with its evidence, counted
(``adapter_cutover_decisions_total``) and written to the store under ``cutover:<company id>``
with the counters, so it survives a restart of the same store. A decision holds only while
the cutover file says the same for the company as when it was taken
(:attr:`~adapter.cutover.policy.Standing.key`: its mode, which part of the file said it, the
company's own line as written). Any edit of that line (its comment included) or of what
applies to an unlisted company hands the company back to the file, and starts its counters
afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from cachetools import LRUCache

from adapter import jsonio
from adapter.cutover.policy import CutoverPolicy, Mode, Standing
from adapter.observability.context import company_hash
from adapter.observability.metrics import Metrics
from adapter.store import Store

__all__ = ["CompanyRecord", "DecisionBook", "store_key"]

_log = structlog.stdlib.get_logger("adapter.cutover")


def store_key(company_id: str) -> str:
    return f"cutover:{company_id.lower()}"


@dataclass(slots=True)
class CompanyRecord:
    """One company's counters and decision, under one version of what the file says."""

    under: str
    clean: int = 0
    outcomes: str = ""  # the last `window` export calls, oldest first: "1" = answered 5xx
    decided: Mode | None = None
    reason: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    decided_at: str | None = None

    def dumps(self) -> bytes:
        return jsonio.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: bytes) -> CompanyRecord:
        data = jsonio.loads(raw)
        decided = data.get("decided")
        return cls(
            under=str(data["under"]),
            clean=int(data.get("clean", 0)),
            outcomes=str(data.get("outcomes", "")),
            decided=Mode(decided) if decided is not None else None,
            reason=data.get("reason"),
            evidence=dict(data.get("evidence") or {}),
            decided_at=data.get("decided_at"),
        )


class DecisionBook:
    """The promotion and fallback decisions of every company, over the store.

    ``now`` stamps decisions; ``max_cached`` bounds the records kept in memory (the store
    keeps them all).
    """

    def __init__(
        self,
        store: Store,
        *,
        metrics: Metrics | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_cached: int = 10_000,
    ) -> None:
        self._store = store
        self._metrics = metrics if metrics is not None else Metrics()
        self._now = now
        self._records: LRUCache[str, CompanyRecord] = LRUCache(maxsize=max_cached)
        # Every change is read-modify-write of one small record; one lock keeps them whole.
        self._lock = asyncio.Lock()

    async def mode_for(self, policy: CutoverPolicy, company_id: str | None) -> Mode:
        """The mode ``company_id`` is served in now: its decision if one holds, else the file's."""
        standing = policy.standing(company_id)
        if company_id is None:
            return standing.mode
        async with self._lock:
            record = await self._current(company_id, standing)
        return record.decided if record.decided is not None else standing.mode

    async def record_comparison(
        self, policy: CutoverPolicy, company_id: str, *, clean: bool
    ) -> None:
        """A shadow comparison of ``company_id`` compared expenses: ``clean`` if none differed
        unexplained."""
        if policy.promotion is None:
            return
        standing = policy.standing(company_id)
        async with self._lock:
            record = await self._current(company_id, standing)
            if record.decided is not None or standing.mode is not Mode.SHADOW:
                return  # no longer in shadow mode since the comparison started
            record.clean = record.clean + 1 if clean else 0
            if record.clean >= policy.promotion.after_compared:
                evidence = {
                    "compared_requests": record.clean,
                    "unexplained": 0,
                    "after_compared": policy.promotion.after_compared,
                }
                self._decide(company_id, record, standing, Mode.EXPORT, "promotion", evidence)
            await self._save(company_id, record)

    async def record_answer(self, policy: CutoverPolicy, company_id: str, status: int) -> None:
        """``company_id``'s expense call was answered with ``status`` in export mode."""
        fallback = policy.fallback
        if fallback is None:
            return
        standing = policy.standing(company_id)
        async with self._lock:
            record = await self._current(company_id, standing)
            mode = record.decided if record.decided is not None else standing.mode
            if mode is not Mode.EXPORT:
                return
            outcome = "1" if status >= 500 else "0"
            record.outcomes = (record.outcomes + outcome)[-fallback.window :]
            errors = record.outcomes.count("1")
            if errors > fallback.max_errors:
                evidence = {
                    "errors": errors,
                    "calls": len(record.outcomes),
                    "window": fallback.window,
                    "max_error_rate": fallback.max_error_rate,
                }
                self._decide(company_id, record, standing, Mode.LEGACY, "fallback", evidence)
            await self._save(company_id, record)

    async def record_of(self, company_id: str) -> CompanyRecord | None:
        """What the store holds for ``company_id`` (for operators and tests)."""
        raw = await self._store.get(store_key(company_id))
        return CompanyRecord.loads(raw) if raw is not None else None

    # --- inside the lock --------------------------------------------------------------------

    async def _current(self, company_id: str, standing: Standing) -> CompanyRecord:
        key = company_id.lower()
        record = self._records.get(key)
        if record is None:
            raw = await self._store.get(store_key(key))
            record = CompanyRecord.loads(raw) if raw is not None else None
        if record is None:
            record = CompanyRecord(under=standing.key)
        elif record.under != standing.key:
            if record.decided is not None:
                _log.info(
                    "cutover decision overridden by the cutover file",
                    company_hash=company_hash(key),
                    decision=record.reason,
                    decided_mode=str(record.decided),
                    file_mode=str(standing.mode),
                    file_source=standing.source,
                )
                self._metrics.count_cutover_decision("overridden")
                await self._store.delete(store_key(key))
            record = CompanyRecord(under=standing.key)
        self._records[key] = record
        return record

    def _decide(
        self,
        company_id: str,
        record: CompanyRecord,
        standing: Standing,
        mode: Mode,
        reason: str,
        evidence: dict[str, Any],
    ) -> None:
        before = record.decided if record.decided is not None else standing.mode
        record.decided, record.reason, record.evidence = mode, reason, evidence
        record.decided_at = self._now().isoformat().replace("+00:00", "Z")
        record.clean, record.outcomes = 0, ""
        _log.warning(
            "cutover decision",
            company_hash=company_hash(company_id),
            decision=reason,
            from_mode=str(before),
            to_mode=str(mode),
            file_mode=str(standing.mode),
            file_source=standing.source,
            **evidence,
        )
        self._metrics.count_cutover_decision("promoted" if reason == "promotion" else "fell_back")

    async def _save(self, company_id: str, record: CompanyRecord) -> None:
        await self._store.set(store_key(company_id), record.dumps())

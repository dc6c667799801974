"""When a legacy client last touched a company's job, for the idle policy (#8 item 9).

Any legacy call touching the company counts (a GET too; a preview never does). The time is
kept on the job record and saved to the store (``wf:activity:{company}:{job}``) at most once a
minute, because Pleo cannot tell it: its ``lastUpdatedAt`` moves only on writes, so after a
restart a client that was only reading would otherwise look idle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from adapter.store import Store
from adapter.workflow.records import JobRecord

__all__ = ["ActivityLog"]

_SAVE_EVERY = timedelta(seconds=60)
_KEEP_SECONDS = 2 * 3600


class ActivityLog:
    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self._store = store
        self._now = now

    async def touch(self, company_id: str, record: JobRecord) -> None:
        now = self._now()
        record.activity = max(record.activity, now)
        if record.activity_saved is None or now - record.activity_saved >= _SAVE_EVERY:
            record.activity_saved = now
            await self._store.set(
                _key(company_id, record.job_id),
                now.isoformat().encode(),
                ttl_seconds=_KEEP_SECONDS,
            )

    async def recall(self, company_id: str, job_id: str) -> datetime | None:
        raw = await self._store.get(_key(company_id, job_id))
        return None if raw is None else datetime.fromisoformat(raw.decode())


def _key(company_id: str, job_id: str) -> str:
    return f"wf:activity:{company_id}:{job_id}"

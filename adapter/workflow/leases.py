"""One writer per company: an in-process lock plus a lease in the store for other replicas.

Pleo: "Never process jobs in parallel". Every write path (a legacy PUT, a scheduled round) holds
the company's lease; reads never do. The lease is a store key ``wf:lease:{company_id}`` holding
this process's random owner id, with a TTL so a crashed holder frees it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from adapter.errors import Conflict
from adapter.store import Store
from adapter.workflow.keyed_locks import KeyedLocks

__all__ = ["CompanyLeases"]


class CompanyLeases:
    def __init__(self, store: Store, *, lease_seconds: float) -> None:
        self._store = store
        self._lease_seconds = lease_seconds
        self._owner = uuid.uuid4().hex
        self._locks = KeyedLocks()

    @asynccontextmanager
    async def exclusive(self, company_id: str) -> AsyncIterator[None]:
        """Hold the company for a write; :class:`Conflict` (retry shortly) if another replica
        holds it."""
        async with self._locks.hold(company_id):
            key = f"wf:lease:{company_id}"
            if not await self._store.acquire_lease(
                key, self._owner, ttl_seconds=self._lease_seconds
            ):
                msg = "Another worker is exporting this company's expenses; retry shortly."
                raise Conflict(msg, error_type="EXPORT_IN_PROGRESS", headers={"Retry-After": "5"})
            try:
                yield
            finally:
                await self._store.release_lease(key, self._owner)

    async def renew(self, company_id: str) -> bool:
        """Extend a lease held across a long write; False if it was lost."""
        return await self._store.renew_lease(
            f"wf:lease:{company_id}", self._owner, ttl_seconds=self._lease_seconds
        )

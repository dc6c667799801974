"""``MemoryStore``: the :class:`~adapter.store.protocol.Store` of a single replica.

Entries live in a cachetools ``TLRUCache`` (a bounded LRU whose entries each carry their own
expiry), so memory stays bounded by ``maxsize`` whatever callers do. cachetools is not safe
for check-then-act across awaits, so every compound operation runs under one asyncio lock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TLRUCache

__all__ = ["MemoryStore"]

_FOREVER = float("inf")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: bytes
    expires_at: float


def _time_to_use(_key: str, entry: _Entry, _now: float) -> float:
    return entry.expires_at


class MemoryStore:
    """In-process store; ``clock`` is injectable so tests control expiry."""

    def __init__(self, *, maxsize: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._entries: TLRUCache[str, _Entry] = TLRUCache(
            maxsize=maxsize, ttu=_time_to_use, timer=clock
        )
        self._lock = asyncio.Lock()

    def _expiry(self, ttl_seconds: float | None) -> float:
        return _FOREVER if ttl_seconds is None else self._clock() + ttl_seconds

    def _current(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.value

    async def get(self, key: str) -> bytes | None:
        async with self._lock:
            return self._current(key)

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        async with self._lock:
            self._entries[key] = _Entry(value, self._expiry(ttl_seconds))

    async def delete(self, key: str) -> None:
        async with self._lock:
            self._entries.pop(key, None)

    async def compare_and_set(
        self,
        key: str,
        expected: bytes | None,
        value: bytes,
        *,
        ttl_seconds: float | None = None,
    ) -> bool:
        async with self._lock:
            if self._current(key) != expected:
                return False
            self._entries[key] = _Entry(value, self._expiry(ttl_seconds))
            return True

    async def acquire_lease(self, key: str, owner: str, *, ttl_seconds: float) -> bool:
        async with self._lock:
            holder = self._current(key)
            if holder is not None and holder != owner.encode():
                return False
            self._entries[key] = _Entry(owner.encode(), self._expiry(ttl_seconds))
            return True

    async def renew_lease(self, key: str, owner: str, *, ttl_seconds: float) -> bool:
        async with self._lock:
            if self._current(key) != owner.encode():
                return False
            self._entries[key] = _Entry(owner.encode(), self._expiry(ttl_seconds))
            return True

    async def release_lease(self, key: str, owner: str) -> bool:
        async with self._lock:
            if self._current(key) != owner.encode():
                return False
            del self._entries[key]
            return True

    async def add_to_set(self, key: str, member: str, *, ttl_seconds: float) -> bool:
        # One entry per member keeps each member's own expiry, as Redis SET NX per id would.
        member_key = f"{key}\x00{member}"
        async with self._lock:
            if self._current(member_key) is not None:
                return False
            self._entries[member_key] = _Entry(b"1", self._expiry(ttl_seconds))
            return True

    async def ping(self) -> None:
        # Taking the lock proves no operation is stuck holding it; that is all that can fail.
        async with self._lock:
            return

    async def aclose(self) -> None:
        async with self._lock:
            self._entries.clear()

"""The small contract every state backend honours (design.md, "State").

Values are bytes so that a Redis backend can implement the same contract for several
replicas. Keys name what they belong to (the workflow's: ``wf:<what>:<company id>[:<job id>]``);
no credential, nor anything derived from one, is ever stored.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Store"]


class Store(Protocol):
    async def get(self, key: str) -> bytes | None:
        """The value at ``key``, or ``None`` if absent or expired."""

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        """Store ``value``; ``ttl_seconds=None`` keeps it until evicted."""

    async def delete(self, key: str) -> None: ...

    async def compare_and_set(
        self,
        key: str,
        expected: bytes | None,
        value: bytes,
        *,
        ttl_seconds: float | None = None,
    ) -> bool:
        """Set ``value`` only if the current value equals ``expected`` (``None``: absent)."""

    async def acquire_lease(self, key: str, owner: str, *, ttl_seconds: float) -> bool:
        """Take the lease if free or already ours (then it is extended)."""

    async def renew_lease(self, key: str, owner: str, *, ttl_seconds: float) -> bool:
        """Extend the lease only if ``owner`` still holds it."""

    async def release_lease(self, key: str, owner: str) -> bool:
        """Give the lease up only if ``owner`` holds it; never delete someone else's."""

    async def add_to_set(self, key: str, member: str, *, ttl_seconds: float) -> bool:
        """Add ``member``; ``True`` if it was not there (the dedupe primitive)."""

    async def ping(self) -> None:
        """Return once the backend can serve; raise if it cannot (``/readyz``'s store check).

        Cheap enough to run on every probe; callers bound it with a timeout.
        """

    async def aclose(self) -> None: ...

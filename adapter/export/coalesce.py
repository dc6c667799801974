"""Identical concurrent GETs share one upstream call (single-flight).

When ten legacy requests of one company arrive while Pleo is slow or failing, they ask the same
``GET`` with the same credential. Instead of ten calls (each with its retries), the first one
runs and the others wait for its result, success or failure.

Identical means: same URL with the same query, and the same ``Authorization`` (compared by
digest, so no credential is kept as a key). Different tenants never share an answer.

The shared call runs as its own task, started with the first caller's context (so under its
deadline), and shielded: a caller that goes away (client disconnect, its own deadline) does not
cancel it for the others. Each waiter still waits no longer than its own deadline. A waiter
that joins a call about to run out of time gets its timeout too; that is the price of not
queueing behind it to repeat the same failing lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from adapter.errors import UpstreamTimeout
from adapter.single_flight import SingleFlight

__all__ = ["Coalescer"]


class Coalescer:
    """Runs one call per key at a time and hands its outcome to every concurrent caller."""

    def __init__(self) -> None:
        self._flights: SingleFlight[bytes] = SingleFlight()
        self.shared = 0
        """Callers served by a call someone else started."""

    @staticmethod
    def key(url: str, authorization: str) -> tuple[str, bytes]:
        return url, hashlib.sha256(authorization.encode()).digest()

    async def run(
        self,
        key: tuple[str, bytes],
        call: Callable[[], Coroutine[Any, Any, bytes]],
        *,
        wait_seconds: float,
        operation: str,
    ) -> bytes:
        """``call()``'s result, from a run already in progress for ``key`` if there is one;
        a caller joining one waits at most ``wait_seconds`` (its own deadline)."""
        task, joined = self._flights.join(key, call)
        if not joined:
            # The first caller's own deadline bounds the call itself.
            return await asyncio.shield(task)
        self.shared += 1
        try:
            async with asyncio.timeout(wait_seconds):
                return await asyncio.shield(task)
        except TimeoutError:
            if task.done() and not task.cancelled():
                return task.result()  # it finished as time ran out: its outcome, not ours
            msg = f"Pleo did not answer {operation} within this request's deadline."
            raise UpstreamTimeout(msg) from None

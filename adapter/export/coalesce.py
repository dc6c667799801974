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

__all__ = ["Coalescer"]


class Coalescer:
    """Runs one call per key at a time and hands its outcome to every concurrent caller."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, bytes], asyncio.Task[bytes]] = {}
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
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(call())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
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

    def _finished(self, key: tuple[str, bytes], task: asyncio.Task[bytes]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so an unawaited failure is not logged as lost

"""One deadline for a whole unit of work, carried in a context variable.

A legacy request gets one deadline (``ADAPTER_REQUEST_DEADLINE_SECONDS``) that covers every
Export API call it causes, with every retry and every backoff sleep, in the spirit of Envoy's
route timeout (reliability.md §1.2). The web layer opens it around each ``/v1`` request::

    with request_deadline(30):
        ...                      # every ExportClient call in here shares the same 30 s

The client reads :func:`current_deadline`: each attempt's timeout is the smaller of its own
timeout and what remains, and no attempt or sleep starts that cannot end in time. Work outside
a request (the scheduled workflow rounds) opens its own ``request_deadline`` per round; a
client call made with none open gets a deadline of its own (see ``ExportClient``).

A deadline opened inside another can only shorten it, never extend it. Context variables are
copied into tasks at creation, so tasks started inside the block inherit the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Clock", "Deadline", "current_deadline", "remaining", "request_deadline"]

Clock = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic``; tests pass a fake)."""

_CURRENT: ContextVar[Deadline | None] = ContextVar("adapter_export_deadline", default=None)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point in time on ``clock`` by which the work must be done."""

    expires_at: float
    clock: Clock
    seconds: float
    """The length it was opened with (for messages)."""

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.expires_at - self.clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


@contextmanager
def request_deadline(seconds: float, *, clock: Clock = time.monotonic) -> Iterator[Deadline]:
    """Run the block under a deadline ``seconds`` from now, or the enclosing one if sooner.

    Raises ``ValueError`` for a length that is not a positive finite number: an infinite
    deadline is the bug this module exists to prevent.
    """
    if not math.isfinite(seconds) or seconds <= 0:
        msg = "a deadline must be a positive finite number of seconds"
        raise ValueError(msg)
    deadline = Deadline(clock() + seconds, clock, seconds)
    outer = _CURRENT.get()
    if outer is not None and outer.remaining() <= seconds:
        deadline = outer
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def current_deadline() -> Deadline | None:
    """The deadline of the work in progress, if one was opened."""
    return _CURRENT.get()


def remaining() -> float | None:
    """Seconds left before the current deadline; None when no deadline is open."""
    deadline = _CURRENT.get()
    return None if deadline is None else deadline.remaining()

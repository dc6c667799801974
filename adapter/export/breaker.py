"""A circuit breaker on the Export API origin, after Envoy's outlier detection.

Envoy's defaults (reliability.md §1.2) translated to one upstream:

* **closed**: every call goes through. ``failure_threshold`` (5) consecutive failures, that is
  5xx answers or no answer at all (connect failure, timeout, reset), open the circuit. Any
  other answer, 4xx included, proves Pleo is there and resets the count.
* **open**: calls are refused at once (the client raises ``UpstreamCircuitOpen`` with
  ``Retry-After``). It stays open ``open_seconds`` times the number of consecutive openings
  (30 s, 60 s, 90 s ...), capped at ``max_open_seconds``.
* **half-open**: once the open time is over, exactly one call goes through as a probe while
  the others are still refused. Success closes the circuit and forgets earlier openings;
  failure opens it again, for longer. A probe that ends without a verdict (cancelled, or an
  outcome that says nothing about Pleo) frees the slot for the next caller.

Why not a library: purgatory 3.0.1 reads ``time.time()`` (wall clock, not injectable), keeps
a fixed open time and lets every caller through when half-open; aiobreaker 1.2.0 (last release
2021) and pybreaker 1.4.1 (async only through Tornado) read ``datetime.now()``. None grows the
open time on repeats. This class is small, has no I/O, and takes its clock, so tests move time.

State changes are reported to ``on_change`` (metrics); :meth:`health` feeds ``/readyz``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Admission", "BreakerState", "CircuitBreaker", "UpstreamHealth"]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class Admission:
    """The breaker's answer to one call: go (perhaps as the probe), or wait ``retry_after``."""

    granted: bool
    retry_after: float = 0.0
    probe: bool = False


_GO = Admission(granted=True)


@dataclass(frozen=True, slots=True)
class UpstreamHealth:
    """Whether calls to Pleo are being let through now, and why (for ``/readyz``)."""

    ready: bool
    reason: str
    # False until the upstream has answered (or failed) at least once since start.
    known: bool = True


class CircuitBreaker:
    """Closed → open → half-open → closed, on an injectable monotonic clock. Not thread-safe:
    one event loop, no awaits inside, so every method runs to completion."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        open_seconds: float = 30.0,
        max_open_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or open_seconds <= 0 or max_open_seconds < open_seconds:
            msg = "need failure_threshold >= 1 and 0 < open_seconds <= max_open_seconds"
            raise ValueError(msg)
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._max_open_seconds = max_open_seconds
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failures = 0  # consecutive
        self._openings = 0  # consecutive, reset by a success
        self._open_until = 0.0
        self._probing = False
        self._verdicts = 0  # calls that ended with a verdict, since start

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() >= self._open_until:
            return BreakerState.HALF_OPEN
        return self._state

    def allow(self) -> Admission:
        """Whether a call may go now; a granted call must report :meth:`record` when done."""
        state = self.state
        if state is BreakerState.CLOSED:
            return _GO
        if state is BreakerState.OPEN:
            return Admission(granted=False, retry_after=self._open_until - self._clock())
        self._move(BreakerState.HALF_OPEN)
        if self._probing:
            # A probe is out; its verdict comes within one attempt's timeout.
            return Admission(granted=False, retry_after=1.0)
        self._probing = True
        return Admission(granted=True, probe=True)

    def record(self, admission: Admission, healthy: bool | None) -> None:
        """The outcome of a granted call: True (Pleo answered), False (5xx or no answer),
        None (no verdict: cancelled, or a failure on this side)."""
        if admission.probe:
            self._probing = False
        if healthy is None:
            return
        self._verdicts += 1
        if healthy:
            self._failures = 0
            if admission.probe:  # a late answer from before the opening proves nothing now
                self._openings = 0
                self._move(BreakerState.CLOSED)
            return
        self._failures += 1
        closed = self._state is BreakerState.CLOSED
        if admission.probe or (closed and self._failures >= self._threshold):
            self._openings += 1
            self._open_until = self._clock() + min(
                self._max_open_seconds, self._open_seconds * self._openings
            )
            self._move(BreakerState.OPEN)

    def health(self) -> UpstreamHealth:
        state = self.state
        if state is BreakerState.OPEN:
            wait = self._open_until - self._clock()
            return UpstreamHealth(
                False,
                f"circuit open after {self._failures} consecutive upstream failures; "
                f"next probe in {wait:.0f} s",
            )
        if state is BreakerState.HALF_OPEN:
            # Ready, so traffic can reach the probe; refusing it could keep the circuit open.
            return UpstreamHealth(True, "circuit half-open: probing the upstream")
        if self._verdicts == 0:
            return UpstreamHealth(True, "no call to the upstream yet", known=False)
        return UpstreamHealth(True, "upstream reachable")

    def _move(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)

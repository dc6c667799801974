"""The sandbox clock: wall time (or a fixed start) plus an offset that tests move forward."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["SandboxClock", "format_timestamp", "parse_timestamp"]


class SandboxClock:
    """A clock that tests can move forward without waiting.

    ``now()`` is ``start + offset`` plus, when ``follows_real_time`` is set, the real time elapsed
    since construction (monotonic, so wall-clock jumps do not matter).
    """

    def __init__(self, start: datetime | None = None, *, follows_real_time: bool = True) -> None:
        base = start if start is not None else datetime.now(UTC)
        if base.tzinfo is None:
            base = base.replace(tzinfo=UTC)
        self._start = base.astimezone(UTC).replace(microsecond=0)
        self._follows_real_time = follows_real_time
        self._origin = time.monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        """The sandbox's current time, in UTC."""
        elapsed = timedelta()
        if self._follows_real_time:
            elapsed = timedelta(seconds=time.monotonic() - self._origin)
        return self._start + self._offset + elapsed

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (never backward) and return the new time."""
        if seconds < 0:
            msg = "the sandbox clock only moves forward"
            raise ValueError(msg)
        self._offset += timedelta(seconds=seconds)
        return self.now()

    @property
    def offset_seconds(self) -> float:
        """How far tests have moved the clock."""
        return self._offset.total_seconds()


def format_timestamp(value: datetime) -> str:
    """Pleo's timestamp shape: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 date-time with an offset; raise ``ValueError`` otherwise."""
    if "T" not in value and "t" not in value:
        msg = "not a date-time"
        raise ValueError(msg)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        msg = "a date-time needs a UTC offset"
        raise ValueError(msg)
    return parsed.astimezone(UTC)

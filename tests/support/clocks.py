"""Clocks that only move when a test says so: a monotonic one and a wall-clock one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A monotonic clock that only moves when a test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeNow:
    """A UTC wall clock that starts at the real now and only moves when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)

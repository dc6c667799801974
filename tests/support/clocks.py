"""Clocks that only move when a test says so: a monotonic one and a wall-clock one."""

from __future__ import annotations

import asyncio
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


class VirtualTime:
    """A monotonic clock, a UTC wall clock and sleeps that move both instead of waiting.

    ``sleep`` is the one to hand to the code under test: each delay it is asked for is kept in
    ``sleeps``. ``elapse`` moves time the same way for fakes (upstream latency) without being
    counted as the code's own sleep.
    """

    def __init__(self, start: float = 1_000.0, wall: datetime | None = None) -> None:
        self.monotonic = FakeClock(start)
        self.utc = FakeNow(wall or datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.elapse(seconds)

    async def elapse(self, seconds: float) -> None:
        self.monotonic.advance(seconds)
        self.utc.advance(seconds)
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is

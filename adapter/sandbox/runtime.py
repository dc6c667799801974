"""Everything one running sandbox holds: the world state, the traffic controls and the legacy
view (its read counter and the disagreement knob)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from adapter.sandbox.config import SandboxConfig
from adapter.sandbox.legacy_view import LegacyView
from adapter.sandbox.state import SandboxState
from adapter.sandbox.traffic import FaultBook, RequestStats

__all__ = ["SandboxRuntime"]


@dataclass(slots=True)
class SandboxRuntime:
    """The state, statistics, faults, added round-trip time and legacy view of one sandbox app."""

    config: SandboxConfig
    state: SandboxState
    stats: RequestStats = field(default_factory=RequestStats)
    faults: FaultBook = field(default_factory=FaultBook)
    rtt_ms: float = 0.0
    legacy: LegacyView = field(default_factory=LegacyView)
    # how the added round-trip time is waited; tests put a recorder here instead of waiting
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def create(cls, config: SandboxConfig) -> SandboxRuntime:
        """Seed a new sandbox from ``config``."""
        return cls(config=config, state=SandboxState(config), rtt_ms=config.rtt_ms)

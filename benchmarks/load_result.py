"""What one load window produced: counts and a latency histogram, from wrk or asyncio."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["LoadResult"]


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Requests answered in ``seconds``, and their latencies in microseconds (value -> count).

    ``non_2xx`` counts answers other than 2xx; ``errors`` counts connect, read, write and
    timeout failures. A histogram keeps percentiles exact when windows are merged.
    """

    requests: int
    seconds: float
    non_2xx: int = 0
    errors: int = 0
    histogram: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        """The latency at or below which ``p`` percent of requests finished, in ms."""
        total = sum(self.histogram.values())
        if total == 0:
            return float("nan")
        rank = p / 100 * total
        seen = 0
        for micros in sorted(self.histogram):
            seen += self.histogram[micros]
            if seen >= rank:
                return micros / 1000
        return max(self.histogram) / 1000

    @classmethod
    def merge(cls, results: Iterable[LoadResult]) -> LoadResult:
        """One result for several windows: counts and time add up, histograms merge."""
        histogram: Counter[int] = Counter()
        requests = non_2xx = errors = 0
        seconds = 0.0
        for result in results:
            histogram.update(result.histogram)
            requests += result.requests
            seconds += result.seconds
            non_2xx += result.non_2xx
            errors += result.errors
        return cls(requests, seconds, non_2xx, errors, histogram)

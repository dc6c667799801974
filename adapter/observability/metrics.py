"""The proxy's Prometheus series, on one registry the app lifespan owns.

Labels are bounded sets only: route templates, HTTP methods, status classes, upstream
operation names, job outcomes and item statuses. Never an id, a path with ids in it, a company
or a token. Later features add their series here, next to these.

Components take a :class:`Metrics` (the app passes its own); a component built without one
gets a private registry, so tests and tools never share counters by accident.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

__all__ = ["CIRCUIT_STATES", "CONTENT_TYPE", "Metrics", "status_class"]

# The text format generate_latest writes (prometheus_client's CONTENT_TYPE_LATEST is 1.0.0).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Seconds: legacy answers and Pleo's calls both live between a millisecond and the deadline.
# The Export API circuit breaker's states (adapter.export.breaker.BreakerState values).
CIRCUIT_STATES = ("closed", "open", "half_open")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def status_class(status: int | None) -> str:
    """``200`` -> ``2xx``; 429 stays apart (rate limiting); no answer at all is ``error``."""
    if status is None:
        return "error"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


class Metrics:
    """Every series the proxy exports. One instance per app, on its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if registry is None:
            # The process, platform and garbage-collector series operators expect by default.
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self._requests = Counter(
            "adapter_http_requests_total",
            "Legacy HTTP requests answered, by route template, method and status class.",
            ["route", "method", "status_class"],
            registry=self.registry,
        )
        self._request_seconds = Histogram(
            "adapter_http_request_duration_seconds",
            "Time to answer a legacy HTTP request, by route template and method.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._upstream = Counter(
            "adapter_upstream_requests_total",
            "HTTP attempts to Pleo, by operation and status class ('error': no answer).",
            ["operation", "status_class"],
            registry=self.registry,
        )
        self._upstream_seconds = Histogram(
            "adapter_upstream_request_duration_seconds",
            "Duration of one HTTP attempt to Pleo, by operation.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._retries = Counter(
            "adapter_upstream_retries_total",
            "Attempts to Pleo repeated after a failure, by operation.",
            ["operation"],
            registry=self.registry,
        )
        self._retry_budget_spent = Counter(
            "adapter_upstream_retry_budget_exhausted_total",
            "Retries not made because the retry budget was spent (the call failed fast).",
            ["operation"],
            registry=self.registry,
        )
        self._contract_violations = Counter(
            "adapter_upstream_contract_violations_total",
            "Answers from Pleo refused because they break the published contract.",
            ["operation"],
            registry=self.registry,
        )
        self._circuit_state = Gauge(
            "adapter_upstream_circuit_state",
            "1 for the current state of the circuit breaker on Pleo's Export API, else 0.",
            ["state"],
            registry=self.registry,
        )
        self._circuit_openings = Counter(
            "adapter_upstream_circuit_openings_total",
            "Times the circuit breaker on Pleo's Export API opened.",
            registry=self.registry,
        )
        self.set_circuit_state("closed")
        self._jobs_claimed = Counter(
            "adapter_export_jobs_claimed_total",
            "Export jobs this process claimed with a 'started' event.",
            registry=self.registry,
        )
        self._jobs_closed = Counter(
            "adapter_export_jobs_closed_total",
            "Export jobs closed by this process, by the event sent (or found) at the end.",
            ["outcome"],
            registry=self.registry,
        )
        self._items = Counter(
            "adapter_export_items_updated_total",
            "Export job items whose status Pleo accepted, by resulting item status.",
            ["status"],
            registry=self.registry,
        )

        self._shadow_comparisons = Counter(
            "adapter_shadow_comparisons_total",
            "Shadow comparisons of a legacy answer with its translation, by result (clean, "
            "unexplained, empty, skipped, timeout, failed, dropped).",
            ["result"],
            registry=self.registry,
        )
        self._shadow_differences = Counter(
            "adapter_shadow_differences_total",
            "Differences shadow comparisons found, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self._cutover_decisions = Counter(
            "adapter_cutover_decisions_total",
            "Cutover mode decisions: promoted (shadow -> export), fell_back (export -> legacy), "
            "overridden (an edit of the cutover file took the company back).",
            ["decision"],
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One legacy request answered; ``route`` is its template, never the raw path."""
        self._requests.labels(route, method, status_class(status)).inc()
        self._request_seconds.labels(route, method).observe(seconds)

    def observe_upstream(self, operation: str, status: int | None, seconds: float) -> None:
        """One HTTP attempt to Pleo; ``status`` None when no answer came."""
        self._upstream.labels(operation, status_class(status)).inc()
        self._upstream_seconds.labels(operation).observe(seconds)

    def count_retry(self, operation: str) -> None:
        self._retries.labels(operation).inc()

    def count_retry_budget_exhausted(self, operation: str) -> None:
        self._retry_budget_spent.labels(operation).inc()

    def count_contract_violation(self, operation: str) -> None:
        self._contract_violations.labels(operation).inc()

    def set_circuit_state(self, state: str) -> None:
        """The breaker is now in ``state`` (one of :data:`CIRCUIT_STATES`); opening counts."""
        for name in CIRCUIT_STATES:
            self._circuit_state.labels(name).set(1 if name == state else 0)
        if state == "open":
            self._circuit_openings.inc()

    def count_job_claimed(self) -> None:
        self._jobs_claimed.inc()

    def count_job_closed(self, outcome: str) -> None:
        """``outcome``: the job status at the end (completed, completed_with_errors, failed)."""
        self._jobs_closed.labels(outcome).inc()

    def count_items(self, status: str, count: int) -> None:
        """``count`` items now have item ``status`` at Pleo because of this process."""
        if count:
            self._items.labels(status).inc(count)

    def count_shadow_comparison(self, result: str) -> None:
        self._shadow_comparisons.labels(result).inc()

    def count_shadow_differences(self, kind: str, count: int) -> None:
        if count:
            self._shadow_differences.labels(kind).inc(count)

    def count_cutover_decision(self, decision: str) -> None:
        self._cutover_decisions.labels(decision).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format, for ``GET /metrics``."""
        return generate_latest(self.registry)

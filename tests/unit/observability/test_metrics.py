"""The Prometheus series an operator scrapes: bounded labels, counts that add up."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapter.observability.metrics import Metrics, status_class


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    families = text_string_to_metric_families(metrics.exposition().decode())
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, "2xx"), (404, "4xx"), (429, "429"), (503, "5xx"), (None, "error")],
)
def test_status_classes_keep_rate_limits_and_no_answer_apart(
    status: int | None, expected: str
) -> None:
    """Statuses collapse to classes, except 429 and 'no answer', which an operator must see."""
    assert status_class(status) == expected


def test_requests_upstream_calls_and_jobs_are_counted_by_bounded_labels() -> None:
    """Each series counts what happened under its route, operation, outcome or status."""
    metrics = Metrics()
    metrics.observe_request("/v1/expenses", "GET", 200, 0.004)
    metrics.observe_request("/v1/expenses", "GET", 200, 0.002)
    metrics.observe_upstream("list_jobs", 503, 0.1)
    metrics.observe_upstream("list_jobs", None, 15.0)
    metrics.count_retry("list_jobs")
    metrics.count_job_claimed()
    metrics.count_job_closed("completed")
    metrics.count_items("successful", 25)
    metrics.count_items("failed", 0)
    samples = _samples(metrics)
    route = (("method", "GET"), ("route", "/v1/expenses"), ("status_class", "2xx"))
    assert samples[("adapter_http_requests_total", route)] == 2
    assert (
        samples[
            (
                "adapter_upstream_requests_total",
                (("operation", "list_jobs"), ("status_class", "5xx")),
            )
        ]
        == 1
    )
    assert (
        samples[
            (
                "adapter_upstream_requests_total",
                (("operation", "list_jobs"), ("status_class", "error")),
            )
        ]
        == 1
    )
    assert samples[("adapter_upstream_retries_total", (("operation", "list_jobs"),))] == 1
    assert samples[("adapter_export_jobs_claimed_total", ())] == 1
    assert samples[("adapter_export_jobs_closed_total", (("outcome", "completed"),))] == 1
    assert samples[("adapter_export_items_updated_total", (("status", "successful"),))] == 25
    assert ("adapter_export_items_updated_total", (("status", "failed"),)) not in samples


def test_each_app_has_its_own_registry() -> None:
    """Two Metrics never share counts (one per app, so tests and tools stay independent)."""
    first, second = Metrics(), Metrics()
    first.count_job_claimed()
    assert _samples(second)[("adapter_export_jobs_claimed_total", ())] == 0

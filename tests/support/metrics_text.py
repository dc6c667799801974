"""Reading one sample out of a ``GET /metrics`` answer (Prometheus text format)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["sample_value"]


def sample_value(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels`` (0 when there is none
    yet: a counter nobody has touched is not exposed)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0

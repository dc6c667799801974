"""Typed access to Pleo's Export API v3: the models and the client the workflow uses."""

from adapter.export.client import ExportClient, ExportClientMetrics, build_http_client
from adapter.export.models import ItemUpdateOutcome

__all__ = [
    "ExportClient",
    "ExportClientMetrics",
    "ItemUpdateOutcome",
    "build_http_client",
]

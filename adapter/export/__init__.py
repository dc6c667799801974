"""Typed access to Pleo's Export API v3: the models and the client the workflow uses."""

from adapter.export.client import (
    ExportClient,
    ExportClientMetrics,
    ItemUpdateOutcome,
    build_http_client,
)
from adapter.export.errors import ItemUpdateIncomplete, UpstreamForbidden

__all__ = [
    "ExportClient",
    "ExportClientMetrics",
    "ItemUpdateIncomplete",
    "ItemUpdateOutcome",
    "UpstreamForbidden",
    "build_http_client",
]

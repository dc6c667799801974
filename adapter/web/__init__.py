"""The HTTP surface: legacy routes, health, the legacy error body and its handlers."""

from adapter.web.deadline import DeadlineMiddleware
from adapter.web.errors import exception_handlers
from adapter.web.health import health_routes
from adapter.web.legacy_routes import legacy_routes
from adapter.web.mode_header import AdapterModeMiddleware
from adapter.web.openapi import openapi_routes
from adapter.web.paths import CollapseSlashesMiddleware

__all__ = [
    "AdapterModeMiddleware",
    "CollapseSlashesMiddleware",
    "DeadlineMiddleware",
    "exception_handlers",
    "health_routes",
    "legacy_routes",
    "openapi_routes",
]

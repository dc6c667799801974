"""The HTTP surface: legacy routes, health, the legacy error body and its handlers."""

from adapter.web.deadline import DeadlineMiddleware
from adapter.web.errors import exception_handlers
from adapter.web.expenses import expense_routes
from adapter.web.health import health_routes

__all__ = ["DeadlineMiddleware", "exception_handlers", "expense_routes", "health_routes"]

"""What every log line of one request carries: its request id and, once known, its company.

Values are bound with structlog's context variables, so any logger (structlog's or the standard
library's, through :func:`adapter.observability.logging.configure_logging`) adds them to every
line written while the request runs, including lines from the workflow and the export client.

A company appears only as :func:`company_hash`: enough to follow one tenant through the logs,
nothing that identifies it outside them, and never a credential.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import structlog

__all__ = ["bind_company", "company_hash", "request_context"]


def company_hash(company_id: str) -> str:
    """The first 12 hex digits of the SHA-256 of the (lower-cased) company id."""
    return hashlib.sha256(company_id.lower().encode()).hexdigest()[:12]


@contextlib.contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Bind ``request_id`` for the duration of one request; whatever the request binds on top
    (its company hash, say) is dropped with it, so nothing leaks into the next request."""
    outer = structlog.contextvars.get_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**outer)


def bind_company(company_id: str | None) -> None:
    """Name the request's company (hashed) on its access line and every later line of it.

    ``None`` (passthrough mode: Pleo alone knows the key's company) binds nothing.
    """
    if company_id is not None:
        structlog.contextvars.bind_contextvars(company_hash=company_hash(company_id))

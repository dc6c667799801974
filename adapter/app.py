"""``create_app(settings)``: the proxy as a Starlette application.

The lifespan owns every resource (the one ``httpx.AsyncClient``, the store, the workflow
and its background task) and closes them on the way out; nothing lives in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TypedDict

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from adapter.auth import Authenticator, CredentialsFileAuthenticator, PassthroughAuthenticator
from adapter.export.client import ExportClient, build_http_client
from adapter.mapping import load_mapping_table
from adapter.observability.request_id import RequestIdMiddleware
from adapter.settings import Settings, load_settings
from adapter.store import MemoryStore
from adapter.web import exception_handlers, expense_routes, health_routes
from adapter.workflow import JobWorkflow, WorkflowSettings

__all__ = ["create_app"]

logger = logging.getLogger("adapter")


class State(TypedDict):
    settings: Settings
    authenticator: Authenticator
    workflow: JobWorkflow
    readiness: dict[str, bool]


def _authenticator(settings: Settings) -> Authenticator:
    if settings.auth_mode == "credentials":
        assert settings.credentials_file is not None  # noqa: S101 - enforced by Settings
        return CredentialsFileAuthenticator.from_file(settings.credentials_file)
    return PassthroughAuthenticator()


def create_app(
    settings: Settings | None = None, *, export_transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """Build the proxy; ``export_transport`` lets tests and the demo route Pleo in-process."""
    settings = settings or load_settings()
    # Fail at construction, not on the first request: a bad table or file must stop start-up.
    table = load_mapping_table(settings.mappings_dir)
    authenticator = _authenticator(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        http = build_http_client(
            timeout_seconds=settings.upstream_timeout_seconds,
            max_connections=settings.upstream_max_connections,
            transport=export_transport,
        )
        store = MemoryStore()
        workflow = JobWorkflow(
            client=ExportClient(
                http,
                base_url=settings.export_api_url,
                max_in_flight=settings.upstream_max_in_flight,
            ),
            store=store,
            table=table,
            settings=WorkflowSettings(
                job_idle_seconds=settings.job_idle_seconds,
                idle_policy=settings.idle_policy,
                discovery_min_interval_seconds=settings.discovery_min_interval_seconds,
                stale_read_seconds=settings.stale_read_seconds,
                cache_max_bytes=settings.cache_max_bytes,
                max_passthrough_tenants=settings.max_passthrough_tenants,
                poll_interval_seconds=settings.poll_interval_seconds,
                maintenance_concurrency=settings.maintenance_concurrency,
                maintenance_deadline_seconds=settings.maintenance_deadline_seconds,
                close_retry_seconds=settings.close_retry_seconds,
            ),
        )
        if isinstance(authenticator, CredentialsFileAuthenticator):
            # Known up front: poll for their jobs before their integrations first call.
            for tenant in authenticator.tenants:
                workflow.configure(tenant)
        # Operators' and tests' handle on the running workflow (e.g. to run a round now).
        app.state.workflow = workflow
        stop = asyncio.Event()
        background = asyncio.create_task(workflow.run(stop))
        readiness = {"ready": True}
        try:
            yield {
                "settings": settings,
                "authenticator": authenticator,
                "workflow": workflow,
                "readiness": readiness,
            }
        finally:
            readiness["ready"] = False
            stop.set()
            await background
            await http.aclose()
            await store.aclose()

    return Starlette(
        routes=[*health_routes(), *expense_routes()],
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )

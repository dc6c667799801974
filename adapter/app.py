"""``create_app(settings)``: the proxy as a Starlette application.

The lifespan owns every resource (the one ``httpx.AsyncClient``, the store, the workflow
and its background task, the Prometheus series) and closes them on the way out; nothing
lives in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypedDict

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware

from adapter.auth import Authenticator, CredentialsFileAuthenticator, PassthroughAuthenticator
from adapter.compare import EquivalenceRules, load_equivalence_rules
from adapter.cutover import (
    EXPORT_EVERYWHERE,
    CompanyCache,
    CompanyLearningClient,
    Cutover,
    DecisionBook,
    FixedPolicy,
    Mode,
    PolicyFile,
    PolicySource,
    PreviewOnly,
    ShadowComparer,
    ShadowRunner,
    TranslationReader,
    load_policy,
)
from adapter.export.client import build_http_client
from adapter.gc_policy import settle_after_startup
from adapter.mapping import MappingTable, load_mapping_table
from adapter.observability.access_log import AccessLogMiddleware
from adapter.observability.metrics import Metrics
from adapter.observability.request_id import RequestIdMiddleware
from adapter.passthrough import LegacyApiClient, build_legacy_http_client
from adapter.settings import Settings, load_settings
from adapter.store import MemoryStore, Store
from adapter.web import (
    AdapterModeMiddleware,
    CollapseSlashesMiddleware,
    DeadlineMiddleware,
    exception_handlers,
    health_routes,
    legacy_routes,
    openapi_routes,
)
from adapter.web.health import Readiness, ping_check
from adapter.web.shutdown import Shutdown, ShutdownMiddleware
from adapter.workflow import JobWorkflow, WorkflowSettings

__all__ = ["create_app"]

# How long the lifespan's shutdown lets the requests cut by uvicorn write their 503.
_ANSWER_CUT_REQUESTS_SECONDS = 0.5


class State(TypedDict):
    settings: Settings
    authenticator: Authenticator
    workflow: JobWorkflow
    legacy_api: LegacyApiClient | None
    readiness: Readiness
    metrics: Metrics
    cutover: Cutover
    shutdown: Shutdown


def _authenticator(settings: Settings) -> Authenticator:
    if settings.resolved_auth_mode == "credentials":
        assert settings.credentials_file is not None  # noqa: S101 - enforced by Settings
        return CredentialsFileAuthenticator.from_file(settings.credentials_file)
    return PassthroughAuthenticator()


def _policies(settings: Settings) -> PolicySource:
    """The cutover file, checked now so a bad one stops start-up; none: export everywhere."""
    path = settings.cutover_file
    if path is None:
        return FixedPolicy(EXPORT_EVERYWHERE)
    legacy_api = settings.legacy_api_url is not None
    return PolicyFile(
        path,
        load=lambda p: load_policy(p, legacy_api=legacy_api),
        check_seconds=settings.cutover_check_seconds,
    )


def _cutover(
    settings: Settings,
    policies: PolicySource,
    *,
    reader: TranslationReader,
    store: Store,
    table: MappingTable,
    rules: EquivalenceRules | None,
    companies: CompanyCache,
    metrics: Metrics,
) -> Cutover:
    decisions = DecisionBook(store, metrics=metrics)
    comparer = None
    if rules is not None:
        # Shadow mode gets the workflow's read-only preview and nothing else: it cannot write.
        comparer = ShadowComparer(PreviewOnly(reader), table, rules)
    runner = ShadowRunner(
        policies=policies,
        decisions=decisions,
        metrics=metrics,
        timeout_seconds=settings.shadow_timeout_seconds,
        max_in_flight=settings.shadow_max_in_flight,
    )
    return Cutover(
        policies=policies,
        decisions=decisions,
        companies=companies,
        runner=runner,
        comparer=comparer,
    )


def create_app(
    settings: Settings | None = None,
    *,
    export_transport: httpx.AsyncBaseTransport | None = None,
    legacy_transport: httpx.AsyncBaseTransport | None = None,
    tune_gc: bool = False,
) -> Starlette:
    """Build the proxy; the transports let tests and the demo route Pleo in-process.

    ``tune_gc`` (``serve`` sets it) applies the settings' garbage-collector policy to this
    process once start-up is done (:mod:`adapter.gc_policy`); in-process tests leave it off.
    """
    settings = settings or load_settings()
    # Fail at construction, not on the first request: a bad table or file must stop start-up.
    table = load_mapping_table(settings.mappings_dir)
    authenticator = _authenticator(settings)
    policies = _policies(settings)
    rules = load_equivalence_rules(settings.mappings_dir) if settings.cutover_file else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        http = build_http_client(
            timeout_seconds=settings.upstream_timeout_seconds,
            max_connections=settings.upstream_max_connections,
            transport=export_transport,
        )
        # The legacy API has its own pool: its answers are slow or gone independently of v3's.
        legacy_http: httpx.AsyncClient | None = None
        legacy_api: LegacyApiClient | None = None
        metrics = Metrics()
        if settings.legacy_api_url is not None:
            legacy_http = build_legacy_http_client(
                timeout_seconds=settings.upstream_timeout_seconds,
                max_connections=settings.upstream_max_connections,
                transport=legacy_transport,
            )
            legacy_api = LegacyApiClient(
                legacy_http,
                origin=settings.legacy_api_url,
                max_response_bytes=settings.legacy_max_response_bytes,
                metrics=metrics,
            )
        store = MemoryStore()
        companies = CompanyCache()
        # Learns each passthrough credential's company from Pleo's job lists (cutover).
        client = CompanyLearningClient(
            http,
            base_url=settings.export_api_url,
            max_in_flight=settings.upstream_max_in_flight,
            retries=settings.upstream_retry_attempts - 1,
            deadline_seconds=settings.request_deadline_seconds,
            circuit_failures=settings.upstream_circuit_failures,
            circuit_open_seconds=settings.upstream_circuit_open_seconds,
            metrics=metrics,
            companies=companies,
        )

        async def export_api() -> str:
            health = client.upstream_health()
            if not health.known:
                return "unknown"
            return "ok" if health.ready else f"failing: {health.reason}"

        async def background_allowed(company_id: str) -> bool:
            # Scheduled work writes (idle policy, closing): only for companies in export mode.
            policy = policies.current()
            return await cutover.decisions.mode_for(policy, company_id) is Mode.EXPORT

        workflow = JobWorkflow(
            client=client,
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
            metrics=metrics,
            background_allowed=background_allowed,
        )
        cutover = _cutover(
            settings,
            policies,
            reader=workflow,
            store=store,
            table=table,
            rules=rules,
            companies=companies,
            metrics=metrics,
        )
        if isinstance(authenticator, CredentialsFileAuthenticator):
            # Known up front: poll for their jobs before their integrations first call. Only
            # companies served in export mode: legacy and shadow ones must not be polled (a
            # company switched to export later is polled from its first export call).
            start_policy = policies.current()
            for tenant in authenticator.tenants:
                if start_policy.mode_of(tenant.company_id) is Mode.EXPORT:
                    workflow.configure(tenant)
        # Operators' and tests' handle on the running workflow (e.g. to run a round now).
        app.state.workflow = workflow
        app.state.cutover = cutover
        stop = asyncio.Event()
        background = asyncio.create_task(workflow.run(stop))
        readiness = Readiness({"store": ping_check(store), "exportApi": export_api})
        # The server calls shutdown.begin() on SIGTERM (adapter.cli.serve): from that moment
        # /readyz says stopping and no scheduled round starts.
        shutdown = Shutdown()
        shutdown.on_begin(readiness.stop)
        shutdown.on_begin(stop.set)
        app.state.shutdown = shutdown
        if tune_gc:
            settle_after_startup(
                young_threshold=settings.gc_young_threshold,
                freeze=settings.gc_freeze_after_startup,
            )
        try:
            yield {
                "settings": settings,
                "authenticator": authenticator,
                "workflow": workflow,
                "legacy_api": legacy_api,
                "readiness": readiness,
                "metrics": metrics,
                "cutover": cutover,
                "shutdown": shutdown,
            }
        finally:
            shutdown.begin()
            # Requests uvicorn cut at the end of the grace period are being answered 503 now.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_ANSWER_CUT_REQUESTS_SECONDS):
                    await shutdown.answered()
            # A round may be waiting on a silent Pleo under its own deadline: it is cut here,
            # not waited for (Pleo stays the source of truth for whatever it had not done).
            background.cancel()
            await asyncio.wait({background})
            await cutover.aclose()
            await http.aclose()
            if legacy_http is not None:
                await legacy_http.aclose()
            await store.aclose()

    return Starlette(
        routes=[*health_routes(), *openapi_routes(), *legacy_routes()],
        # Outermost first: the request id is bound before the access line is written, and the
        # path is collapsed before the access line reads it.
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(CollapseSlashesMiddleware),
            Middleware(AccessLogMiddleware),
            Middleware(AdapterModeMiddleware),
            Middleware(ShutdownMiddleware),
            Middleware(DeadlineMiddleware, seconds=settings.request_deadline_seconds),
        ],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )

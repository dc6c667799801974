"""Each translated legacy route, served in the mode the cutover gives the caller's company.

:func:`routed` wraps a translated endpoint (:data:`adapter.web.expenses.TRANSLATED`):

* export: the endpoint answers (the translation); its status feeds the fallback window;
* legacy: the request is passed through to Pleo's legacy API by the same endpoint that serves
  the non-expense routes (:func:`adapter.passthrough.passthrough_endpoint`): method, path,
  query, body, ``Authorization``, ``Content-Type`` and ``Accept`` go out; status, body,
  ``Content-Type`` and ``Retry-After`` come back unchanged; nothing reaches the Export API;
* shadow: answered exactly as legacy, then the comparison of a 200 answer with the
  translation of the same request is started in the background (never awaited here).

The mode is in the request's scope from the start (``X-Adapter-Mode``, see
:mod:`adapter.web.mode_header`) and on every log line of the request (``adapter_mode``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, cast

import structlog
from starlette.requests import Request
from starlette.responses import Response

from adapter.auth import Authenticator
from adapter.cutover import Cutover, Mode, Routing
from adapter.errors import AdapterError, BadRequest
from adapter.legacy.query import parse_query_string
from adapter.observability.context import bind_company
from adapter.passthrough import LegacyRoute, passthrough_endpoint
from adapter.tenancy import Tenant
from adapter.web.errors import status_of
from adapter.web.mode_header import MODE_SCOPE_KEY

__all__ = ["routed"]

Endpoint = Callable[[Request], Awaitable[Response]]

# What a legacy 200 answer of each translated route holds, for the shadow comparison.
_SHADOW_SHAPES: dict[tuple[str, str], Literal["list", "one", "update"]] = {
    ("/v1/expenses", "GET"): "list",
    ("/v1/expenses/{expenseId}", "GET"): "one",
    ("/v1/expenses", "PUT"): "update",
    ("/v1/expenses/{expenseId}", "PUT"): "update",
}


def _set_mode(request: Request, mode: Mode) -> None:
    request.scope[MODE_SCOPE_KEY] = str(mode)
    structlog.contextvars.bind_contextvars(adapter_mode=str(mode))


def routed(path: str, method: str, export: Endpoint) -> Endpoint:
    """The endpoint serving ``method path`` in the caller's mode; ``export`` is the translation."""
    passthrough = passthrough_endpoint(LegacyRoute(path, (method,), "passthrough"), {})
    # passthrough_endpoint is annotated loosely for Starlette; it is an async endpoint.
    legacy = cast(Endpoint, passthrough)

    async def endpoint(request: Request) -> Response:
        cutover: Cutover = request.state.cutover
        policy = cutover.policy()
        _set_mode(request, policy.default_mode)
        authenticator: Authenticator = request.state.authenticator
        tenant = authenticator.authenticate(request.headers.get("authorization"))
        routing = await cutover.route(tenant, policy)
        _set_mode(request, routing.mode)
        bind_company(routing.company_id)
        if routing.mode is Mode.EXPORT:
            return await _export(request, export, cutover, routing)
        response = await legacy(request)
        if routing.mode is Mode.SHADOW:
            _shadow(request, response, cutover, routing, tenant, (path, method))
        return response

    return endpoint


async def _export(
    request: Request, export: Endpoint, cutover: Cutover, routing: Routing
) -> Response:
    try:
        response = await export(request)
    except AdapterError as exc:
        await cutover.answered(routing, status_of(exc))
        raise
    except Exception:
        await cutover.answered(routing, 500)
        raise
    await cutover.answered(routing, response.status_code)
    return response


def _shadow(
    request: Request,
    response: Response,
    cutover: Cutover,
    routing: Routing,
    tenant: Tenant,
    route: tuple[str, str],
) -> None:
    path, method = route
    shape = _SHADOW_SHAPES.get(route)
    if shape is None or request.method != method:
        cutover.skip_shadow(f"{request.method} {path} answers are not compared")
        return
    if response.status_code != 200:
        cutover.skip_shadow(f"the legacy API answered {response.status_code}")
        return
    body = bytes(response.body)
    name = f"{method} {path}"
    if shape != "list":
        cutover.shadow_ids(routing, tenant, "one" if shape == "one" else "list", name, body)
        return
    settings = request.state.settings
    try:
        query = parse_query_string(
            request.scope["query_string"], settings.default_page_size, settings.max_page_size
        )
    except BadRequest:
        cutover.skip_shadow("the query is not one the translation accepts")
        return
    cutover.shadow_list(routing, tenant, query, name, body)

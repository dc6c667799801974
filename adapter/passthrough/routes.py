"""The Starlette endpoint of every passed-through legacy route.

It authenticates first (credentials mode: the legacy token must be a configured tenant's, so
an unknown token gets 401 here and never travels; passthrough mode: a well-formed header),
then forwards the request with the client's own ``Authorization`` to the legacy API and
returns its answer. With no legacy API configured the route answers 501 in the legacy error
body naming it, or, for a route whose ``when_gone`` is ``own``, the proxy's own answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from adapter import jsonio
from adapter.auth import Authenticator
from adapter.errors import LegacyApiNotConfigured
from adapter.observability.request_id import request_id_of
from adapter.passthrough.client import LegacyAnswer, LegacyApiClient
from adapter.passthrough.table import LegacyRoute
from adapter.request_body import read_body

__all__ = ["JSON_MEDIA_TYPE", "passthrough_endpoint"]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"


def _canonical_path(request: Request) -> str:
    """The path as the client encoded it (``raw_path``: percent-escapes kept, ASCII), without
    the trailing slash: the origin is asked the documented spelling."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    # Anything a raw path should not hold unescaped is escaped; escapes already there stay.
    path = quote(path, safe="/%:@!$&'()*+,;=-._~")
    return path.rstrip("/") or "/"


def _response(answer: LegacyAnswer, request_id: str | None) -> Response:
    headers: dict[str, str] = {}
    if answer.retry_after is not None:
        headers["Retry-After"] = answer.retry_after
    if answer.status >= 400 and not answer.is_json:
        # Not in the legacy shape (a gateway's HTML page): same status, the legacy body.
        body: dict[str, object] = {
            "statusCode": answer.status,
            "error": _phrase(answer.status),
            "message": f"Pleo's legacy API answered {answer.status}.",
        }
        if request_id is not None:
            body["requestId"] = request_id
        return Response(jsonio.dumps(body), answer.status, headers, media_type=JSON_MEDIA_TYPE)
    response = Response(answer.body, answer.status, headers)
    if answer.content_type is not None:
        response.headers["content-type"] = answer.content_type
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def passthrough_endpoint(
    route: LegacyRoute, own_answers: Mapping[str, Callable[[Request], Response]]
) -> Callable[[Request], object]:
    """The endpoint that passes ``route`` through; ``own_answers`` by path when it is gone."""

    async def endpoint(request: Request) -> Response:
        authenticator: Authenticator = request.state.authenticator
        authenticator.authenticate(request.headers.get("authorization"))
        client: LegacyApiClient | None = request.state.legacy_api
        if client is None:
            if route.when_gone == "own" and route.path in own_answers:
                return own_answers[route.path](request)
            msg = (
                f"{request.method} {route.path} is passed through to Pleo's legacy API, and no "
                "legacy API is configured (ADAPTER_LEGACY_API_URL); the proxy does not serve "
                "this route itself."
            )
            raise LegacyApiNotConfigured(msg)
        body = await read_body(request, request.state.settings.max_body_bytes)
        answer = await client.forward(
            request.method,
            _canonical_path(request),
            query=request.scope.get("query_string", b""),
            headers=request.headers,
            body=body,
        )
        return _response(answer, request_id_of(request.scope))

    return endpoint
